from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, BooleanRadioFilter, ChoicesDropdownFilter
from unfold.paginator import InfinitePaginator

from px360.core.access import hospital_ids_for
from px360.core.admin.base import PXModelAdmin
from px360.core.admin.importexport import PXImportExportMixin
from px360.core.masking import mask_national_id, national_id_for, sees_full_identifiers
from px360.core.services import audit_search
from px360.organizations.models import Hospital, Patient
from px360.organizations.resources import PatientResource
from px360.organizations.search import patient_match


@admin.register(Patient)
class PatientAdmin(PXImportExportMixin, PXModelAdmin):
    resource_classes = [PatientResource]
    list_select_related = ("hospital",)
    list_filter = (
        ("hospital", AutocompleteSelectFilter),
        ("gender", ChoicesDropdownFilter),
        ("is_deceased", BooleanRadioFilter),
    )
    # A million rows: no COUNT(*) (of the table or of a search), no page numbers.
    paginator = InfinitePaginator
    show_full_result_count = False
    # MRN, national ID and phone: exact match only, never a substring scan.
    # Names are searched on the folded name_search column (Arabic spelling
    # variants ignored; trigram-indexed on PostgreSQL): see patient_match.
    search_fields = ("=mrn", "=national_id", "=phone")
    search_help_text = _("MRN, national ID or phone number (exact), or part of a name.")
    autocomplete_fields = ("hospital",)
    fieldsets = (
        (
            None,
            {"fields": ("hospital", "mrn", "national_id", "name_ar", "name_en", "birth_date", "gender", "nationality")},
        ),
        (_("Contact"), {"fields": ("phone", "email", "preferred_language", "preferred_channel")}),
        (
            _("Contact preferences"),
            {"fields": ("opted_out_sms", "opted_out_whatsapp", "opted_out_email", "is_deceased")},
        ),
    )

    # National IDs are shown by px360.core.masking's rule on every page of
    # this admin: the list (and so search results), the change page, and the
    # history pages (masked there by the base class).

    def get_list_display(self, request):
        viewer = request.user

        @admin.display(description=_("national ID / iqama"))
        def national_id(patient):
            return national_id_for(viewer, patient.national_id)

        return ("mrn", national_id, "name_ar", "name_en", "hospital", "gender", "birth_date")

    @admin.display(description=_("national ID / iqama"))
    def masked_national_id(self, patient):
        return mask_national_id(patient.national_id)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not sees_full_identifiers(request.user):
            fields.append("masked_national_id")
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not sees_full_identifiers(request.user):
            # The masked value replaces the field, so the form never carries
            # the full number (and a save keeps the stored one).
            first = dict(fieldsets[0][1])
            first["fields"] = tuple("masked_national_id" if f == "national_id" else f for f in first["fields"])
            fieldsets = ((fieldsets[0][0], first), *fieldsets[1:])
        return fieldsets

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        hospital_ids = None
        if hospital_ids_for(request.user) is None:
            # MRNs are indexed with their hospital (hospital, mrn): naming every
            # hospital lets PostgreSQL probe that index instead of scanning the table.
            hospital_ids = list(Hospital.all_objects.values_list("pk", flat=True))
        audit_search(request=request, model=Patient, term=term)
        return queryset.filter(patient_match(term, hospital_ids=hospital_ids)), False
