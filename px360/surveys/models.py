"""Survey instruments (templates, questions, frozen versions), contact policies,
invitations and the answers patients give.

Instruments are data: a template and its questions are edited in the admin in
Arabic and English. Every invitation pins a :class:`SurveyTemplateVersion`, a
frozen snapshot of the words sent, so editing a template that patients have
already received never changes what their answers mean.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from px360.core.access import ModelAccess
from px360.core.choices import Channel, Language
from px360.core.models import BaseModel, SoftDeleteModel

from .choices import NPSCategory, QuestionType, SuppressionReason, SurveyStatus, TemplateKind

CHOICE_TYPES = (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
# A stored option value: it goes into answers, exports and reports.
OPTION_VALUE = re.compile(r"^[A-Za-z0-9_-]+$")


class NegativeItems(models.TextChoices):
    """Which rated questions can make a response negative by themselves."""

    ANY = "any", _("Any rated question")
    KEY = "key", _("Only the key questions")
    NONE = "none", _("None: only the overall rating and likelihood to recommend")


def choice_option_errors(question_type, options) -> list[ValidationError]:
    """What is wrong with a question's options (``[{"value", "ar", "en"}, ...]``), numbered as listed.

    Choice questions need at least two options, each with a stored value of
    Latin letters, digits, ``-`` and ``_`` used once, and both labels; other
    questions have none. The admin form and any other writer share this rule.
    """
    options = options if isinstance(options, list) else []
    if question_type not in CHOICE_TYPES:
        if options:
            return [ValidationError(_("Only choice questions have options: remove them or change the type."))]
        return []
    errors, seen = [], set()
    for number, row in enumerate(options, start=1):
        row = row if isinstance(row, dict) else {}
        value = str(row.get("value") or "").strip()
        if not value or not str(row.get("ar") or "").strip() or not str(row.get("en") or "").strip():
            errors.append(
                ValidationError(
                    _("Option %(number)d needs a stored value, an Arabic label and an English label."),
                    code="incomplete",
                    params={"number": number},
                )
            )
            continue
        if not OPTION_VALUE.match(value):
            errors.append(
                ValidationError(
                    _("Option %(number)d: the stored value may use only Latin letters, digits, - and _."),
                    code="invalid",
                    params={"number": number},
                )
            )
        if value in seen:
            errors.append(
                ValidationError(
                    _("The stored value “%(value)s” is used by two options."), code="duplicate", params={"value": value}
                )
            )
        seen.add(value)
    if len(options) < 2:
        errors.append(ValidationError(_("A choice question needs at least two options.")))
    return errors


class SurveyTemplate(SoftDeleteModel):
    """An instrument: the questions one kind of survey asks.

    Group-wide templates (no hospital) come from the instrument library; a
    hospital may add its own. Hospital users read the group-wide ones
    (``group_rows`` in the access policy) but only PX Admins change them.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_templates",
        help_text=_("Empty: a group-wide instrument every hospital may use."),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=TemplateKind.choices, default=TemplateKind.JOURNEY_STAGE)
    name = models.CharField(_("name"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True, help_text=_("Shown above the first question."))
    thank_you = models.TextField(_("thank-you text"), blank=True, help_text=_("Shown after the patient submits."))
    is_active = models.BooleanField(_("active"), default=True)
    # When is a response negative? (DOMAIN.md: bottom box, overall rating, NPS detractor.)
    negative_items = models.CharField(
        _("rated questions that make a response negative"),
        max_length=8,
        choices=NegativeItems.choices,
        default=NegativeItems.ANY,
        help_text=_("An answer in the bottom box on one of these questions makes the whole response negative."),
    )
    negative_rating_max = models.PositiveSmallIntegerField(
        _("bottom box of a 1–5 rating: at most"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("2: “very poor” and “poor” are the bottom box."),
    )
    negative_scale_max = models.PositiveSmallIntegerField(
        _("bottom box of a 0–10 rating: at most"),
        default=6,
        validators=[MaxValueValidator(9)],
        help_text=_("For 0–10 overall ratings: 0–6 is the usual bottom box of an overall hospital rating."),
    )
    negative_overall = models.BooleanField(
        _("an overall rating in the bottom box"),
        default=True,
        help_text=_("Whatever the rated questions above, a low overall rating makes the response negative."),
    )
    overall_questions = models.JSONField(
        _("overall rating questions"),
        default=list,
        blank=True,
        help_text=_("The codes of the questions that rate the visit or the hospital as a whole."),
    )
    negative_detractor = models.BooleanField(
        _("a detractor on likelihood to recommend"),
        default=True,
        help_text=_("0 to 6 on “how likely are you to recommend us” (NPS detractors)."),
    )

    px_access = ModelAccess(hospital="hospital", reference=True, group_rows=True)

    class Meta:
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        ordering = ["code"]

    def __str__(self):
        # The name in the reader's language; the code stays in its own column.
        return self.name or self.code

    def clean(self):
        super().clean()
        if self.negative_items == NegativeItems.NONE and not self.negative_overall and not self.negative_detractor:
            raise ValidationError(
                _(
                    "With every rule switched off no response of this survey is ever negative: "
                    "count rated questions, overall ratings or detractors."
                ),
                code="no_rule",
            )

    def negative_definition(self):
        """The rules that decide whether a response to this survey is negative."""
        from .scoring import NegativeDefinition

        return NegativeDefinition(
            items=self.negative_items,
            rating_max=self.negative_rating_max,
            scale_max=self.negative_scale_max,
            overall=self.negative_overall,
            overall_questions=tuple(self.overall_questions or ()),
            detractor=self.negative_detractor,
        )

    @property
    def latest_version(self):
        return self.versions.order_by("-number").first()


class SurveyQuestion(BaseModel):
    """One question of a template, in both languages.

    ``choices`` holds the options of choice questions as data:
    ``[{"value": "web", "ar": "...", "en": "..."}, ...]``. A question with
    ``follow_up_of`` is shown only when the patient gave that question a low
    score (1–2 on a rating, 0–6 on likelihood to recommend, "no").
    """

    template = models.ForeignKey(
        SurveyTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0, db_index=True)
    code = models.SlugField(_("code"), max_length=60)
    text = models.CharField(_("question"), max_length=500)
    question_type = models.CharField(_("type"), max_length=20, choices=QuestionType.choices)
    choices = models.JSONField(
        _("options"),
        default=list,
        blank=True,
        help_text=_('For choice questions: a list of {"value": ..., "ar": ..., "en": ...}.'),
    )
    required = models.BooleanField(_("required"), default=True)
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("follow-up of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text=_("Shown only after a low score on that question."),
    )
    dimension = models.SlugField(
        _("dimension"),
        max_length=60,
        blank=True,
        help_text=_("Composite this item belongs to, e.g. nurse_communication."),
    )
    is_key = models.BooleanField(
        _("key question"), default=False, help_text=_("A low score marks the response negative.")
    )

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["template", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "code"],
                name="surveys_question_code_per_template",
                violation_error_message=_("This template already has a question with this code."),
            )
        ]

    def __str__(self):
        return self.text or self.code

    def clean(self):
        super().clean()
        option_errors = choice_option_errors(self.question_type, self.choices)
        if option_errors:
            raise ValidationError({"choices": option_errors})
        if self.follow_up_of_id:
            if self.follow_up_of.template_id != self.template_id:
                raise ValidationError({"follow_up_of": _("A follow-up must belong to the same template.")})
            if self.follow_up_of.question_type not in (QuestionType.RATING, QuestionType.NPS, QuestionType.YES_NO):
                raise ValidationError({"follow_up_of": _("Only scored questions can have a follow-up.")})


