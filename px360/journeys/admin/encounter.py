from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.paginator import InfinitePaginator

from px360.core.access import hospital_ids_for, restrict
from px360.core.admin.base import PXModelAdmin
from px360.core.admin.importexport import PXImportExportMixin
from px360.core.services import audit_search
from px360.organizations.models import Hospital, Patient
from px360.organizations.search import patient_match

from ..importer.columns import COLUMNS
from ..models import Encounter, ImportJob
from ..resources import EncounterResource
from ..services import import_job_create, import_job_start
from .forms import ConfirmImportForm, EncounterImportForm

# A name matching more patients than this is searched with a join instead of
# a list of ids (slower, but still indexed on PostgreSQL).
NAME_MATCH_LIMIT = 1000
# Up to this many matching encounters are fetched by id before the page is sorted.
ENCOUNTER_MATCH_LIMIT = 5000


def _id_list(ids: list):
    """``pk__in`` these ids, written so PostgreSQL fetches them by id and sorts them.

    A plain ``IN (...)`` of a thousand ids lets the planner walk the whole
    admission-order index looking for them (50 ms at a million rows for a rare
    name); ``unnest`` of one array is estimated as a few rows, so it probes.
    """
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::uuid[])", (ids,))
    return ids


class ImportJobFilter(admin.SimpleListFilter):
    """The encounters one import saved: reached from the import's page, shown only while it is chosen.

    The job must be one the user may see; any other id (another hospital's
    import, a malformed one) selects nothing, as an unknown one does.
    """

    title = _("import")
    parameter_name = "import_job__id__exact"

    def _job(self, request):
        try:
            return restrict(ImportJob.objects.all(), request.user).filter(pk=self.value()).first()
        except (ValidationError, ValueError):
            return None

    def lookups(self, request, model_admin):
        if not self.value():
            return []
        job = self._job(request)
        # An id that names no import the user may see still filters (to nothing): it reads as unknown.
        return [(self.value(), str(job) if job is not None else _("unknown import"))]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        job = self._job(request)
        return queryset.filter(import_job=job) if job is not None else queryset.none()


@admin.register(Encounter)
class EncounterAdmin(PXImportExportMixin, PXModelAdmin):
    resource_classes = [EncounterResource]
    # A million rows: no COUNT(*), no page numbers, no table-loading filters.
    paginator = InfinitePaginator
    show_full_result_count = False
    list_display = (
        "encounter_number",
        "encounter_type",
        "hospital",
        "patient",
        "department",
        "attending_physician",
        "admitted_at",
        "discharged_at",
        "status",
    )
    list_select_related = ("hospital", "patient", "department", "attending_physician")
    list_filter = (
        ("hospital", AutocompleteSelectFilter),
        ("department", AutocompleteSelectFilter),
        ("attending_physician", AutocompleteSelectFilter),
        ("encounter_type", ChoicesDropdownFilter),
        ("status", ChoicesDropdownFilter),
        ("source", ChoicesDropdownFilter),
        ("admitted_at", RangeDateTimeFilter),
        # "The encounters this import saved", linked from an import's page.
        ImportJobFilter,
    )
    search_fields = ("=encounter_number",)  # the real search is get_search_results
    search_help_text = _("Encounter number, MRN, national ID or phone number (exact), or part of the patient's name.")
    autocomplete_fields = ("hospital", "patient", "department", "attending_physician")
    readonly_fields = ("source", "import_job")
    fieldsets = (
        (None, {"fields": ("hospital", "encounter_number", "encounter_type", "patient", "status")}),
        (_("Care"), {"fields": ("department", "attending_physician", "admitted_at", "discharged_at")}),
        (_("Origin"), {"fields": ("source", "import_job")}),
    )

    # --- search ----------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        """Encounter number, MRN, national ID or phone number (exact), or part of the patient's name.

        What a term matches on the patient is ``patient_match``'s rule, the
        same on every list. Two plans, chosen by how many patients the term
        matches (at most ``NAME_MATCH_LIMIT`` are read to find out):

        - a rare name (or an identifier): its patients' encounters are
          collected through the patient index, and the page sorts just those
          (fetched by id);
        - a common name (a thousand patients or more): the page walks its
          usual order and checks each row's patient, which finds a page of
          matches within a few hundred rows. Collecting every match first
          is what made common names slow at a million encounters.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        hospital_ids = hospital_ids_for(request.user)
        # MRNs and encounter numbers are indexed with their hospital: naming
        # the hospitals lets PostgreSQL probe those indexes instead of scanning.
        scope_hospitals = (
            list(hospital_ids) if hospital_ids is not None else list(Hospital.all_objects.values_list("pk", flat=True))
        )
        audit_search(request=request, model=Encounter, term=term)
        number_match = Q(hospital_id__in=scope_hospitals, encounter_number=term)
        match = patient_match(term, hospital_ids=scope_hospitals)
        if match is None:
            return queryset.filter(number_match), False
        patient_ids = list(
            Patient.objects.filter(hospital_id__in=scope_hospitals)
            .filter(match)
            .order_by()
            .values_list("pk", flat=True)[: NAME_MATCH_LIMIT + 1]
        )
        if len(patient_ids) > NAME_MATCH_LIMIT:  # a common name
            condition = number_match | (
                patient_match(term, path="patient__", hospital_ids=scope_hospitals)
                & Q(patient__hospital_id__in=scope_hospitals, patient__deleted_at__isnull=True)
            )
        else:
            encounter_ids = list(
                Encounter.objects.filter(number_match | Q(patient_id__in=patient_ids)).values_list("pk", flat=True)[
                    : ENCOUNTER_MATCH_LIMIT + 1
                ]
            )
            if len(encounter_ids) <= ENCOUNTER_MATCH_LIMIT:
                condition = Q(pk__in=_id_list(encounter_ids))
            else:  # a few patients with very many visits
                condition = number_match | Q(patient_id__in=patient_ids)
        return queryset.filter(condition), False

    # --- import (two steps: upload and check, then confirm) -----------------------

    def import_action(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = EncounterImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            try:
                job = import_job_create(
                    file=upload, user=request.user, mode=form.cleaned_data["mode"], name=upload.name
                )
                job = import_job_start(job=job)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if job.background:
                    messages.info(request, _("The file is large: it is being checked in the background."))
                return redirect(reverse("admin:journeys_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import encounters"),
            "opts": self.model._meta,
            "form": form,
            "columns": ", ".join(COLUMNS),
            "recent_jobs": restrict(ImportJob.objects.filter(user=request.user), request.user)[:5],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "journeys/admin/encounter_import.html", context)

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """Confirm a checked import: reuses the stored check result, never re-reads the file."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ConfirmImportForm(request.POST)
        if not form.is_valid():
            raise PermissionDenied
        # One confirmation path: the import job's page claims the job once.
        return self.admin_site._registry[ImportJob].confirm_view(request, str(form.cleaned_data["job"]))
