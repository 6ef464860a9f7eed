"""The notification outbox: every message PX360 sends, and what became of it.

Services only ever *queue* a row; the ``send_due`` job claims and sends it, so
nothing is sent inside a web request and each row is sent at most once. Staff
notices (:class:`StaffNotice`) live in each user's inbox and reach them by
e-mail through the same outbox, at once or in a daily digest, as each user
chooses (:class:`StaffNoticeSettings`).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from px360.core.access import ModelAccess
from px360.core.choices import Channel, Language
from px360.core.history import history_user
from px360.core.models import BaseModel

from .choices import NotificationPurpose, NotificationStatus
from .kinds import EmailDelivery, StaffPurpose, label_of

# Patient messages and messages to members of staff share the outbox.
PURPOSES = [*NotificationPurpose.choices, *StaffPurpose.choices]


class Notification(BaseModel):
    """One message to one recipient on one channel.

    ``idempotency_key`` is unique: queueing the same message twice (a re-run
    job) finds the existing row instead of adding one. ``recipient`` is a phone
    number or address, so ``__str__`` leaves it out. A message to a patient
    names the patient; a message to a member of staff names the ``user`` (and
    the hospital only when the user has one: group-wide users have none).
    """

    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member of staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
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
    purpose = models.CharField(_("purpose"), max_length=24, choices=PURPOSES)
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
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notif_due_idx"),
            # Coordinators find messages by the number or address they went to.
            models.Index(Upper("recipient"), name="notif_recipient_upper"),
        ]

    def __str__(self):
        # The purpose's name in the reader's language (the template key is a code, shown on its own).
        return f"{self.get_channel_display()} · {self.get_purpose_display()} · {str(self.pk)[:8]}"

    @property
    def masked_recipient(self) -> str:
        value = self.recipient or ""
        if "@" in value:
            name, _sep, domain = value.partition("@")
            return f"{name[:1]}…@{domain}"
        return f"…{value[-4:]}" if value else ""


DEFAULT_DIGEST_HOUR = 7  # 07:00 in Riyadh, before the morning round


class StaffNotice(BaseModel):
    """One notice in one member of staff's inbox: something that needs them.

    Apps create notices through :func:`px360.notifications.services.notify_staff`
    with a registered kind (:mod:`px360.notifications.kinds`); the text is the
    kind's title filled with ``params`` in the reader's language, so a notice
    reads in Arabic or English whichever the reader uses. ``delivery`` is how
    its e-mail was decided when it was created (none, at once, or in the daily
    digest); ``mailed_at`` is when that e-mail was queued in the outbox.
    ``idempotency_key`` is unique: a job that notifies twice notifies once.
    Only its recipient ever reads a notice.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member of staff"),
        on_delete=models.CASCADE,
        related_name="staff_notices",
    )
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=60)
    params = models.JSONField(_("details"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    delivery = models.CharField(_("e-mail"), max_length=10, choices=EmailDelivery.choices, default=EmailDelivery.NONE)
    mailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True, editable=False)

    px_access = ModelAccess(owner="user_id")

    class Meta:
        verbose_name = _("staff notice")
        verbose_name_plural = _("staff notices")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="staff_notice_unread_idx"),
            models.Index(fields=["user", "-created_at"], name="staff_notice_inbox_idx"),
            models.Index(
                fields=["user"],
                name="staff_notice_digest_idx",
                condition=Q(delivery="digest", mailed_at__isnull=True),
            ),
        ]

    def __str__(self):
        # The kind's name in the reader's language, not its code.
        return f"{label_of(self.kind)} · {str(self.pk)[:8]}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class StaffNoticeSettings(BaseModel):
    """A member of staff's notification choices.

    ``deliveries`` maps a notice kind's code to how its e-mail should come
    (:class:`~px360.notifications.kinds.EmailDelivery`); a kind missing from it
    follows the kind's default. The inbox always receives every notice.
    ``digest_hour`` is the hour (Riyadh time) the daily digest is sent.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member of staff"),
        on_delete=models.CASCADE,
        related_name="notice_settings",
    )
    deliveries = models.JSONField(_("e-mail per kind of notice"), default=dict, blank=True)
    digest_hour = models.PositiveSmallIntegerField(
        _("daily digest at"),
        default=DEFAULT_DIGEST_HOUR,
        validators=[MaxValueValidator(23)],
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text=_("Riyadh time. Notices you chose to receive in the digest arrive in one e-mail a day."),
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user)

    px_access = ModelAccess(owner="user_id")

    class Meta:
        verbose_name = _("notification choices")
        verbose_name_plural = _("notification choices")

    def __str__(self):
        return str(_("Notification choices"))
