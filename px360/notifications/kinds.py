"""The kinds of notice PX360 sends to members of staff, registered by the apps that send them.

A notice kind says what a notice is about (``"journeys.import_finished"``),
how it reads in the inbox, and how it reaches a user by default. The
notifications app knows no kind by name: each app that sends notices declares
its kinds in a ``notices`` module (``px360/<app>/notices.py``), which is
imported the first time the registry is read, so a new app adds kinds without
touching this one::

    # px360/sla/notices.py
    from django.utils.translation import gettext_lazy as _

    from px360.notifications.kinds import EmailDelivery, NoticeKind, register

    register(
        NoticeKind(
            code="sla.reminder",
            label=_("SLA reminder"),
            title=_("%(reference)s is due %(due)s"),
            default_email=EmailDelivery.IMMEDIATE,
        )
    )

``title`` is a translatable text with named placeholders filled from the
notice's ``params`` in the reader's language. Params name things by code or
count (an import's file name, a message id, a complaint number), never a
patient: notices travel by e-mail.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from django.db import models
from django.utils.html import conditional_escape, format_html
from django.utils.module_loading import autodiscover_modules
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

logger = logging.getLogger("px360.notifications")


class EmailDelivery(models.TextChoices):
    """How a notice of one kind reaches a user by e-mail (the inbox always has it)."""

    NONE = "none", pgettext_lazy("e-mail delivery", "No e-mail")
    IMMEDIATE = "immediate", pgettext_lazy("e-mail delivery", "E-mail at once")
    DIGEST = "digest", pgettext_lazy("e-mail delivery", "In the daily digest")


class StaffPurpose(models.TextChoices):
    """Outbox purposes of messages to members of staff."""

    STAFF_NOTICE = "staff_notice", _("Staff notice")
    STAFF_DIGEST = "staff_digest", _("Daily digest for staff")


@dataclass(frozen=True)
class NoticeKind:
    """One kind of notice.

    ``digestable``: whether a user may move it into the daily digest (an
    escalation that needs action today should not wait for tomorrow's
    summary). ``icon``: a Material Symbols name shown in the inbox.
    """

    code: str
    label: str
    title: str
    default_email: str = EmailDelivery.IMMEDIATE
    digestable: bool = True
    icon: str = "notifications"

    def __post_init__(self):
        if not self.code or len(self.code) > 60:
            raise ValueError("A notice kind's code has 1 to 60 characters")
        if self.default_email not in EmailDelivery.values:
            raise ValueError(f"Unknown e-mail delivery {self.default_email!r} for notice kind {self.code}")
        if self.default_email == EmailDelivery.DIGEST and not self.digestable:
            raise ValueError(f"Notice kind {self.code} defaults to the digest but is not digestable")

    def email_choices(self) -> list[tuple[str, str]]:
        """The e-mail deliveries a user may choose for this kind."""
        return [
            (value, label) for value, label in EmailDelivery.choices if value != EmailDelivery.DIGEST or self.digestable
        ]

    def effective_email(self, chosen: str | None) -> str:
        """The delivery to use given a user's stored choice (which may predate a change of the kind)."""
        if chosen not in EmailDelivery.values:
            return self.default_email
        if chosen == EmailDelivery.DIGEST and not self.digestable:
            return EmailDelivery.IMMEDIATE
        return chosen

    def render_title(self, params: dict | None) -> str:
        """The notice's one-line text in the active language.

        A text whose placeholders the params do not fill (a kind changed after
        the notice was stored) falls back to the kind's label rather than fail
        the inbox.
        """
        try:
            return str(self.title) % dict(params or {})
        except (KeyError, TypeError, ValueError):
            return str(self.label)

    def render_title_html(self, params: dict | None) -> str:
        """The title for a page or an HTML e-mail: each detail isolated in ``<bdi>``.

        A file name or a code reads left to right inside Arabic text; isolated,
        it neither reorders nor drags the punctuation around it.
        """
        isolated = {key: format_html("<bdi>{}</bdi>", value) for key, value in dict(params or {}).items()}
        try:
            return mark_safe(conditional_escape(str(self.title)) % isolated)  # the text escaped, the values isolated
        except (KeyError, TypeError, ValueError):
            return conditional_escape(str(self.label))


_KINDS: dict[str, NoticeKind] = {}
_discovered = False
_lock = threading.Lock()


def register(kind: NoticeKind) -> NoticeKind:
    """Add a kind; registering the same definition again is harmless, another one under a used code is not."""
    existing = _KINDS.get(kind.code)
    if existing is not None and existing != kind:
        raise ValueError(f"Notice kind {kind.code} is already registered with another definition")
    _KINDS[kind.code] = kind
    return kind


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    with _lock:
        if not _discovered:
            autodiscover_modules("notices")
            _discovered = True


def get(code: str) -> NoticeKind:
    """The kind registered under ``code``; ``LookupError`` when there is none."""
    _discover()
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"No notice kind {code!r} is registered (declare it in the sending app's notices.py)")


def find(code: str) -> NoticeKind | None:
    """The kind registered under ``code``, or ``None`` (a stored notice of a kind no longer shipped)."""
    _discover()
    return _KINDS.get(code)


def all_kinds() -> list[NoticeKind]:
    """Every registered kind, in a stable order (by code)."""
    _discover()
    return [_KINDS[code] for code in sorted(_KINDS)]


def label_of(code: str) -> str:
    kind = find(code)
    return str(kind.label) if kind is not None else code
