"""Sending systems, their API keys, and every message they sent."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from px360.core.access import ModelAccess
from px360.core.history import history_user
from px360.core.models import BaseModel

from .choices import EventFormat, EventStatus


class IntegrationSource(BaseModel):
    """A system that sends HIS events (an HIS instance, an interface engine).

    A source may only send events for the hospitals it is limited to.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    hospitals = models.ManyToManyField(
        "organizations.Hospital", verbose_name=_("hospitals"), related_name="integration_sources"
    )
    is_active = models.BooleanField(_("active"), default=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("rate limit per minute"), default=600, help_text=_("Requests a key of this source may make each minute.")
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[hospitals], get_user=history_user)

    px_access = ModelAccess(hospital="hospitals")

    class Meta:
        verbose_name = _("integration source")
        verbose_name_plural = _("integration sources")
        ordering = ["code"]

    def __str__(self):
        return self.code


class ApiKey(BaseModel):
    """A secret a source sends as ``Authorization: Api-Key <key>``.

    Only a SHA-256 hash is stored (keys are long random strings, so a slow
    hash adds nothing); the full key is shown once, when it is created.
    """

    source = models.ForeignKey(
        IntegrationSource, verbose_name=_("source"), on_delete=models.CASCADE, related_name="keys"
    )
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    px_access = ModelAccess(hospital="source__hospitals")

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class InboundEvent(BaseModel):
    """One message a source sent, stored before it is acknowledged.

    Accepted messages are unique per (source, message id): a message sent
    again is recognised and not processed twice. Rejected messages (malformed,
    wrong hospital) are kept too, with the problems, for the analyst.
    """

    source = models.ForeignKey(
        IntegrationSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="events"
    )
    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message_id = models.CharField(_("message ID"), max_length=100, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=EventFormat.choices)
    event_type = models.CharField(_("event type"), max_length=10, blank=True, db_index=True)
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    encounter_number = models.CharField(_("encounter number"), max_length=40, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=EventStatus.choices, default=EventStatus.RECEIVED, db_index=True
    )
    raw = models.TextField(_("message as received"))
    payload = models.JSONField(_("message as read"), default=dict, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    error = models.TextField(_("processing error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    encounter = models.ForeignKey(
        "journeys.Encounter",
        verbose_name=_("encounter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_events",
    )

    px_access = ModelAccess(hospital="hospital")
    px_personal_data = True

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        ordering = ["-received_at"]
        # Rejected messages are outside the unique constraint's index; this one
        # finds a rejected message sent again (and serves the message-id search).
        indexes = [models.Index(fields=["source", "message_id"], name="integrations_event_source_msg")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "message_id"],
                condition=~Q(status="rejected") & ~Q(message_id=""),
                name="integrations_event_once_per_source",
                violation_error_message=_("This source already sent a message with this ID."),
            )
        ]
        permissions = [("reprocess_inboundevent", _("Can retry and reprocess inbound events"))]

    def __str__(self):
        return self.message_id or str(self.pk)
