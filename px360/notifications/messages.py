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

from django.template.loader import render_to_string

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
