"""Enums of the notifications app."""

import re

from django.db import models
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from px360.core.choices import Channel

__all__ = ["CANCEL_REASONS", "Channel", "NotificationPurpose", "NotificationStatus", "cancel_reason_text"]


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("notification", "Queued")
    SENDING = "sending", pgettext_lazy("notification", "Sending")
    SENT = "sent", pgettext_lazy("notification", "Sent")
    DELIVERED = "delivered", pgettext_lazy("notification", "Delivered")
    FAILED = "failed", pgettext_lazy("notification", "Failed")
    CANCELLED = "cancelled", pgettext_lazy("notification", "Cancelled")


class NotificationPurpose(models.TextChoices):
    SURVEY_INVITATION = "survey_invitation", _("Survey invitation")
    SURVEY_REMINDER = "survey_reminder", _("Survey reminder")
    COMPLAINT_UPDATE = "complaint_update", _("Complaint update")


# Why a message was cancelled, for the reasons PX360 itself records (stored by code in
# ``Notification.error``, worded in the reader's language when shown).
CANCEL_REASONS = {
    "opted_out": _("The patient opted out of this channel."),
    "survey_completed": _("The survey was answered before this message went out."),
    "expired": _("The survey link expired."),
    "survey_expired": _("The survey link expired."),
    "cancelled": _("The invitation was cancelled."),
    "survey_cancelled": _("The invitation was cancelled."),
    "survey_suppressed": _("A contact rule stopped the invitation."),
    "deceased": _("The patient is recorded as deceased."),
    "inactive_user": _("The member of staff's account is no longer active."),
}

#: A cancellation by a member of staff is stored as this prefix and their username.
CANCELLED_BY = "cancelled by "
_HL7_EVENT = re.compile(r"^A\d\d$")


def cancel_reason_text(reason: str):
    """A stored cancellation reason in the reader's words (HTML), or None when PX360 did not word it.

    Reasons are stored as codes whatever the language of whoever cancelled: a
    code of :data:`CANCEL_REASONS`, ``cancelled by <username>``, or the HL7
    event that cancelled the visit (``A11``, ``A13``).
    """
    from px360.core.admin.bidi import ltr

    if reason in CANCEL_REASONS:
        return CANCEL_REASONS[reason]
    if reason.startswith(CANCELLED_BY) and len(reason) > len(CANCELLED_BY):
        return _worded(gettext("Cancelled by %(user)s"), user=ltr(reason[len(CANCELLED_BY) :]))
    if _HL7_EVENT.match(reason):
        return _worded(gettext("Cancelled by the HIS message %(event)s"), event=ltr(reason))
    return None


def _worded(text: str, **values) -> str:
    """A translated sentence (escaped) with its isolated values put in."""
    return mark_safe(escape(text) % values)
