from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EventFormat(models.TextChoices):
    JSON = "json", _("JSON")
    HL7 = "hl7", _("HL7 v2")


class EventStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("event", "Received")
    PROCESSED = "processed", pgettext_lazy("event", "Processed")
    FAILED = "failed", pgettext_lazy("event", "Failed")
    REJECTED = "rejected", pgettext_lazy("event", "Rejected")
