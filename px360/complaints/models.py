"""Complaints, inquiries and feedback (compliments and suggestions), coded with HCAT.

Every write goes through :mod:`px360.complaints.services` — the admin, the
public form, the 937 import, a survey comment and, later, the call centre and
social listening all call the same functions, so references, clocks, history
and messages follow one path.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from px360.core.access import ModelAccess
from px360.core.history import history_user
from px360.core.models import BaseModel

from .choices import (
    Channel,
    ComplainantKind,
    ComplaintStatus,
    FeedbackKind,
    FeedbackStatus,
    Harm,
    HCATDomain,
    InquiryStatus,
    Language,
    Relation,
    Severity,
    StageOfCare,
    UpdateKind,
)


class HCATCategory(BaseModel):
    """A category of the Healthcare Complaints Analysis Tool, or a sub-category an admin added under one."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    domain = models.CharField(_("domain"), max_length=20, choices=HCATDomain.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subcategories",
        limit_choices_to={"parent__isnull": True},
        help_text=_("Empty for one of the published categories; a sub-category names the category it refines."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    # Group-wide coding data every member reads; only a PX Admin changes it.
    px_access = ModelAccess(shared=True)

    class Meta:
        verbose_name = _("HCAT category")
        verbose_name_plural = _("HCAT categories")
        ordering = ["domain", "sort_order", "code"]

    def __str__(self):
        if self.parent_id:
            return f"{self.parent} › {self.name}"
        return self.name

    def clean(self):
        super().clean()
        from django.core.exceptions import ValidationError

        if self.parent_id:
            if self.parent.parent_id:
                raise ValidationError({"parent": _("A sub-category refines one of the published categories.")})
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("A category cannot refine itself.")})
            self.domain = self.parent.domain


