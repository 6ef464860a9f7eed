"""Pieces the complaint, inquiry and feedback admins share: SLA filters and the time left."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from px360.sla.admin.common import duration_text, local_datetime
from px360.sla.choices import ClockKind
from px360.sla.selectors import due_state, remaining

from ..selectors import clocks_by_item, item_ids_due
from ..services import Contact

SLA_COLOURS = {
    "breached": "danger",
    "at_risk": "warning",
    "on_track": "success",
    "paused": "info",
    "stopped": "info",
}


class SLADueFilter(admin.SimpleListFilter):
    """Open cases whose clock is due today, at risk, or breached (Riyadh day)."""

    title = _("service level")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("today", _("Due today")), ("at_risk", _("At risk")), ("breached", _("Breached"))]

    def queryset(self, request, queryset):
        if self.value() in ("today", "at_risk", "breached"):
            return queryset.filter(pk__in=item_ids_due(queryset.model, self.value()))
        return queryset


def current_clock(obj):
    """The clock that matters now: the acknowledge clock until it is met, then the latest resolve cycle."""
    clocks = getattr(obj, "_sla_clocks", None)
    if clocks is None:
        clocks = clocks_by_item(type(obj), [obj.pk]).get(str(obj.pk), [])
        obj._sla_clocks = clocks
    open_clocks = [clock for clock in clocks if clock.stopped_at is None]
    for kind in (ClockKind.ACKNOWLEDGE, ClockKind.RESOLVE):
        of_kind = [clock for clock in open_clocks if clock.clock == kind]
        if of_kind:
            return of_kind[-1]
    resolve = [clock for clock in clocks if clock.clock == ClockKind.RESOLVE]
    return resolve[-1] if resolve else None


class SLAColumnsMixin:
    """Adds the clocks of a whole page of cases in one query, and the coloured time left."""

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)

        class WithClocks(base):
            def get_results(self, request):
                super().get_results(request)
                clocks = clocks_by_item(self.model, [obj.pk for obj in self.result_list])
                for obj in self.result_list:
                    obj._sla_clocks = clocks.get(str(obj.pk), [])

        return WithClocks

    @display(description=_("time left"), label=SLA_COLOURS)
    def time_left(self, obj):
        clock = current_clock(obj)
        if clock is None:
            return "stopped", "—"
        state = due_state(clock)
        if clock.stopped_at is not None:
            return state, clock.get_state_display()
        text = format_html('<bdi dir="ltr">{}</bdi> · {}', duration_text(remaining(clock)), clock.get_clock_display())
        return state, text

    @admin.display(description=_("service level"))
    def sla_panel(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        clocks = clocks_by_item(type(obj), [obj.pk]).get(str(obj.pk), [])
        if not clocks:
            return _("No SLA policy applies: the case has no targets.")
        rows = []
        for clock in clocks:
            state = due_state(clock)
            left = remaining(clock)
            rows.append(
                format_html(
                    "<tr><td class='pe-4 py-1'>{}</td><td class='pe-4'>{}</td><td class='pe-4'>{}</td>"
                    "<td class='pe-4'><bdi dir='ltr'>{}</bdi></td><td>{}</td></tr>",
                    clock.get_clock_display(),
                    clock.policy.name if clock.policy_id else "—",
                    local_datetime(clock.due_at),
                    duration_text(left) if left is not None else "—",
                    _state_label(state, clock),
                )
            )
        header = format_html(
            "<tr class='text-start font-semibold'><th class='pe-4'>{}</th><th class='pe-4'>{}</th>"
            "<th class='pe-4'>{}</th><th class='pe-4'>{}</th><th>{}</th></tr>",
            _("clock"),
            _("policy"),
            _("due"),
            _("time left"),
            _("state"),
        )
        return format_html("<table class='text-sm'>{}{}</table>", header, mark_safe("".join(rows)))


def _state_label(state: str, clock) -> str:
    words = {
        "breached": _("Breached"),
        "at_risk": _("At risk"),
        "on_track": _("On track"),
        "paused": _("Paused"),
        "stopped": clock.get_state_display(),
    }
    return str(words.get(state, state))


def contact_from(data: dict) -> Contact:
    """The complainant as an admin form's cleaned data gives them."""
    return Contact(
        kind=data["complainant_kind"],
        name=data.get("contact_name", ""),
        relation=data.get("contact_relation", ""),
        phone=data.get("contact_phone", ""),
        email=data.get("contact_email", ""),
        language=data.get("language") or "ar",
    )


def adopt(obj, created, *fields) -> None:
    """Let the admin go on with the row the service saved (many-to-many fields, the redirect)."""
    obj.pk = created.pk
    obj._state.adding = False
    obj._state.db = created._state.db
    for name in ("reference", *fields):
        setattr(obj, name, getattr(created, name))
