"""The patient 360 timeline: everything PX360 knows about one patient, newest first.

Organisations sit below the apps that hold a patient's visits, journeys,
surveys, messages and HIS events, so they cannot import them. Instead each of
those apps describes its rows as a :class:`TimelineSource` in its own
``timeline.py`` and registers it from its ``AppConfig.ready()``::

    from px360.organizations.timeline import register

    register(EncounterSource())

The registry reads every source the same way, so the page keeps its promises
whatever is registered:

* **Scope.** A source's :meth:`~TimelineSource.queryset` passes its rows
  through the access policy (``px360.core.access.restrict``) for the viewer:
  a role reads on the 360 page only rows it could open elsewhere.
* **Bounded queries.** The registry asks each source for one count and one
  page of rows (plus the source's fixed prefetches); rendering a row
  (:meth:`~TimelineSource.entry`) must not touch the database. The number of
  queries depends on the number of sources, never on the number of rows.
* **Order and paging.** Every row carries its moment as the annotation
  ``timeline_at``; rows are shown newest first in the order
  ``(timeline_at, source key, pk)`` and paged with a cursor on that order, so
  a patient with years of history pages back through it without gaps or
  repeats.

**Newest first, not grouped by visit.** A coordinator opens a patient to
answer "what happened lately, and what is still open?" (a negative answer
this morning, a message that failed, an opt-out): the newest rows lead,
whatever visit they belong to, and the rows that do belong to a visit carry
its encounter number, so one visit's invitation, message and answer read
together. Counts per kind head the page, and each kind can be shown alone
(``?kind=``) to go back through, say, five years of messages; paging is by
"show older" (a cursor), never by page number, so it costs the same on the
hundredth page as on the first.

Later apps (complaints, PX actions, call-centre interactions) add themselves
the same way: a ``timeline.py`` with a source, registered in ``ready()``;
nothing here changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import admin
from django.core.exceptions import BadRequest, ValidationError
from django.db.models import F, Q, Window
from django.db.models.functions import Lag
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from px360.core.access import granted_pks

#: Entries shown per page of the timeline.
PAGE_SIZE = 40

TONES = ("neutral", "info", "success", "warning", "danger")


@dataclass(frozen=True)
class Fact:
    """One labelled value of an entry or of the summary.

    ``ltr`` values (codes, numbers, phone numbers) are shown isolated,
    left to right; ``data`` values (names, free text: whatever language
    they were written in) are isolated in their own direction; ``at`` adds
    a moment, shown in Riyadh time.
    """

    label: str
    value: object = ""
    ltr: bool = False
    at: dt.datetime | None = None
    data: bool = False


@dataclass
class TimelineEntry:
    """One row of the timeline, ready to show: every text already in the reader's language."""

    at: dt.datetime
    title: str
    status: str = ""
    tone: str = "neutral"
    facts: list[Fact] = field(default_factory=list)
    url: str = ""
    #: The encounter number the entry belongs to, when it belongs to a visit.
    visit: str = ""
    # Filled by the registry.
    kind: str = ""
    kind_label: str = ""
    icon: str = ""
    sort_key: tuple = ()


class TimelineSource:
    """One kind of row on the 360 page. Subclass, set the attributes, implement two methods.

    ``key`` is the stable name used in URLs (``?kind=``) and in the paging
    cursor; ``label`` names the kind in the filter and the counts;
    ``entry_label`` names one entry; ``icon`` is a Material Symbols name;
    ``order`` places the kind among the counts.
    """

    key: str = ""
    label = ""
    entry_label = ""
    icon = "history"
    order: int = 100
    #: The model whose permissions decide whether the viewer reads this kind at all.
    model = None

    def visible_to(self, user) -> bool:
        """Whether the kind is shown to ``user``: they hold a view or change permission, or a grant, on the model.

        A kind the viewer may never read is left off the page (not shown as
        "0"), as its list is left out of their menu.
        """
        if self.model is None:
            return True
        opts = self.model._meta
        codenames = [f"view_{opts.model_name}", f"change_{opts.model_name}"]
        if any(user.has_perm(f"{opts.app_label}.{codename}") for codename in codenames):
            return True
        return bool(granted_pks(user, self.model, codenames))

    def queryset(self, *, patient, user):
        """The patient's rows the viewer may see, annotated with ``timeline_at`` (never null).

        Scope it with ``restrict(..., user)`` and add the ``select_related``
        / ``prefetch_related`` that :meth:`entry` needs.
        """
        raise NotImplementedError

    def entry(self, row, *, user) -> TimelineEntry:
        """The row as an entry; must not query the database."""
        raise NotImplementedError

    def summary(self, *, patient, user) -> list[Fact]:
        """Facts for the page's summary header (one fixed set of queries at most)."""
        return []


