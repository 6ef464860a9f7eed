from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, BooleanRadioFilter, ChoicesDropdownFilter
from unfold.decorators import action
from unfold.paginator import InfinitePaginator

from px360.core.access import hospital_ids_for
from px360.core.admin.base import PXModelAdmin
from px360.core.admin.importexport import PXImportExportMixin
from px360.core.masking import mask_national_id, national_id_for, sees_full_identifiers
from px360.core.models import AuditAction
from px360.core.services import audit_record, audit_search
from px360.organizations.models import Hospital, Patient
from px360.organizations.resources import PatientResource
from px360.organizations.search import patient_match
from px360.organizations.timeline import Fact, patient_timeline


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

        return ("mrn", "patient_360_link", national_id, "name_ar", "name_en", "hospital", "gender", "birth_date")

    # --- the patient 360 page ---------------------------------------------------------

    # A button at the top of the patient's change page and a link above its
    # form (seen on a phone too, where the buttons fold into a menu); the list
    # (and so every search result) links to it in its own column.
    actions_detail = ["patient_360"]
    change_form_before_template = "organizations/admin/patient_360_link.html"

    @admin.display(description=_("patient 360"))
    def patient_360_link(self, patient):
        url = reverse("admin:organizations_patient_patient_360", args=[patient.pk])
        return format_html(
            '<a class="text-primary-600 font-medium whitespace-nowrap" href="{}">{}</a>', url, _("Open 360")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Only the patient's own change page links there (not a version in its history).
        url = reverse("admin:organizations_patient_patient_360", args=[unquote(object_id)])
        extra_context = {**(extra_context or {}), "patient_360_url": url}
        return super().change_view(request, object_id, form_url, extra_context)

    @action(description=_("Patient 360"), url_path="360", icon="timeline")
    def patient_360(self, request, object_id):
        """Everything PX360 knows about the patient, newest first, as this user may see it.

        The rows come from the sources registered in
        ``px360.organizations.timeline`` (visits, journeys, invitations,
        responses, messages, HIS messages, contact preferences; later
        complaints and actions), each scoped by the access policy. Opening the
        page is a read of the patient, audited as the change page is.
        """
        patient = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, patient):
            raise Http404
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        kind = request.GET.get("kind", "")
        page = patient_timeline(patient=patient, user=request.user, kind=kind, before=request.GET.get("before", ""))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Patient 360"),
            "subtitle": patient.mrn,
            "opts": self.opts,
            "patient": patient,
            # The header's trail: Organisation › Patients › the patient's MRN.
            "original": patient,
            "facts": self._patient_facts(request, patient) + page.summary,
            "page": page,
            "kind": kind,
            "total": sum(item.count for item in page.kinds),
            "change_url": reverse("admin:organizations_patient_change", args=[patient.pk]),
            "base_url": request.path,
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, "organizations/admin/patient_360.html", context)
        details = {"via": "patient_360"}
        if kind:
            details["kind"] = kind
        if request.GET.get("before"):
            details["page"] = "older"
        audit_record(action=AuditAction.VIEW, request=request, obj=patient, details=details)
        return response

    def _patient_facts(self, request, patient) -> list[Fact]:
        opted_out = [
            label
            for flag, label in (
                ("opted_out_sms", _("SMS")),
                ("opted_out_whatsapp", _("WhatsApp")),
                ("opted_out_email", _("e-mail")),
            )
            if getattr(patient, flag)
        ]
        separator = "، " if (get_language() or "ar").startswith("ar") else ", "
        facts = [
            Fact(_("MRN"), patient.mrn, ltr=True),
            Fact(_("national ID / iqama"), national_id_for(request.user, patient.national_id) or "-", ltr=True),
            Fact(_("name (Arabic)"), patient.name_ar or "-", data=True),
            Fact(_("name (English)"), patient.name_en or "-", ltr=True),
            Fact(_("hospital"), patient.hospital.name, data=True),
            Fact(_("phone"), patient.phone or "-", ltr=True),
            Fact(_("e-mail"), patient.email or "-", ltr=True),
            Fact(_("preferred language"), patient.get_preferred_language_display()),
            Fact(_("preferred channel"), patient.get_preferred_channel_display()),
            Fact(_("opted out of"), separator.join(map(str, opted_out)) if opted_out else _("None")),
        ]
        if patient.is_deceased:
            facts.append(Fact(_("deceased"), _("Yes")))
        return facts

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
