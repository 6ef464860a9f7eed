"""Message texts patients receive, in Arabic and English.

Texts are data, not gettext strings: what a patient reads must not depend on
the state of a translation catalogue, and both languages are reviewed side by
side here. Placeholders use ``string.Template`` (``$hospital``, ``$link``), so
no other attribute can be reached from a text. Messages carry the hospital
and the link only — never a name, MRN or national ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import kinds

MESSAGES = {
    "survey_invitation": {
        "ar": {
            "subject": "$hospital: شاركنا رأيك",
            "body": "$hospital: شكراً لزيارتكم. نرجو تقييم تجربتكم (دقيقتان): $link",
            "stop": "للإيقاف أرسل: إيقاف",
        },
        "en": {
            "subject": "$hospital: tell us how we did",
            "body": "$hospital: thank you for your visit. Please rate your experience (2 minutes): $link",
            "stop": "Reply STOP to opt out",
        },
    },
    "survey_reminder": {
        "ar": {
            "subject": "$hospital: تذكير بالاستبيان",
            "body": "$hospital: تذكير لطيف — رأيكم يهمنا: $link",
            "stop": "للإيقاف أرسل: إيقاف",
        },
        "en": {
            "subject": "$hospital: a reminder",
            "body": "$hospital: a gentle reminder — your opinion matters to us: $link",
            "stop": "Reply STOP to opt out",
        },
    },
}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    html: str


def render_message(template_key: str, language: str, *, channel: str, context: dict) -> RenderedMessage:
    texts = MESSAGES[template_key].get(language) or MESSAGES[template_key]["ar"]
    subject = Template(texts["subject"]).safe_substitute(context)
    body = Template(texts["body"]).safe_substitute(context)
    if channel in ("sms", "whatsapp"):
        body = f"{body}\n{texts['stop']}"
    html = ""
    if channel == "email":
        html = render_to_string(
            "notifications/email_message.html",
            {
                "language": language,
                "direction": "rtl" if language == "ar" else "ltr",
                "subject": subject,
                "body": Template(texts["body"]).safe_substitute({**context, "link": ""}).rstrip(": "),
                "link": context.get("link", ""),
                "opt_out_link": context.get("opt_out_link", ""),
                "button": "ابدأ الاستبيان" if language == "ar" else "Start the survey",
                "opt_out_label": "إيقاف الرسائل" if language == "ar" else "Stop these messages",
            },
        )
    return RenderedMessage(subject=subject, body=body, html=html)


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
