"""The organisation registry: hospitals, departments, physicians, employees, patients."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from px360.core.access import ModelAccess
from px360.core.history import history_user
from px360.core.models import SoftDeleteModel
from px360.core.validators import validate_national_id

from .choices import Channel, Gender, Language
from .search import name_search_value


class Hospital(SoftDeleteModel):
    """A hospital of the group; almost every record belongs to one."""

    code = models.CharField(
        _("code"), max_length=20, unique=True, help_text=_("The code the HIS uses for this hospital.")
    )
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    px_access = ModelAccess(hospital="pk", reference=True)

    class Meta:
        verbose_name = _("hospital")
        verbose_name_plural = _("hospitals")
        ordering = ["code"]
        permissions = [("import_hospital", _("Can import hospitals")), ("export_hospital", _("Can export hospitals"))]

    def __str__(self):
        return f"{self.code} · {self.name}"


class Department(SoftDeleteModel):
    """A department or unit of a hospital, in a tree (a ward under a division)."""

    hospital = models.ForeignKey(
        Hospital, verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
    )
    is_active = models.BooleanField(_("active"), default=True)

    px_access = ModelAccess(hospital="hospital", department="pk", reference=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["hospital__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "code"],
                name="organizations_department_code_per_hospital",
                violation_error_message=_("This hospital already has a department with this code."),
            )
        ]
        permissions = [
            ("import_department", _("Can import departments")),
            ("export_department", _("Can export departments")),
        ]

    def __str__(self):
        return f"{self.code} · {self.name}"

    def clean(self):
        super().clean()
        if self.parent_id is None:
            return
        if self.hospital_id and self.parent.hospital_id != self.hospital_id:
            raise ValidationError({"parent": _("The parent department must belong to the same hospital.")})
        # Walk up from the new parent: meeting this department again is a cycle.
        seen = set()
        node = self.parent
        while node is not None:
            if node.pk == self.pk:
                raise ValidationError(
                    {"parent": _("A department cannot be placed under itself or its own sub-department.")}
                )
            if node.pk in seen:
                break
            seen.add(node.pk)
            node = node.parent


class Physician(SoftDeleteModel):
    """A licensed physician, rated by patients and named in feedback."""

    # A licence is national, but each hospital keeps its own physician record:
    # unique per hospital, so one hospital's records neither block nor reveal
    # another's (imports and HIS events look physicians up within the hospital).
    license_number = models.CharField(_("licence number"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    specialty = models.CharField(_("specialty"), max_length=200, blank=True)
    hospital = models.ForeignKey(
        Hospital, verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="physicians"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="physicians",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="physician_profile",
    )
    is_active = models.BooleanField(_("active"), default=True)

    px_access = ModelAccess(hospital="hospital", department="department", physician="pk", reference=True)

    class Meta:
        verbose_name = _("physician")
        verbose_name_plural = _("physicians")
        ordering = ["license_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "license_number"],
                name="organizations_physician_licence_per_hospital",
                violation_error_message=_("This hospital already has a physician with this licence number."),
            )
        ]
        permissions = [
            ("import_physician", _("Can import physicians")),
            ("export_physician", _("Can export physicians")),
        ]

    def __str__(self):
        return f"{self.license_number} · {self.name}"

    def clean(self):
        super().clean()
        if self.department_id and self.hospital_id and self.department.hospital_id != self.hospital_id:
            raise ValidationError({"department": _("The department must belong to the same hospital.")})


class Employee(SoftDeleteModel):
    """A staff member's employment record in one hospital."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.PROTECT,
        related_name="employee_profile",
    )
    hospital = models.ForeignKey(
        Hospital, verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="employees"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
    )
    employee_number = models.CharField(_("employee number"), max_length=30)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)

    px_access = ModelAccess(hospital="hospital", department="department", owner="user_id", reference=False)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["hospital__code", "employee_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "employee_number"],
                name="organizations_employee_number_per_hospital",
                violation_error_message=_("This hospital already has an employee with this number."),
            )
        ]
        permissions = [
            ("import_employee", _("Can import employees")),
            ("export_employee", _("Can export employees")),
        ]

    def __str__(self):
        return self.employee_number

    def clean(self):
        super().clean()
        if self.department_id and self.hospital_id and self.department.hospital_id != self.hospital_id:
            raise ValidationError({"department": _("The department must belong to the same hospital.")})


