"""The messages PX360 sends: to patients (from their kind's texts) and to members of staff.

Texts patients receive are data, not gettext strings: what a patient reads
must not depend on the state of a translation catalogue. Each kind of message
ships its wording in Arabic and English (registered by the app that sends it,
:mod:`px360.notifications.message_kinds`); a hospital or the whole group may
edit it in the admin (:class:`~px360.notifications.models.MessageText`), and
:func:`render_message` uses the most specific active text. Placeholders use
``string.Template`` (``$hospital``, ``$link``), so no other attribute can be
reached from a text. Messages carry the hospital and the link only — never a
name, MRN or national ID.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from px360.core.choices import Channel, Language

from . import kinds, message_kinds
from .models import MessageText


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    html: str


@dataclass(frozen=True)
class Texts:
    """The subject and body a message is written from, placeholders not yet filled."""

    subject: str
    body: str


# --- which text a message uses ---------------------------------------------------------

# The edited texts read once for a run of sends: ``{(kind, language): {(hospital id, channel): (subject, body)}}``.
_batch: contextvars.ContextVar[dict | None] = contextvars.ContextVar("px360_message_texts", default=None)


@contextmanager
def message_texts_batch():
    """Read the edited texts once for every message queued inside the block.

    A job that queues hundreds of messages reads each kind's texts in one
    query instead of one per message; a text saved meanwhile is used from the
    next run on. Outside such a block every message reads the texts afresh,
    so a change is never missed by another process.
    """
    if _batch.get() is not None:
        yield
        return
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def _by_place(rows) -> dict:
    """``{(hospital id as text or None, channel): (subject, body)}`` of ``(hospital_id, channel, subject, body)`` rows."""
    return {
        (str(hospital) if hospital is not None else None, channel): (subject, body)
        for hospital, channel, subject, body in rows
    }


def _rows(kind: str, language: str, hospital_id, channel: str) -> dict:
    """The active texts that could serve this message, by hospital and channel."""
    cache = _batch.get()
    fields = ("hospital_id", "channel", "subject", "body")
    if cache is None:
        rows = MessageText.objects.filter(
            Q(hospital_id=hospital_id) | Q(hospital__isnull=True) if hospital_id else Q(hospital__isnull=True),
            kind=kind,
            language=language,
            channel__in=[channel, ""],
            is_active=True,
        ).values_list(*fields)
        return _by_place(rows)
    key = (kind, language)
    if key not in cache:
        cache[key] = _by_place(
            MessageText.objects.filter(kind=kind, language=language, is_active=True).values_list(*fields)
        )
    return cache[key]


def resolve_texts(kind: message_kinds.MessageKind, language: str, *, channel: str, hospital_id=None) -> Texts:
    """The subject and body of a message: the hospital's text for the channel, the hospital's for every
    channel, the group's for the channel, the group's for every channel, else the shipped wording."""
    rows = _rows(kind.code, language, hospital_id, channel)
    candidates = [(None, channel), (None, "")]
    if hospital_id is not None:
        candidates = [(str(hospital_id), channel), (str(hospital_id), ""), *candidates]
    shipped = kind.wording(language)
    for candidate in candidates:
        found = rows.get(candidate)
        if found is not None:
            subject, body = found
            # A text for SMS or WhatsApp only may leave the subject, which they do not use, empty.
            return Texts(subject=subject or shipped.subject, body=body)
    return Texts(subject=shipped.subject, body=shipped.body)


def compose(
    kind: message_kinds.MessageKind, language: str, texts: Texts, *, channel: str, context: dict
) -> RenderedMessage:
    """A message of ``kind`` from its texts: SMS and WhatsApp end with how to opt out, e-mail gets its HTML."""
    wording = kind.wording(language)
    subject = message_kinds.fill(texts.subject, context)
    body = message_kinds.fill(texts.body, context)
    if channel in (Channel.SMS, Channel.WHATSAPP):
        body = message_kinds.with_stop(body, wording)
    html = ""
    if channel == Channel.EMAIL:
        html = render_to_string(
            "notifications/email_message.html",
            {
                "language": language,
                "direction": "rtl" if language == Language.ARABIC else "ltr",
                "subject": subject,
                # The link is the button below the text.
                "body": message_kinds.fill(texts.body, {**context, "link": ""}).rstrip(": "),
                "link": context.get("link", ""),
                "opt_out_link": context.get("opt_out_link", ""),
                "button": wording.button,
                "opt_out_label": wording.opt_out,
            },
        )
    return RenderedMessage(subject=subject, body=body, html=html)


def render_message(template_key: str, language: str, *, channel: str, context: dict, hospital=None) -> RenderedMessage:
    """The message of kind ``template_key`` to a patient of ``hospital`` (a hospital or its id)."""
    if language not in Language.values:
        language = Language.ARABIC
    kind = message_kinds.find(template_key)
    if kind is not None:
        texts = resolve_texts(kind, language, channel=channel, hospital_id=getattr(hospital, "pk", hospital))
    else:
        raise LookupError(f"No message kind {template_key!r} is registered (the sending app registers it)")
    return compose(kind, language, texts, channel=channel, context=context)


# --- messages to members of staff --------------------------------------------
#
# Staff read the admin in Arabic or English through the project's translation
# catalogue; their e-mails come from the same catalogue, in the language the
# user chose on their profile page. Subjects carry the kind of notice and
# counts only: whatever a notice's details say stays inside the message.


def _staff_language(user) -> str:
    return getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE


def _absolute(path: str) -> str:
    return f"{settings.PX360_PUBLIC_BASE_URL}{path}"


def _notice_entry(notice) -> dict:
    kind = kinds.find(notice.kind)
    return {
        "label": kinds.label_of(notice.kind),
        "title": kind.render_title(notice.params) if kind is not None else notice.kind,
        "title_html": kind.render_title_html(notice.params) if kind is not None else notice.kind,
        "time": timezone.localtime(notice.created_at),
        "url": _absolute(reverse("inbox:open", args=[notice.pk])),
    }


def _staff_footer_context() -> dict:
    return {
        "inbox_url": _absolute(reverse("inbox:list")),
        "profile_url": _absolute(reverse("profile")),
    }


def render_staff_notice(notice) -> tuple[RenderedMessage, str]:
    """One notice as an e-mail in its recipient's language; returns ``(message, language)``."""
    language = _staff_language(notice.user)
    with translation.override(language):
        entry = _notice_entry(notice)
        subject = _("PX360: %(kind)s") % {"kind": entry["label"]}
        context = {
            "language": language,
            "direction": "rtl" if language == "ar" else "ltr",
            "subject": subject,
            "entries": [entry],
            "digest": False,
            **_staff_footer_context(),
        }
        body = render_to_string("notifications/staff_email.txt", context)
        html = render_to_string("notifications/staff_email.html", context)
    return RenderedMessage(subject=subject[:200], body=body, html=html), language


def render_staff_digest(user, notices, *, more: int = 0) -> tuple[RenderedMessage, str]:
    """The daily digest: one e-mail listing ``notices`` (and how many more wait in the inbox)."""
    language = _staff_language(user)
    with translation.override(language):
        count = len(notices) + more
        subject = ngettext(
            "PX360: your daily digest (%(count)d notice)", "PX360: your daily digest (%(count)d notices)", count
        ) % {"count": count}
        context = {
            "language": language,
            "direction": "rtl" if language == "ar" else "ltr",
            "subject": subject,
            "entries": [_notice_entry(notice) for notice in notices],
            "digest": True,
            "more": more,
            **_staff_footer_context(),
        }
        body = render_to_string("notifications/staff_email.txt", context)
        html = render_to_string("notifications/staff_email.html", context)
    return RenderedMessage(subject=subject[:200], body=body, html=html), language