class SurveyTemplateVersion(BaseModel):
    """A frozen copy of a template's texts and questions, as patients received it.

    Created when an invitation is made and the template has changed since the
    last version; never edited afterwards.
    """

    template = models.ForeignKey(
        SurveyTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("content"))
    fingerprint = models.CharField(_("fingerprint"), max_length=64, editable=False)

    px_access = ModelAccess(hospital="template__hospital", reference=True)

    class Meta:
        verbose_name = _("survey template version")
        verbose_name_plural = _("survey template versions")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"],
                name="surveys_version_number_per_template",
                violation_error_message=_("This template already has this version."),
            )
        ]

    def __str__(self):
        return f"{self.template if self.template_id else '-'} · v{self.number}"

    def questions(self) -> list[dict]:
        return self.snapshot.get("questions", [])

    def question(self, code: str) -> dict | None:
        return next((q for q in self.questions() if q["code"] == code), None)


def default_channel_order():
    return [Channel.WHATSAPP.value, Channel.SMS.value, Channel.EMAIL.value]


class SurveyPolicy(BaseModel):
    """A hospital's contact rules for surveys (DOMAIN.md defaults).

    Hospitals without a row get these defaults (``services.policy_for``).
    """

    hospital = models.OneToOneField(
        "organizations.Hospital", verbose_name=_("hospital"), on_delete=models.CASCADE, related_name="survey_policy"
    )
    frequency_days = models.PositiveSmallIntegerField(
        _("one survey per patient every (days)"), default=30, validators=[MinValueValidator(0)]
    )
    maximum_visit_age_days = models.PositiveSmallIntegerField(
        _("survey visits that ended at most (days) ago"),
        default=14,
        validators=[MinValueValidator(1)],
        help_text=_(
            "An older visit gets no survey: a back-loaded file or a late HIS message must not invite "
            "patients about visits they no longer remember."
        ),
    )
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), default=18)
    survey_guardian = models.BooleanField(
        _("survey a minor's guardian"), default=True, help_text=_("When a guardian contact is recorded.")
    )
    quiet_hours_start = models.TimeField(_("quiet hours start"), default=datetime.time(21, 0))
    quiet_hours_end = models.TimeField(_("quiet hours end"), default=datetime.time(8, 0))
    link_expiry_days = models.PositiveSmallIntegerField(
        _("link expires after (days)"), default=7, validators=[MinValueValidator(1)]
    )
    reminder_count = models.PositiveSmallIntegerField(_("reminders"), default=1, validators=[MaxValueValidator(5)])
    reminder_interval_hours = models.PositiveSmallIntegerField(
        _("hours between reminders"), default=48, validators=[MinValueValidator(1)]
    )
    channel_order = models.JSONField(
        _("channel order"),
        default=default_channel_order,
        help_text=_('Tried in this order, e.g. ["whatsapp", "sms", "email"].'),
    )
    excluded_department_codes = models.JSONField(
        _("excluded departments"),
        default=list,
        blank=True,
        help_text=_('Department codes never surveyed, e.g. ["PSY", "HOSPICE"].'),
    )

    px_access = ModelAccess(hospital="hospital")

    class Meta:
        verbose_name = _("survey contact policy")
        verbose_name_plural = _("survey contact policies")
        ordering = ["hospital__code"]

    def __str__(self):
        # The hospital's name in the reader's language (its code has its own column).
        return self.hospital.name if self.hospital_id else "-"

    def clean(self):
        super().clean()
        order = self.channel_order if isinstance(self.channel_order, list) else None
        if not order or any(channel not in Channel.values for channel in order) or len(set(order)) != len(order):
            raise ValidationError(
                {
                    "channel_order": _("List each channel at most once: %(channels)s.")
                    % {"channels": ", ".join(Channel.values)}
                }
            )