class Complainant(models.Model):
    """Who raised the case: the fields complaints, inquiries and feedback share."""

    complainant_kind = models.CharField(
        _("raised by"), max_length=12, choices=ComplainantKind.choices, default=ComplainantKind.PATIENT
    )
    contact_name = models.CharField(_("name"), max_length=200, blank=True)
    contact_relation = models.CharField(
        _("relation to the patient"), max_length=12, choices=Relation.choices, blank=True
    )
    contact_phone = models.CharField(_("phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.ARABIC)

    class Meta:
        abstract = True


class Complaint(Complainant, BaseModel):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    hospital = models.ForeignKey(
        "organizations.Hospital", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="complaints"
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        help_text=_("The department the complaint is about, which answers for it."),
    )
    patient = models.ForeignKey(
        "organizations.Patient",
        verbose_name=_("patient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    encounter = models.ForeignKey(
        "journeys.Encounter",
        verbose_name=_("encounter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    identity_withheld = models.BooleanField(
        _("identity withheld from the staff named"),
        default=False,
        help_text=_("The complainant asked that the physicians and staff named do not learn who they are."),
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.WALK_IN)
    external_reference = models.CharField(
        _("external reference"),
        max_length=40,
        blank=True,
        help_text=_("The ticket number of the channel it came from (e.g. the Ministry's 937 ticket)."),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    summary = models.CharField(_("summary"), max_length=200)
    description = models.TextField(_("description"), help_text=_("In the complainant's own words and language."))
    physicians = models.ManyToManyField(
        "organizations.Physician", verbose_name=_("physicians involved"), blank=True, related_name="complaints"
    )
    staff = models.ManyToManyField(
        "organizations.Employee", verbose_name=_("staff involved"), blank=True, related_name="complaints"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.NEW, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_complaints",
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"),
        choices=Severity.choices,
        default=Severity.LOW,
        help_text=_("The highest severity of its issues; it chooses the SLA policy."),
    )
    harm = models.PositiveSmallIntegerField(_("harm"), choices=Harm.choices, default=Harm.NONE)
    resolution = models.TextField(_("resolution summary"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    expected_by = models.DateTimeField(
        _("expected answer by"),
        null=True,
        blank=True,
        help_text=_("When the complainant was told to expect an answer."),
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    survey_response = models.ForeignKey(
        "surveys.SurveyResponse",
        verbose_name=_("survey response"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        help_text=_("The survey answer the complaint was raised from."),
    )
    resolution_survey = models.ForeignKey(
        "surveys.SurveyInstance",
        verbose_name=_("resolution survey"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user, m2m_fields=[physicians, staff])

    px_access = ModelAccess(
        hospital="hospital",
        department="department",
        assignees=("assigned_to",),
        names=("physicians__user", "staff__user"),
    )
    px_personal_data = True

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_reference"],
                condition=~Q(external_reference=""),
                name="complaints_one_complaint_per_external_ticket",
                violation_error_message=_("A complaint with this ticket number of this channel already exists."),
            )
        ]
        indexes = [models.Index(fields=["hospital", "status"], name="complaints_hospital_status")]
        permissions = [
            ("export_complaint", _("Can export complaints")),
            ("import_complaint", _("Can import complaints (Ministry 937 line)")),
        ]

    def __str__(self):
        return self.reference or str(_("New complaint"))

    @property
    def is_open(self) -> bool:
        return self.status not in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)


class ComplaintIssue(BaseModel):
    """One issue of a complaint, coded with an HCAT category, a severity and, separately, the harm."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="issues"
    )
    category = models.ForeignKey(
        HCATCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="issues"
    )
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.LOW)
    harm = models.PositiveSmallIntegerField(
        _("harm"), choices=Harm.choices, default=Harm.NONE, validators=[MaxValueValidator(5)]
    )
    stage_of_care = models.CharField(
        _("stage of care"), max_length=12, choices=StageOfCare.choices, default=StageOfCare.UNKNOWN
    )
    is_medical = models.BooleanField(_("medical"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user)

    px_access = ModelAccess(
        hospital="complaint__hospital",
        department="complaint__department",
        assignees=("complaint__assigned_to",),
        names=("complaint__physicians__user", "complaint__staff__user"),
    )
    px_personal_data = True

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["complaint", "-severity", "created_at"]

    def __str__(self):
        return f"{self.category} · {self.get_severity_display()}"


class ComplaintUpdate(BaseModel):
    """One entry of a complaint's timeline: a note, a message to the complainant, or a change."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="updates"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=UpdateKind.choices, default=UpdateKind.NOTE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("text"), blank=True)
    old_status = models.CharField(_("from"), max_length=12, choices=ComplaintStatus.choices, blank=True)
    new_status = models.CharField(_("to"), max_length=12, choices=ComplaintStatus.choices, blank=True)
    notification = models.ForeignKey(
        "notifications.Notification",
        verbose_name=_("message sent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user)

    px_access = ModelAccess(
        hospital="complaint__hospital",
        department="complaint__department",
        assignees=("complaint__assigned_to",),
        names=("complaint__physicians__user", "complaint__staff__user"),
    )
    px_personal_data = True

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        ordering = ["complaint", "created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} · {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


def _attachment_path(attachment, filename):
    # Outside anything served as static or public media: read only through the checked view.
    return f"private/complaints/{attachment.complaint_id}/{attachment.pk}"


class ComplaintAttachment(BaseModel):
    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user)

    px_access = ModelAccess(
        hospital="complaint__hospital",
        department="complaint__department",
        assignees=("complaint__assigned_to",),
        names=("complaint__physicians__user", "complaint__staff__user"),
    )
    px_personal_data = True

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["complaint", "created_at"]

    def __str__(self):
        return self.original_name


class Inquiry(Complainant, BaseModel):
    """A question or request: shorter targets than a complaint; may become one, keeping its received time."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    hospital = models.ForeignKey(
        "organizations.Hospital", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="inquiries"
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
    )
    patient = models.ForeignKey(
        "organizations.Patient",
        verbose_name=_("patient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.PHONE)
    external_reference = models.CharField(_("external reference"), max_length=40, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    subject = models.CharField(_("subject"), max_length=200)
    question = models.TextField(_("question or request"))
    status = models.CharField(
        _("status"), max_length=12, choices=InquiryStatus.choices, default=InquiryStatus.NEW, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_inquiries",
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    promoted_to = models.OneToOneField(
        Complaint,
        verbose_name=_("became complaint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promoted_from",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user)

    px_access = ModelAccess(hospital="hospital", department="department", assignees=("assigned_to",))
    px_personal_data = True

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-received_at"]
        permissions = [("export_inquiry", _("Can export inquiries"))]

    def __str__(self):
        return self.reference or str(_("New inquiry"))


class Feedback(Complainant, BaseModel):
    """A compliment (routed to the staff member and their manager) or a suggestion (to the department)."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=FeedbackKind.choices, default=FeedbackKind.COMPLIMENT)
    hospital = models.ForeignKey(
        "organizations.Hospital", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="feedback"
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    physician = models.ForeignKey(
        "organizations.Physician",
        verbose_name=_("physician"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    employee = models.ForeignKey(
        "organizations.Employee",
        verbose_name=_("member of staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    patient = models.ForeignKey(
        "organizations.Patient",
        verbose_name=_("patient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.WALK_IN)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    text = models.TextField(_("what they said"))
    status = models.CharField(_("status"), max_length=12, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW)
    survey_response = models.ForeignKey(
        "surveys.SurveyResponse",
        verbose_name=_("survey response"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user)

    px_access = ModelAccess(
        hospital="hospital", department="department", physician="physician", owner="employee__user_id"
    )
    px_personal_data = True

    class Meta:
        verbose_name = _("compliment or suggestion")
        verbose_name_plural = _("compliments and suggestions")
        ordering = ["-received_at"]
        permissions = [("export_feedback", _("Can export compliments and suggestions"))]

    def __str__(self):
        return self.reference or str(_("New feedback"))
