"""What complainants receive, as PX360 ships it, in Arabic and English (data, reviewed side by side).

Placeholders: ``$hospital``, ``$reference``, ``$expected_date``, ``$message``
(the coordinator's own words, for a message written on the complaint) and
``$link`` (the public status page). A message never names the complainant or
repeats the complaint. Hospitals edit these texts in the admin (Message
texts); this wording is what a message falls back to.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from px360.notifications.message_kinds import HOSPITAL, MessageKind, Placeholder, Wording, register

ACKNOWLEDGED = "complaint_acknowledged"
MESSAGE = "complaint_message"
RESOLVED = "complaint_resolved"

_BUTTON = {"ar": "متابعة الشكوى", "en": "Follow your complaint"}

SHIPPED = {
    ACKNOWLEDGED: {
        "ar": Wording(
            subject="$hospital: استلمنا شكواكم $reference",
            body="$hospital: استلمنا شكواكم رقم $reference وسنرد عليكم قبل $expected_date. لمتابعتها: $link",
            button=_BUTTON["ar"],
        ),
        "en": Wording(
            subject="$hospital: we received your complaint $reference",
            body="$hospital: we received your complaint $reference and will answer by $expected_date. "
            "Follow it here: $link",
            button=_BUTTON["en"],
        ),
    },
    MESSAGE: {
        "ar": Wording(
            subject="$hospital: بخصوص شكواكم $reference",
            body="$hospital — شكواكم رقم $reference: $message",
            button=_BUTTON["ar"],
        ),
        "en": Wording(
            subject="$hospital: about your complaint $reference",
            body="$hospital — your complaint $reference: $message",
            button=_BUTTON["en"],
        ),
    },
    RESOLVED: {
        "ar": Wording(
            subject="$hospital: تمت معالجة شكواكم $reference",
            body="$hospital: تمت معالجة شكواكم رقم $reference. شكراً لصبركم. لمتابعتها: $link",
            button=_BUTTON["ar"],
        ),
        "en": Wording(
            subject="$hospital: your complaint $reference is resolved",
            body="$hospital: your complaint $reference has been resolved. Thank you for your patience. Status: $link",
            button=_BUTTON["en"],
        ),
    },
}


def _status_link(hospital=None, language: str = "ar") -> str:
    from .services import status_page_link

    return status_page_link() or "https://px360.example.sa/complaints/status/"


REFERENCE = Placeholder(
    "reference", _("The complaint's reference number"), sample=lambda hospital, language: "CMP-2026-000123"
)
LINK = Placeholder("link", _("The page where the complainant follows the complaint"), sample=_status_link)
EXPECTED = Placeholder(
    "expected_date",
    _("The date the complainant was told to expect an answer"),
    sample=lambda hospital, language: "2026-12-03",
)
WORDS = Placeholder(
    "message",
    _("What the coordinator wrote to the complainant"),
    sample=lambda hospital, language: (
        "نود إفادتكم بأن القسم تواصل مع الطبيب المعالج." if language == "ar" else "The clinic has called you back."
    ),
)


def register_texts() -> None:
    register(
        MessageKind(
            code=ACKNOWLEDGED,
            label=_("Complaint acknowledged"),
            placeholders=(HOSPITAL, REFERENCE, EXPECTED, LINK),
            required=("reference",),
            shipped=SHIPPED[ACKNOWLEDGED],
        )
    )
    register(
        MessageKind(
            code=MESSAGE,
            label=_("Message about a complaint"),
            placeholders=(HOSPITAL, REFERENCE, WORDS, LINK),
            required=("reference", "message"),
            shipped=SHIPPED[MESSAGE],
        )
    )
    register(
        MessageKind(
            code=RESOLVED,
            label=_("Complaint resolved"),
            placeholders=(HOSPITAL, REFERENCE, LINK),
            required=("reference",),
            shipped=SHIPPED[RESOLVED],
        )
    )
