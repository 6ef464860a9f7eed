"""Journey templates (what a kind of visit goes through) and their running instances.

Imported by ``models.py``; kept apart from the encounter and import models
because it is a different concern: the stages an encounter passes through.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from px360.core.access import ModelAccess
from px360.core.models import BaseModel, SoftDeleteModel

from .choices import EncounterType

# Every HL7 ADT trigger a stage may be completed by (DOMAIN.md, "HIS events").
STAGE_EVENT_CHOICES = [
    ("A01", _("A01 admit")),
    ("A02", _("A02 transfer")),
    ("A03", _("A03 discharge / end of visit")),
    ("A04", _("A04 registration / ED arrival")),
    ("A06", _("A06 outpatient to inpatient")),
    ("A08", _("A08 patient update")),
]


class JourneyStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("journey", "In progress")
    COMPLETED = "completed", pgettext_lazy("journey", "Completed")
    SUPERSEDED = "superseded", pgettext_lazy("journey", "Replaced by another journey")
    CANCELLED = "cancelled", pgettext_lazy("journey", "Cancelled")


class StageStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("stage", "Pending")
    COMPLETED = "completed", pgettext_lazy("stage", "Completed")
    SKIPPED = "skipped", pgettext_lazy("stage", "Skipped")
    CANCELLED = "cancelled", pgettext_lazy("stage", "Cancelled")


class JourneyTemplate(SoftDeleteModel):
    """The stages a kind of encounter goes through, for one hospital or the whole group.

    A hospital's own active template wins over the group default.
    """

    journey_type = models.CharField(_("journey type"), max_length=10, choices=EncounterType.choices)
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="journey_templates",
        help_text=_("Empty: the group-wide default for hospitals without their own."),
    )
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    # Group defaults (no hospital) are readable by all, changed by PX Admins.
    px_access = ModelAccess(hospital="hospital", reference=True, group_rows=True)

    class Meta:
        verbose_name = _("journey template")
        verbose_name_plural = _("journey templates")
        ordering = ["journey_type", "hospital__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "journey_type"],
                condition=Q(is_active=True, deleted_at__isnull=True, hospital__isnull=False),
                name="journeys_one_active_template_per_hospital",
                violation_error_message=_("This hospital already has an active template for this journey type."),
            ),
            models.UniqueConstraint(
                fields=["journey_type"],
                condition=Q(is_active=True, deleted_at__isnull=True, hospital__isnull=True),
                name="journeys_one_active_group_template",
                violation_error_message=_("There is already an active group-wide template for this journey type."),
            ),
        ]

    def __str__(self):
        return self.name

    def validate_constraints(self, exclude=None):
        """Check the one-active-template rules on every form, as the database will.

        ``deleted_at`` is never on a form, so Django would exclude it and then
        skip both constraints (their conditions name it): a second active
        template reached the database and failed there with an IntegrityError.
        The instance's own ``deleted_at`` is what will be saved, so it is
        always checked.
        """
        if exclude:
            exclude = set(exclude) - {"deleted_at"}
        super().validate_constraints(exclude=exclude)


class JourneyStageTemplate(BaseModel):
    """One step of a journey template, completed by HIS events."""

    template = models.ForeignKey(
        JourneyTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="stages"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0, db_index=True)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    completes_on = models.JSONField(
        _("completed by events"), default=list, blank=True, help_text=_("HL7 ADT triggers that complete this stage.")
    )
    is_required = models.BooleanField(_("required"), default=True)
    survey_delay_hours = models.PositiveSmallIntegerField(
        _("survey delay (hours)"), default=0, help_text=_("How long after this stage its survey is sent.")
    )
    survey_template = models.ForeignKey(
        "surveys.SurveyTemplate",
        verbose_name=_("survey"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Completing this stage schedules this survey (after the delay)."),
    )

    class Meta:
        verbose_name = _("template stage")
        verbose_name_plural = _("template stages")
        ordering = ["template", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "code"],
                name="journeys_stage_code_per_template",
                violation_error_message=_("This template already has a stage with this code."),
            )
        ]

    def __str__(self):
        # The name in the reader's language (modeltranslation); the code is for machines.
        return self.name or self.code

    def clean(self):
        super().clean()
        known = {code for code, _label in STAGE_EVENT_CHOICES}
        unknown = [event for event in self.completes_on or [] if event not in known]
        if unknown:
            raise ValidationError(
                {"completes_on": _("Unknown event types: %(events)s.") % {"events": ", ".join(unknown)}}
            )
        survey = self.survey_template if self.survey_template_id else None
        template = self.template if self.template_id else None
        if survey is not None and template is not None and survey.hospital_id not in (None, template.hospital_id):
            # A hospital's journey sends its own or the group's surveys, never another hospital's.
            raise ValidationError({"survey_template": _("Choose a survey of this journey's hospital or of the group.")})
        if survey is not None and not survey.is_active:
            raise ValidationError({"survey_template": _("This survey is not active.")})


class JourneyInstance(BaseModel):
    """One encounter's way through a journey template.

    Its stages are copied from the template when it starts, so editing the
    template never rewrites journeys already running.
    """

    encounter = models.ForeignKey(
        "journeys.Encounter", verbose_name=_("encounter"), on_delete=models.CASCADE, related_name="journeys"
    )
    template = models.ForeignKey(
        JourneyTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="instances"
    )
    journey_type = models.CharField(_("journey type"), max_length=10, choices=EncounterType.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=JourneyStatus.choices, default=JourneyStatus.ACTIVE, db_index=True
    )
    started_at = models.DateTimeField(_("started at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    px_access = ModelAccess(
        hospital="encounter__hospital",
        department="encounter__department",
        physician="encounter__attending_physician",
    )
    px_personal_data = True

    class Meta:
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["encounter"],
                condition=Q(status="active"),
                name="journeys_one_active_journey_per_encounter",
            )
        ]

    def __str__(self):
        return f"{self.get_journey_type_display()} · {self.encounter.encounter_number}"


class JourneyStageInstance(BaseModel):
    """One stage of a running journey: pending until an event completes it."""

    journey = models.ForeignKey(
        JourneyInstance, verbose_name=_("journey"), on_delete=models.CASCADE, related_name="stages"
    )
    stage_template = models.ForeignKey(
        JourneyStageTemplate,
        verbose_name=_("stage template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=40)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    completes_on = models.JSONField(_("completed by events"), default=list)
    is_required = models.BooleanField(_("required"), default=True)
    survey_delay_hours = models.PositiveSmallIntegerField(_("survey delay (hours)"), default=0)
    survey_template = models.ForeignKey(
        "surveys.SurveyTemplate",
        verbose_name=_("survey"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=StageStatus.choices, default=StageStatus.PENDING)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    event_type = models.CharField(
        _("event"), max_length=10, blank=True, help_text=_("The event that last changed this stage.")
    )
    event_reference = models.CharField(
        _("event reference"), max_length=120, blank=True, help_text=_("Message ID or import that changed this stage.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    px_access = ModelAccess(
        hospital="journey__encounter__hospital",
        department="journey__encounter__department",
        physician="journey__encounter__attending_physician",
    )
    px_personal_data = True

    class Meta:
        verbose_name = _("journey stage")
        verbose_name_plural = _("journey stages")
        ordering = ["journey", "order"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        """The stage's name in the active language (the other one when it has none)."""
        english = (get_language() or "").startswith("en")
        first, second = (self.name_en, self.name_ar) if english else (self.name_ar, self.name_en)
        return first or second or self.code