class Patient(SoftDeleteModel):
    """A patient of one hospital, identified there by their medical record number.

    Holds personal health information: ``__str__`` is the MRN only, because
    it is copied into the admin log, history, autocomplete and search results.
    """

    # No index of its own: the (hospital, MRN) unique index starts with it.
    hospital = models.ForeignKey(
        Hospital, verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="patients", db_index=False
    )
    mrn = models.CharField(_("MRN"), max_length=30, help_text=_("Medical record number in this hospital."))
    national_id = models.CharField(
        _("national ID / iqama"),
        max_length=10,
        blank=True,
        db_index=True,
        validators=[validate_national_id],
    )
    name_ar = models.CharField(_("name (Arabic)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    # Both names folded for search (px360.organizations.search); kept in step by
    # save() and by the encounter import, indexed with trigrams on PostgreSQL.
    name_search = models.CharField(_("name (for search)"), max_length=410, blank=True, editable=False)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, default=Gender.UNKNOWN)
    nationality = models.CharField(_("nationality"), max_length=60, blank=True)
    phone = models.CharField(
        _("phone"), max_length=16, blank=True, help_text=_("Stored in international format, e.g. +966501234567.")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.ARABIC
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.SMS
    )
    opted_out_sms = models.BooleanField(_("opted out of SMS"), default=False)
    opted_out_whatsapp = models.BooleanField(_("opted out of WhatsApp"), default=False)
    opted_out_email = models.BooleanField(_("opted out of e-mail"), default=False)
    is_deceased = models.BooleanField(_("deceased"), default=False)

    # History is read per patient (its ``id``) and by date; the other columns' indexes
    # would only slow down every import and HIS event.
    history = HistoricalRecords(
        excluded_fields=["updated_at"], no_db_index=["hospital", "national_id", "created_at"], get_user=history_user
    )

    px_access = ModelAccess(hospital="hospital")
    # Shown masked (and read-only on stored patients) to roles below Hospital
    # Admin, on every surface: px360.core.masking.
    px_masked_fields = ("national_id",)
    px_personal_data = True

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["hospital_id", "mrn"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "mrn"],
                name="organizations_patient_mrn_per_hospital",
                violation_error_message=_("This hospital already has a patient with this MRN."),
            )
        ]
        indexes = [
            models.Index(Upper("name_en"), name="org_patient_name_en_upper"),
            # Coordinators find patients by the number they called from.
            models.Index(fields=["phone"], name="org_patient_phone"),
        ]
        permissions = [
            ("import_patient", _("Can import patients")),
            ("export_patient", _("Can export patients")),
        ]

    def __str__(self):
        return self.mrn

    def save(self, *args, **kwargs):
        self.name_search = name_search_value(self.name_ar, self.name_en)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and ({"name_ar", "name_en"} & set(update_fields)):
            kwargs["update_fields"] = {*update_fields, "name_search"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        # The rules every source of patient data shares (px360.organizations.services).
        from .services import PatientRules

        cleaned = PatientRules().clean(
            {"phone": self.phone, "email": self.email, "birth_date": self.birth_date, "national_id": self.national_id},
            fields=("phone", "email", "birth_date"),
        )
        if not cleaned.ok:
            raise ValidationError(cleaned.errors)
        for name, value in cleaned.values.items():
            setattr(self, name, value)

    def is_opted_out(self, channel: str) -> bool:
        return bool(getattr(self, f"opted_out_{channel}", False))


class PatientUserObjectPermission(UserObjectPermissionBase):
    """Direct per-patient grants (guardian), joined by a real foreign key."""

    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("patient permission of a user")
        verbose_name_plural = _("patient permissions of users")


class PatientGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("patient permission of a group")
        verbose_name_plural = _("patient permissions of groups")