class GuardianContact(BaseModel):
    """How to reach a minor patient's guardian, who then gets the survey."""

    patient = models.OneToOneField(
        "organizations.Patient", verbose_name=_("patient"), on_delete=models.CASCADE, related_name="survey_guardian"
    )
    relationship = models.CharField(_("relationship"), max_length=60, blank=True)
    phone = models.CharField(
        _("phone"), max_length=16, blank=True, help_text=_("International format, e.g. +966501234567.")
    )
    email = models.EmailField(_("e-mail"), blank=True)

    px_access = ModelAccess(hospital="patient__hospital")
    px_personal_data = True

    class Meta:
        verbose_name = _("guardian contact")
        verbose_name_plural = _("guardian contacts")

    def __str__(self):
        return str(self.patient_id and self.patient.mrn)

    def clean(self):
        super().clean()
        from px360.core.validators import normalize_phone

        if not self.phone and not self.email:
            raise ValidationError(_("Give a phone number or an e-mail address."))
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except ValidationError as error:
                raise ValidationError({"phone": error.messages}) from None


class SurveyInstance(BaseModel):
    """One invitation of one patient to one survey — or the record of why none was sent.

    ``trigger_key`` makes triggering idempotent (one row per journey stage);
    ``token`` is the opaque random id inside the signed link. The row, not the
    link, decides whether the survey can still be answered.
    """

    template = models.ForeignKey(
        SurveyTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="instances"
    )
    version = models.ForeignKey(
        SurveyTemplateVersion,
        verbose_name=_("template version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="instances",
    )
    hospital = models.ForeignKey(
        "organizations.Hospital", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="survey_instances"
    )
    patient = models.ForeignKey(
        "organizations.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="survey_instances"
    )
    encounter = models.ForeignKey(
        "journeys.Encounter",
        verbose_name=_("encounter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_instances",
    )
    journey_stage = models.ForeignKey(
        "journeys.JourneyStageInstance",
        verbose_name=_("journey stage"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_instances",
    )
    journey_type = models.CharField(_("journey type"), max_length=10, blank=True)
    trigger_key = models.CharField(_("trigger"), max_length=100, unique=True, editable=False)
    token = models.CharField(_("link id"), max_length=64, unique=True, editable=False)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.ARABIC)
    to_guardian = models.BooleanField(_("sent to the guardian"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=SurveyStatus.choices, default=SurveyStatus.SCHEDULED, db_index=True
    )
    suppression_reason = models.CharField(
        _("suppression reason"), max_length=24, choices=SuppressionReason.choices, blank=True
    )
    suppression_detail = models.CharField(_("suppression detail"), max_length=200, blank=True)
    triggered_at = models.DateTimeField(_("triggered at"))
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True, db_index=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_contacted_at = models.DateTimeField(_("last contacted at"), null=True, blank=True)

    px_access = ModelAccess(
        hospital="hospital", department="encounter__department", physician="encounter__attending_physician"
    )
    px_personal_data = True

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-triggered_at"]
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="surveys_inst_due_idx"),
            models.Index(fields=["patient", "status"], name="surveys_inst_patient_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="suppressed") | ~Q(suppression_reason=""),
                name="surveys_suppression_has_reason",
                violation_error_message=_("A suppressed invitation needs a reason."),
            )
        ]

    def __str__(self):
        return f"{self.template if self.template_id else '-'} · {str(self.pk)[:8]}"

    @property
    def reference(self) -> str:
        """Template code and short id: what is stored in other rows, whatever the language."""
        return f"{self.template.code if self.template_id else '-'} · {str(self.pk)[:8]}"

    @property
    def is_answerable(self) -> bool:
        from django.utils import timezone

        return self.status in SurveyStatus.answerable() and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class SurveySuppression(SurveyInstance):
    """Suppressed invitations, listed on their own in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("suppressed survey")
        verbose_name_plural = _("suppressed surveys")


class SurveyResponse(BaseModel):
    """The answers to one invitation (at most one), and its scores.

    Saved while the patient fills the page (``submitted_at`` empty), then
    scored once, when they submit.
    """

    instance = models.OneToOneField(
        SurveyInstance, verbose_name=_("invitation"), on_delete=models.PROTECT, related_name="response"
    )
    hospital = models.ForeignKey(
        "organizations.Hospital", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="survey_responses"
    )
    template = models.ForeignKey(
        SurveyTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="responses"
    )
    version = models.ForeignKey(
        SurveyTemplateVersion, verbose_name=_("template version"), on_delete=models.PROTECT, related_name="responses"
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, db_index=True)
    attributed_to = models.DateField(
        _("counts for"), null=True, blank=True, help_text=_("The discharge or visit date the response counts for.")
    )
    mean_score = models.DecimalField(_("mean score (0–100)"), max_digits=5, decimal_places=2, null=True, blank=True)
    top_box_percent = models.DecimalField(_("top box (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    nps_value = models.PositiveSmallIntegerField(_("likelihood to recommend"), null=True, blank=True)
    nps_category = models.CharField(_("NPS category"), max_length=10, choices=NPSCategory.choices, blank=True)
    is_negative = models.BooleanField(_("negative"), default=False, db_index=True)
    negative_reasons = models.JSONField(
        _("why negative"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("The answers that made the response negative and the rule each met, as scored."),
    )
    comments = models.TextField(_("comments"), blank=True, help_text=_("The free-text answers, for quick reading."))

    px_access = ModelAccess(
        hospital="hospital",
        department="instance__encounter__department",
        physician="instance__encounter__attending_physician",
    )
    px_personal_data = True

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at", "-created_at"]
        permissions = [("export_surveyresponse", _("Can export survey responses"))]

    def __str__(self):
        return f"{self.template if self.template_id else '-'} · {str(self.pk)[:8]}"

    def negative_reason_rows(self, language: str) -> list[dict]:
        """The stored reasons in ``language``: the question as the patient read it, the
        answer and the rule it met, in words. Numbers and codes are kept apart for
        ``<bdi>`` isolation."""
        questions = {q["code"]: q for q in self.version.questions()} if self.version_id else {}
        rows = []
        for reason in self.negative_reasons or []:
            code = str(reason.get("question", ""))
            question = questions.get(code, {})
            value, scale = reason.get("value"), reason.get("scale")
            label = ""
            if scale == 5 and isinstance(value, int) and 1 <= value <= 5:
                label = RATING_LABELS[value - 1]
            rule = NEGATIVE_RULE_TEXTS.get(reason.get("rule"))
            if rule is not None:
                # Numbers read left to right inside an Arabic sentence.
                # The translation is escaped; the numbers come from format_html.
                rule = mark_safe(
                    conditional_escape(str(rule))
                    % {
                        "max": format_html('<bdi dir="ltr">{}</bdi>', reason.get("max")),
                        "scale": format_html('<bdi dir="ltr">{}</bdi>', SCALE_TEXTS.get(scale, scale)),
                    }
                )
            rows.append(
                {
                    "code": code,
                    "question": question.get(f"text_{language}") or question.get("text_ar") or code,
                    "value": value,
                    "scale": scale,
                    "label": label,
                    "rule": rule,
                    "rule_code": reason.get("rule", ""),
                }
            )
        return rows


# A scale's range, kept on one line (word joiners around the dash).
SCALE_TEXTS = {5: "1\u2060–\u20605", 10: "0\u2060–\u206010"}

# The answer labels of a 1–5 rating, as the survey page shows them.
RATING_LABELS = [_("Very poor"), _("Poor"), _("Fair"), _("Good"), _("Very good")]

# ``SurveyResponse.negative_reasons[].rule`` in words (scoring.NegativeRule).
NEGATIVE_RULE_TEXTS = {
    "bottom_box": _("Bottom box of a rated question: at most %(max)s on the %(scale)s scale"),
    "key_bottom_box": _("Bottom box of a key question: at most %(max)s on the %(scale)s scale"),
    "overall": _("Bottom box of the overall rating: at most %(max)s on the %(scale)s scale"),
    "detractor": _("Detractor on likelihood to recommend: at most %(max)s on the %(scale)s scale"),
}


class SurveyAnswer(BaseModel):
    """One answer, tied to the question code of the version the patient saw."""

    response = models.ForeignKey(
        SurveyResponse, verbose_name=_("response"), on_delete=models.CASCADE, related_name="answers"
    )
    question_code = models.SlugField(_("question"), max_length=60)
    question_type = models.CharField(_("type"), max_length=20, choices=QuestionType.choices)
    value_number = models.SmallIntegerField(_("number"), null=True, blank=True)
    value_text = models.TextField(_("text"), blank=True)
    value_choices = models.JSONField(_("choices"), default=list, blank=True)
    score = models.DecimalField(_("score (0–100)"), max_digits=5, decimal_places=2, null=True, blank=True)
    is_top_box = models.BooleanField(_("top box"), null=True, blank=True)

    px_access = ModelAccess(hospital="response__hospital")
    px_personal_data = True

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["response", "question_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question_code"],
                name="surveys_one_answer_per_question",
                violation_error_message=_("This question is already answered."),
            )
        ]

    def __str__(self):
        return self.question_code


__all__ = [
    "GuardianContact",
    "NegativeItems",
    "SurveyAnswer",
    "SurveyInstance",
    "SurveyPolicy",
    "SurveyQuestion",
    "SurveyResponse",
    "SurveySuppression",
    "SurveyTemplate",
    "SurveyTemplateVersion",
]
