"""The notification outbox: every message PX360 sends, and what became of it.

Services only ever *queue* a row; the ``send_due`` job claims and sends it, so
nothing is sent inside a web request and each row is sent at most once. Staff
notices (:class:`StaffNotice`) live in each user's inbox and reach them by
e-mail through the same outbox, at once or in a daily digest, as each user
chooses (:class:`StaffNoticeSettings`). The texts patients receive are the
wording each message kind ships with, unless a hospital or the group has
edited it (:class:`MessageText`).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.models import HistoricalRecords

from px360.core.access import ModelAccess
from px360.core.choices import Channel, Language
from px360.core.history import history_user
from px360.core.models import BaseModel

from . import message_kinds
from .choices import NotificationPurpose, NotificationStatus
from .kinds import EmailDelivery, StaffPurpose, label_of
from .sms import MAX_PARTS, SmsLength, sms_length

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


#: A text's channel: one channel, or blank for every channel without a text of its own.
TEXT_CHANNELS = [("", _("Every channel")), *Channel.choices]


class MessageText(BaseModel):
    """The wording of one kind of message to patients, edited for a hospital or the whole group.

    A message uses the most specific active text: its hospital's for its
    channel, its hospital's for every channel, the group's (no hospital) for
    its channel, the group's for every channel, and else the wording the kind
    ships with (:mod:`px360.notifications.message_kinds`). Only the kind's
    placeholders are allowed, so a text can name the hospital and carry the
    link, never the patient. One row per kind, hospital, language and channel:
    deactivate a text to fall back to the next one.
    """

    kind = models.CharField(_("kind of message"), max_length=60, choices=message_kinds.kind_choices)
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="message_texts",
        help_text=_("Empty: the group's text, used by hospitals without their own."),
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=TEXT_CHANNELS,
        blank=True,
        default="",
        help_text=_("Every channel: used for SMS, WhatsApp and e-mail unless one of them has its own text."),
    )
    subject = models.CharField(
        _("subject"), max_length=200, blank=True, help_text=_("The e-mail's subject; SMS and WhatsApp do not use it.")
    )
    body = models.TextField(
        _("text"),
        validators=[MaxLengthValidator(1000)],
        help_text=_(
            "SMS and WhatsApp messages end with how to opt out, in the message's language; "
            "an e-mail shows the link as a button."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user)

    px_access = ModelAccess(hospital="hospital", group_rows=True)

    class Meta:
        verbose_name = _("message text")
        verbose_name_plural = _("message texts")
        ordering = ["kind", "hospital__code", "language", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "hospital", "language", "channel"],
                condition=Q(hospital__isnull=False),
                name="notif_one_text_per_hospital",
                violation_error_message=_(
                    "This hospital already has a text for this message, language and channel: change that one."
                ),
            ),
            # NULL is never equal to NULL: the group's rows need their own constraint.
            models.UniqueConstraint(
                fields=["kind", "language", "channel"],
                condition=Q(hospital__isnull=True),
                name="notif_one_group_text",
                violation_error_message=_(
                    "The group already has a text for this message, language and channel: change that one."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_language_display()} · {self.get_channel_display()}"

    @property
    def message_kind(self) -> message_kinds.MessageKind | None:
        return message_kinds.find(self.kind)

    def sample_sms(self) -> str | None:
        """The SMS this text would send, with sample values (``None`` when it is never sent by SMS)."""
        kind = self.message_kind
        if kind is None or self.channel not in ("", Channel.SMS):
            return None
        hospital = self.hospital if self.hospital_id else None
        body = message_kinds.fill(self.body, kind.sample_context(hospital, self.language))
        return message_kinds.with_stop(body, kind.wording(self.language))

    def sms_length(self) -> SmsLength | None:
        text = self.sample_sms()
        return sms_length(text) if text is not None else None

    def clean(self):
        super().clean()
        self.subject = (self.subject or "").strip()
        self.body = (self.body or "").strip()
        kind = self.message_kind
        if kind is None:
            return  # an unknown kind is refused by the field's choices
        errors: dict[str, list] = {}
        for name in ("subject", "body"):
            problems = message_kinds.check_placeholders(getattr(self, name), kind)
            if problems:
                errors[name] = problems
        if "body" not in errors:
            for code in message_kinds.missing_required(self.body, kind):
                placeholder = kind.placeholder(code)
                errors.setdefault("body", []).append(
                    _("The text must contain %(placeholder)s (%(description)s).")
                    % {"placeholder": message_kinds.isolated(placeholder.token), "description": placeholder.description}
                )
        if self.channel in ("", Channel.EMAIL) and not self.subject:
            errors["subject"] = [_("An e-mail needs a subject: give this text one, or choose SMS or WhatsApp.")]
        if "body" not in errors and self.language in Language.values:
            length = self.sms_length()
            if length is not None and length.parts > MAX_PARTS:
                errors["body"] = [
                    ngettext(
                        "As an SMS this text takes %(parts)d parts; at most %(max)d part is sent. Shorten it.",
                        "As an SMS this text takes %(parts)d parts; at most %(max)d parts are sent. Shorten it.",
                        MAX_PARTS,
                    )
                    % {"parts": length.parts, "max": MAX_PARTS}
                ]
        if errors:
            raise ValidationError(errors)
