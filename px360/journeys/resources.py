"""Export of encounters (imports go through :mod:`px360.journeys.importer`).

The export columns are the import columns, so an exported file can be edited
and imported again. ``PXResource`` neutralises formula payloads in every cell
and masks ``patient_national_id`` (a path to the patient's masked field) by
the one masking rule, :mod:`px360.core.masking`.
"""

from import_export import fields, widgets

from px360.core.resources import PXResource

from .models import Encounter


class _TextDateTimeWidget(widgets.DateTimeWidget):
    """Local (Asia/Riyadh) time with its offset, as text, so Excel does not reinterpret it."""

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        from django.utils import timezone

        return timezone.localtime(value).isoformat(timespec="minutes")


class EncounterResource(PXResource):
    hospital_code = fields.Field(attribute="hospital__code", column_name="hospital_code")
    encounter_number = fields.Field(attribute="encounter_number", column_name="encounter_number")
    encounter_type = fields.Field(attribute="encounter_type", column_name="encounter_type")
    patient_mrn = fields.Field(attribute="patient__mrn", column_name="patient_mrn")
    patient_national_id = fields.Field(attribute="patient__national_id", column_name="patient_national_id")
    patient_name_ar = fields.Field(attribute="patient__name_ar", column_name="patient_name_ar")
    patient_name_en = fields.Field(attribute="patient__name_en", column_name="patient_name_en")
    patient_phone = fields.Field(attribute="patient__phone", column_name="patient_phone")
    patient_email = fields.Field(attribute="patient__email", column_name="patient_email")
    patient_language = fields.Field(attribute="patient__preferred_language", column_name="patient_language")
    patient_birth_date = fields.Field(
        attribute="patient__birth_date", column_name="patient_birth_date", widget=widgets.DateWidget("%Y-%m-%d")
    )
    patient_gender = fields.Field(attribute="patient__gender", column_name="patient_gender")
    department_code = fields.Field(attribute="department__code", column_name="department_code")
    physician_license = fields.Field(attribute="attending_physician__license_number", column_name="physician_license")
    admitted_at = fields.Field(attribute="admitted_at", column_name="admitted_at", widget=_TextDateTimeWidget())
    discharged_at = fields.Field(attribute="discharged_at", column_name="discharged_at", widget=_TextDateTimeWidget())
    status = fields.Field(attribute="status", column_name="status")

    class Meta:
        model = Encounter
        fields = (
            "hospital_code",
            "encounter_number",
            "encounter_type",
            "patient_mrn",
            "patient_national_id",
            "patient_name_ar",
            "patient_name_en",
            "patient_phone",
            "patient_email",
            "patient_language",
            "patient_birth_date",
            "patient_gender",
            "department_code",
            "physician_license",
            "admitted_at",
            "discharged_at",
            "status",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("hospital", "patient", "department", "attending_physician")
