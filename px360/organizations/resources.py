"""Import/export of organisation data."""

from import_export import fields, widgets

from px360.core.resources import PXResource
from px360.core.validators import mask_national_id

from .models import Department, Hospital, Patient, Physician, sees_full_national_id


class HospitalResource(PXResource):
    hospital_field = None

    class Meta:
        model = Hospital
        import_id_fields = ("code",)
        fields = ("code", "name_ar", "name_en", "city_ar", "city_en", "region_ar", "region_en", "is_active")
        skip_unchanged = True
        # Run Model.clean (parent in the same hospital, no cycles, phone format)
        # for imported rows too, not only in the admin form.
        clean_model_instances = True
        report_skipped = True

    def check_scope(self, instance):
        # Only a PX Admin may create hospitals: the role table grants no
        # hospital import to anyone else.
        return


class DepartmentResource(PXResource):
    hospital = fields.Field(
        attribute="hospital", column_name="hospital_code", widget=widgets.ForeignKeyWidget(Hospital, "code")
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
        attribute="hospital", column_name="hospital_code", widget=widgets.ForeignKeyWidget(Hospital, "code")
    )

    class Meta:
        model = Physician
        import_id_fields = ("license_number",)
        fields = ("license_number", "name_ar", "name_en", "specialty_ar", "specialty_en", "hospital", "is_active")
        skip_unchanged = True
        # Run Model.clean (parent in the same hospital, no cycles, phone format)
        # for imported rows too, not only in the admin form.
        clean_model_instances = True
        report_skipped = True


class PatientResource(PXResource):
    hospital = fields.Field(
        attribute="hospital", column_name="hospital_code", widget=widgets.ForeignKeyWidget(Hospital, "code")
    )
    national_id = fields.Field(attribute="national_id", column_name="national_id")

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

    def dehydrate_national_id(self, patient):
        # Roles below Hospital Admin see only the last four digits.
        if self.user is not None and sees_full_national_id(self.user):
            return patient.national_id
        return mask_national_id(patient.national_id)
