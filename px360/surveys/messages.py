"""The survey messages patients receive, as PX360 ships them, in Arabic and English.

Texts are data, not gettext strings: what a patient reads must not depend on
the state of a translation catalogue, and both languages are reviewed side by
side here. Placeholders use ``string.Template`` (``$hospital``, ``$link``), so
no other attribute can be reached from a text. Messages carry the hospital
and the link only — never a name, MRN or national ID. Hospitals and the group
may edit these texts in the admin (Surveys → Message texts); this wording is
what a message falls back to.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from px360.notifications.choices import NotificationPurpose
from px360.notifications.message_kinds import HOSPITAL, MessageKind, Placeholder, Wording, register

SHIPPED = {
    NotificationPurpose.SURVEY_INVITATION: {
        "ar": Wording(
            subject="$hospital: شاركنا رأيك",
            body="$hospital: شكراً لزيارتكم. نرجو تقييم تجربتكم (دقيقتان): $link",
            stop="للإيقاف أرسل: إيقاف",
            button="ابدأ الاستبيان",
            opt_out="إيقاف الرسائل",
        ),
        "en": Wording(
            subject="$hospital: tell us how we did",
            body="$hospital: thank you for your visit. Please rate your experience (2 minutes): $link",
            stop="Reply STOP to opt out",
            button="Start the survey",
            opt_out="Stop these messages",
        ),
    },
    NotificationPurpose.SURVEY_REMINDER: {
        "ar": Wording(
            subject="$hospital: تذكير بالاستبيان",
            body="$hospital: تذكير لطيف — رأيكم يهمنا: $link",
            stop="للإيقاف أرسل: إيقاف",
            button="ابدأ الاستبيان",
            opt_out="إيقاف الرسائل",
        ),
        "en": Wording(
            subject="$hospital: a reminder",
            body="$hospital: a gentle reminder — your opinion matters to us: $link",
            stop="Reply STOP to opt out",
            button="Start the survey",
            opt_out="Stop these messages",
        ),
    },
}


def sample_link(hospital=None, language: str = "ar") -> str:
    """A survey link as long as the ones patients receive; it names no invitation."""
    from .models import SurveyInstance
    from .services import _new_token, survey_link

    return survey_link(SurveyInstance(token="0" * len(_new_token())))


LINK = Placeholder("link", _("The patient's own survey link"), sample=sample_link)


def register_message_kinds() -> None:
    labels = dict(NotificationPurpose.choices)
    for purpose, wording in SHIPPED.items():
        register(
            MessageKind(
                code=purpose.value,
                label=labels[purpose],
                placeholders=(HOSPITAL, LINK),
                required=("link",),
                shipped=wording,
            )
        )
