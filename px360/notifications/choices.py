"""Enums of the notifications app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from px360.core.choices import Channel

__all__ = ["Channel", "NotificationPurpose", "NotificationStatus"]


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