_registry: dict[str, TimelineSource] = {}


def register(source: TimelineSource) -> TimelineSource:
    """Add (or replace, by key) a source; called from an app's ``AppConfig.ready()``."""
    if not source.key or "|" in source.key:
        raise ValueError("A timeline source needs a key without '|'.")
    _registry[source.key] = source
    return source


def sources() -> list[TimelineSource]:
    return sorted(_registry.values(), key=lambda source: (source.order, source.key))


def source_for(key: str) -> TimelineSource | None:
    return _registry.get(key)


def admin_change_url(obj) -> str:
    """The admin change page of ``obj`` when its model has one, else ``""``.

    Rows reach the timeline through ``restrict(..., "view")``, the same test
    the admin's change page applies (``can_access``), so a row shown is a row
    the viewer may open.
    """
    model = type(obj)
    if model not in admin.site._registry:
        return ""
    opts = model._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


# --- the page ---------------------------------------------------------------------------


@dataclass
class Cursor:
    at: dt.datetime
    key: str
    pk: str

    def encode(self) -> str:
        return f"{self.at.astimezone(dt.UTC).isoformat()}|{self.key}|{self.pk}"

    @classmethod
    def decode(cls, value: str) -> Cursor:
        parts = value.split("|")
        if len(parts) != 3:
            raise BadRequest("bad cursor")
        moment = parse_datetime(parts[0].replace(" ", "+"))
        if moment is None or timezone.is_naive(moment) or source_for(parts[1]) is None or not parts[2]:
            raise BadRequest("bad cursor")
        return cls(at=moment, key=parts[1], pk=parts[2])


@dataclass
class KindCount:
    key: str
    label: str
    icon: str
    count: int


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    kinds: list[KindCount]
    summary: list[Fact]
    next_cursor: str = ""


def _after_cursor(source: TimelineSource, queryset, cursor: Cursor | None):
    """Rows strictly after ``cursor`` in the newest-first order ``(timeline_at, key, pk)``."""
    if cursor is None:
        return queryset
    if source.key < cursor.key:
        return queryset.filter(timeline_at__lte=cursor.at)
    if source.key > cursor.key:
        return queryset.filter(timeline_at__lt=cursor.at)
    try:
        pk = queryset.model._meta.pk.to_python(cursor.pk)
    except ValidationError:
        raise BadRequest("bad cursor") from None
    return queryset.filter(Q(timeline_at__lt=cursor.at) | Q(timeline_at=cursor.at, pk__lt=pk))


