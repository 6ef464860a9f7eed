"""Import/export of organisation data.

Scope, masking and the formula guard are the base resource's rules
(:mod:`px360.core.resources`): rows match only records the importer may
change, hospital codes resolve only among hospitals the importer may see, and
national IDs are masked and read-only for roles that see them masked.
"""

from import_export import fields, widgets

from px360.core.resources import PXResource, ScopedForeignKeyWidget

from .models import Department, Hospital, Patient, Physician


class HospitalResource(PXResource):
    """Hospitals by code. Creating one needs a global scope: a new hospital is outside every other."""

    class Meta:
        model = Hospital
        import_id_fields = ("code",)
        fields = ("code", "name_ar", "name_en", "city_ar", "city_en", "region_ar", "region_en", "is_active")
        skip_unchanged = True
        # Run Model.clean (parent in the same hospital, no cycles, phone format)
        # for imported rows too, not only in the admin form.
        clean_model_instances = True
        report_skipped = True


class DepartmentResource(PXResource):
    hospital = fields.Field(
        attribute="hospital", column_name="hospital_code", widget=ScopedForeignKeyWidget(Hospital, "code")
    )

    class Meta:
        model = Department
        import_id_fields = ("hospital", "code")
        fields = ("hospital", "code", "name_ar", "name_en", "is_active")
        skip_unchanged = True
        # Run Model.clean (parent in the same hospital, no cycles, phone format)
        # for imported rows too, not only in the admin form.
        clean_model_instances = True
        report_skipped = True


class PhysicianResource(PXResource):
    hospital = fields.Field(
        attribute="hospital", column_name="hospital_code", widget=ScopedForeignKeyWidget(Hospital, "code")
    )

    class Meta:
        model = Physician
        import_id_fields = ("hospital", "license_number")
        fields = ("license_number", "name_ar", "name_en", "specialty_ar", "specialty_en", "hospital", "is_active")
        skip_unchanged = True
        # Run Model.clean (parent in the same hospital, no cycles, phone format)
        # for imported rows too, not only in the admin form.
        clean_model_instances = True
        report_skipped = True


class PatientResource(PXResource):
    hospital = fields.Field(
        attribute="hospital", column_name="hospital_code", widget=ScopedForeignKeyWidget(Hospital, "code")
    )
    # Text, so a workbook that stores the digits as a number reads them back as written.
    national_id = fields.Field(
        attribute="national_id", column_name="national_id", widget=widgets.CharWidget(allow_blank=True)
    )

    class Meta:
        model = Patient
        import_id_fields = ("hospital", "mrn")
        fields = (
            "hospital",
            "mrn",
            "national_id",
            "name_ar",
            "name_en",
            "birth_date",
            "gender",
            "phone",
            "email",
            "preferred_language",
        )
        skip_unchanged = True
        # Run Model.clean (parent in the same hospital, no cycles, phone format)
        # for imported rows too, not only in the admin form.
        clean_model_instances = True
        report_skipped = True
