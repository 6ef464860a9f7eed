"""Encounters (visits and stays reported by the HIS) and the jobs that import them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from px360.core.access import ModelAccess
from px360.core.history import history_user
from px360.core.models import BaseModel, SoftDeleteModel

from .choices import EncounterSource, EncounterStatus, EncounterType, ImportMode, JobStatus


class Encounter(SoftDeleteModel):
    """One visit or stay of a patient in a hospital, as the HIS reported it.

    Identified by its encounter number within the hospital; imports and HIS
    events upsert by that pair. Patient data lives on the patient, so
    ``__str__`` (copied into logs, history and autocomplete) is the encounter
    number only.
    """

    # No index of its own: the (hospital, encounter number) and (hospital, admission) indexes start with it.
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        on_delete=models.PROTECT,
        related_name="encounters",
        db_index=False,
    )
    encounter_number = models.CharField(
        _("encounter number"), max_length=40, help_text=_("The visit number the HIS gave this encounter.")
    )
    encounter_type = models.CharField(_("type"), max_length=10, choices=EncounterType.choices)
    # Indexed with the admission time below (a patient's visits, newest first).
    patient = models.ForeignKey(
        "organizations.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="encounters",
        db_index=False,
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="encounters",
    )
    attending_physician = models.ForeignKey(
        "organizations.Physician",
        verbose_name=_("attending physician"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="encounters",
    )
    admitted_at = models.DateTimeField(_("admitted / visit start"))
    discharged_at = models.DateTimeField(_("discharged / visit end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=EncounterStatus.choices, default=EncounterStatus.ACTIVE
    )
    source = models.CharField(_("source"), max_length=10, choices=EncounterSource.choices, default=EncounterSource.API)
    import_job = models.ForeignKey(
        "journeys.ImportJob",
        verbose_name=_("last import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The import that last created or changed this encounter."),
    )

    # History is read per encounter (its ``id``) and by date; indexes on the copied
    # foreign keys would only slow down every import and HIS event.
    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        no_db_index=["hospital", "patient", "department", "attending_physician", "import_job", "created_at"],
        get_user=history_user,
    )

    px_access = ModelAccess(hospital="hospital", department="department", physician="attending_physician")
    px_personal_data = True

    class Meta:
        verbose_name = _("encounter")
        verbose_name_plural = _("encounters")
        ordering = ["-admitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "encounter_number"],
                name="journeys_encounter_number_per_hospital",
                violation_error_message=_("This hospital already has an encounter with this number."),
            ),
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True) | Q(discharged_at__gte=models.F("admitted_at")),
                name="journeys_encounter_discharge_after_admission",
                violation_error_message=_("The discharge time cannot be before the admission time."),
            ),
        ]
        indexes = [
            # Page 1 of the changelist, unscoped and scoped to a hospital.
            models.Index(fields=["-admitted_at", "-id"], name="journeys_enc_admitted_idx"),
            models.Index(fields=["hospital", "-admitted_at", "-id"], name="journeys_enc_hosp_admitted_idx"),
            # A patient's encounters, newest first (the patient page, name searches).
            models.Index(fields=["patient", "-admitted_at"], name="journeys_enc_patient_adm_idx"),
        ]
        permissions = [
            ("import_encounter", _("Can import encounters")),
            ("export_encounter", _("Can export encounters")),
        ]

    def __str__(self):
        return self.encounter_number

    def clean(self):
        super().clean()
        if self.discharged_at and self.admitted_at and self.discharged_at < self.admitted_at:
            raise ValidationError({"discharged_at": _("The discharge time cannot be before the admission time.")})
        if self.department_id and self.hospital_id and self.department.hospital_id != self.hospital_id:
            raise ValidationError({"department": _("The department must belong to the same hospital.")})
        if self.patient_id and self.hospital_id and self.patient.hospital_id != self.hospital_id:
            raise ValidationError({"patient": _("The patient must belong to the same hospital.")})


# The phase between a confirmed import and the job cluster starting to save it.
JOB_CONFIRMED_LABEL = pgettext_lazy("job", "Confirmed, waiting to be saved")
# What a job is, as its name and page say it.
IMPORT_JOB_LABEL = pgettext_lazy("job kind", "Import")


def _job_upload_to(job, filename):
    return f"imports/{job.pk}/{filename}"


class ImportJob(BaseModel):
    """One encounter file being imported.

    Records who did it, the file, progress while it runs, the counts, errors
    and the rejected-rows file. Files live under ``MEDIA_ROOT/imports/`` and are
    only ever served through views that check access, never from MEDIA_URL.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The importing user's hospital (empty for group-wide users)."),
    )
    status = models.CharField(_("status"), max_length=12, choices=JobStatus.choices, default=JobStatus.PENDING)
    mode = models.CharField(_("mode"), max_length=8, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    dry_run = models.BooleanField(_("check only"), default=False)
    file = models.FileField(_("file"), upload_to=_job_upload_to, max_length=300, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    file_sha256 = models.CharField(_("file checksum"), max_length=64, blank=True, editable=False)
    plan_path = models.CharField(max_length=300, blank=True, editable=False)
    plan_digest = models.CharField(max_length=64, blank=True, editable=False)
    background = models.BooleanField(_("runs in the background"), default=False)

    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    committed_rows = models.PositiveIntegerField(
        _("rows committed"),
        default=0,
        help_text=_("Rows saved in whole chunks before a failure (SQLite only)."),
    )
    errors = models.JSONField(_("problems found"), default=list, blank=True)
    sample = models.JSONField(_("sample of the changes"), default=list, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    failure_reason = models.TextField(_("why it failed"), blank=True)
    output_file = models.FileField(_("result file"), upload_to=_job_upload_to, max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(
        _("confirmed at"),
        null=True,
        blank=True,
        help_text=_("When the importer confirmed the checked file; it is saved (or queued) from then on."),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    px_access = ModelAccess(hospital="hospital", owner="user_id")
    px_personal_data = True

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self):
        # Shown in the hospital's time zone (TIME_ZONE), as staff read the clock, not in UTC.
        if not self.created_at:
            return str(self.pk)
        return f"{IMPORT_JOB_LABEL} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    @property
    def is_confirmed(self) -> bool:
        """Confirmed and waiting for the job cluster to start saving (status still "checked")."""
        return self.status == JobStatus.VALIDATED and self.confirmed_at is not None

    @property
    def is_running(self) -> bool:
        return self.status in JobStatus.active() or self.is_confirmed

    @property
    def phase(self) -> str:
        """Where the job is, as the page tells it: the status, with "confirmed" between "checked" and "saving"."""
        return "confirmed" if self.is_confirmed else self.status

    def get_phase_display(self) -> str:
        return str(JOB_CONFIRMED_LABEL) if self.is_confirmed else self.get_status_display()

    def get_failure_display(self) -> str:
        """Why the job failed, in the reader's language when the reason was stored as a problem code.

        ``summary["failure"]`` holds ``{"code": ..., "params": {...}}`` (see
        ``importer.report.PROBLEMS``); jobs that stored only ``failure_reason`` text show that text.
        """
        failure = (self.summary or {}).get("failure") if isinstance(self.summary, dict) else None
        if isinstance(failure, dict) and failure.get("code"):
            from .importer.report import problem_text

            return problem_text(str(failure["code"]), failure.get("params"))
        return self.failure_reason

    @property
    def can_confirm(self) -> bool:
        """A checked import may be saved once: no bad rows, or the valid-rows mode with something to save."""
        if self.status != JobStatus.VALIDATED or self.dry_run:
            return False
        if self.confirmed_at is not None:
            return False
        valid_rows = self.new_count + self.updated_count + self.unchanged_count
        if self.rejected_count == 0:
            return True
        return self.mode == ImportMode.VALID_ROWS and valid_rows > 0


class EncounterUserObjectPermission(UserObjectPermissionBase):
    """Direct per-encounter grants (guardian), joined by a real foreign key."""

    content_object = models.ForeignKey(Encounter, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("encounter permission of a user")
        verbose_name_plural = _("encounter permissions of users")


class EncounterGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Encounter, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("encounter permission of a group")
        verbose_name_plural = _("encounter permissions of groups")


# Journey templates and instances live in their own module; importing them
# here registers them with the app.
from .journey_models import (  # noqa: E402
    JourneyInstance,
    JourneyStageInstance,
    JourneyStageTemplate,
    JourneyStatus,
    JourneyTemplate,
    StageStatus,
)

__all__ = [
    "Encounter",
    "ImportJob",
    "JourneyInstance",
    "JourneyStageInstance",
    "JourneyStageTemplate",
    "JourneyStatus",
    "JourneyTemplate",
    "StageStatus",
]
