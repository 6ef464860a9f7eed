"""The notification outbox: every message PX360 sends, and what became of it.

Services only ever *queue* a row; the ``send_due`` job claims and sends it, so
nothing is sent inside a web request and each row is sent at most once.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from px360.core.access import ModelAccess
from px360.core.choices import Channel, Language
from px360.core.models import BaseModel

from .choices import NotificationPurpose, NotificationStatus


class Notification(BaseModel):
    """One message to one recipient on one channel.

    ``idempotency_key`` is unique: queueing the same message twice (a re-run
    job) finds the existing row instead of adding one. ``recipient`` is a phone
    number or address, so ``__str__`` leaves it out.
    """

    hospital = models.ForeignKey(
        "organizations.Hospital", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="notifications"
    )
    patient = models.ForeignKey(
        "organizations.Patient",
        verbose_name=_("patient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    survey_instance = models.ForeignKey(
        "surveys.SurveyInstance",
        verbose_name=_("survey invitation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    purpose = models.CharField(_("purpose"), max_length=24, choices=NotificationPurpose.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    template_key = models.CharField(_("message template"), max_length=60)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    provider_id = models.CharField(_("provider's id"), max_length=120, blank=True, db_index=True)
    error = models.TextField(_("error"), blank=True)
    fallback_from = models.ForeignKey(
        "self",
        verbose_name=_("fallback for"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fallbacks",
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True, editable=False)

    px_access = ModelAccess(hospital="hospital")
    px_personal_data = True

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notif_due_idx")]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.template_key} · {str(self.pk)[:8]}"

    @property
    def masked_recipient(self) -> str:
        value = self.recipient or ""
        if "@" in value:
            name, _sep, domain = value.partition("@")
            return f"{name[:1]}…@{domain}"
        return f"…{value[-4:]}" if value else ""