def patient_timeline(*, patient, user, kind: str = "", before: str = "", limit: int | None = None) -> TimelinePage:
    """One page of the patient's timeline as ``user`` may see it.

    ``kind`` keeps one source (``""``: all); ``before`` is the cursor of the
    previous page's last entry. Unknown kinds and malformed cursors are a
    :class:`~django.core.exceptions.BadRequest`.
    """
    limit = limit or PAGE_SIZE
    if kind and source_for(kind) is None:
        raise BadRequest("unknown kind")
    cursor = Cursor.decode(before) if before else None

    kinds: list[KindCount] = []
    summary: list[Fact] = []
    candidates: list[tuple[tuple, TimelineSource, object]] = []
    for source in sources():
        summary.extend(source.summary(patient=patient, user=user))
        if not source.visible_to(user):
            continue
        queryset = source.queryset(patient=patient, user=user)
        kinds.append(KindCount(source.key, str(source.label), source.icon, queryset.count()))
        if kind and source.key != kind:
            continue
        rows = _after_cursor(source, queryset, cursor).order_by("-timeline_at", "-pk")[: limit + 1]
        for row in rows:
            candidates.append(((row.timeline_at, source.key, row.pk), source, row))

    candidates.sort(key=lambda item: item[0], reverse=True)
    shown, more = candidates[:limit], len(candidates) > limit
    entries = []
    for sort_key, source, row in shown:
        entry = source.entry(row, user=user)
        entry.at = sort_key[0]
        entry.kind, entry.kind_label, entry.icon = source.key, str(source.entry_label), source.icon
        entry.sort_key = sort_key
        entries.append(entry)
    next_cursor = ""
    if more and shown:
        at, key, pk = shown[-1][0]
        next_cursor = Cursor(at=at, key=key, pk=str(pk)).encode()
    return TimelinePage(entries=entries, kinds=kinds, summary=summary, next_cursor=next_cursor)


# --- this app's own source: contact preferences, from the patient's history ---------------

_CONTACT_FLAGS = (
    ("opted_out_sms", _("SMS")),
    ("opted_out_whatsapp", _("WhatsApp")),
    ("opted_out_email", _("e-mail")),
)


class ContactPreferenceSource(TimelineSource):
    """Opt-outs (and opt-ins) and the deceased flag, when they changed, from the patient's history.

    Opt-outs arrive from a STOP reply, the survey page's opt-out link, an
    import or the admin; each writes a history row, and the rows where a flag
    differs from the version before are the events. The comparison runs in
    the database (a window over the patient's history), so one query finds
    them however long the history is.
    """

    key = "contact"
    model = None  # read on the patient's page: whoever opens it may read the patient's history
    label = _("Contact preferences")
    entry_label = _("Contact preference")
    icon = "do_not_disturb_on"
    order = 90

    _flags = ("opted_out_sms", "opted_out_whatsapp", "opted_out_email", "is_deceased")

    def queryset(self, *, patient, user):
        history = type(patient).history
        window = {
            f"previous_{flag}": Window(Lag(flag), partition_by=[F("id")], order_by=[F("history_date").asc()])
            for flag in self._flags
        }
        changed = Q()
        for flag in self._flags:
            # The first version counts when it already holds a flag.
            changed |= Q(**{f"previous_{flag}__isnull": True, flag: True})
            changed |= Q(**{f"previous_{flag}__isnull": False}) & ~Q(**{flag: F(f"previous_{flag}")})
        return (
            history.filter(id=patient.pk)
            .annotate(**window, timeline_at=F("history_date"))
            .filter(changed)
            .select_related("history_user")
        )

    def entry(self, row, *, user) -> TimelineEntry:
        changes = []
        tone = "info"
        for flag, channel in _CONTACT_FLAGS:
            now, before = getattr(row, flag), getattr(row, f"previous_{flag}")
            if bool(now) == bool(before):
                continue
            if now:
                changes.append(_("Opted out of %(channel)s") % {"channel": channel})
                tone = "warning"
            else:
                changes.append(_("Accepts %(channel)s again") % {"channel": channel})
        if bool(row.is_deceased) != bool(row.previous_is_deceased):
            changes.append(_("Recorded as deceased") if row.is_deceased else _("No longer recorded as deceased"))
            tone = "danger" if row.is_deceased else tone
        by = row.history_user.get_username() if row.history_user_id and row.history_user else ""
        if by:
            facts = [Fact(_("changed by"), by, ltr=True)]
        else:
            facts = [Fact(_("changed by"), pgettext_lazy("changed by", "the patient or a system job"))]
        return TimelineEntry(
            at=row.history_date,
            title="; ".join(str(change) for change in changes),
            status=str(_("Changed")),
            tone=tone,
            facts=facts,
            url=reverse("admin:organizations_patient_history", args=[row.id]),
        )


register(ContactPreferenceSource())
