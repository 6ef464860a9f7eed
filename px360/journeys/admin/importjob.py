import csv
import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display

from px360.core.admin.base import PXModelAdmin
from px360.core.models import AuditAction
from px360.core.services import audit_record

from ..choices import ImportMode, JobStatus
from ..importer import template as import_template
from ..importer.check import MAX_STORED_ERRORS
from ..importer.report import rejected_rows_for_reader, worded_problems
from ..models import Encounter, ImportJob
from ..services import import_job_confirm
from .forms import ConfirmImportForm

_STATUS_LABELS = {
    JobStatus.PENDING: "info",
    JobStatus.VALIDATING: "info",
    JobStatus.VALIDATED: "warning",
    "confirmed": "info",
    JobStatus.RUNNING: "info",
    JobStatus.DONE: "success",
    JobStatus.FAILED: "danger",
}

# The template's file formats: (content type, file name).
TEMPLATE_FILES = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "encounters-template.xlsx"),
    "csv": ("text/csv; charset=utf-8", "encounters-template.csv"),
    "codes": ("text/csv; charset=utf-8", "encounters-allowed-codes.csv"),
}


@admin.register(ImportJob)
class ImportJobAdmin(PXModelAdmin):
    """Import jobs: read-only, with progress, confirmation and the rejected-rows file."""

    list_display = ("__str__", "show_status", "progress_percent", "original_name", "user", "counts", "created_at")
    list_select_related = ("user",)
    list_filter = (("status", ChoicesDropdownFilter),)
    search_fields = ("original_name", "user__username")
    actions = []

    @display(description=_("status"), label=_STATUS_LABELS)
    def show_status(self, job):
        return job.phase, job.get_phase_display()

    @admin.display(description=_("progress (%)"))
    def progress_percent(self, job):
        return f"{job.progress}%"

    @admin.display(description=_("new / updated / unchanged / rejected"))
    def counts(self, job):
        return f"{job.new_count} / {job.updated_count} / {job.unchanged_count} / {job.rejected_count}"

    def has_change_permission(self, request, obj=None):
        return (
            False if obj is not None and obj.status == JobStatus.DONE else super().has_change_permission(request, obj)
        )

    def has_view_permission(self, request, obj=None):
        # Whoever started a job may follow it and fetch its file, whatever their role.
        if obj is not None and obj.user_id == request.user.pk:
            return True
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        # Adding a job means uploading a file, which needs the import permission on encounters.
        return super().has_add_permission(request) and request.user.has_perm("journeys.import_encounter")

    def _job(self, request, object_id) -> ImportJob:
        job = ImportJob.objects.select_related("user").filter(pk=object_id).first()
        if job is None or not self.has_view_permission(request, job):
            raise Http404
        return job

    def get_urls(self):
        app, model = self.opts.app_label, self.opts.model_name

        def route(pattern, view, name):
            return path(pattern, self.admin_site.admin_view(view), name=f"{app}_{model}_{name}")

        return [
            route("<uuid:object_id>/status/", self.status_view, "status"),
            route("<uuid:object_id>/confirm/", self.confirm_view, "confirm"),
            route("<uuid:object_id>/download/", self.download_view, "download"),
            route("template/<str:file_format>/", self.template_view, "template"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return admin.site._registry[Encounter].import_action(request)

    # --- the job page ---------------------------------------------------------------

    def _may_confirm(self, request, job) -> bool:
        encounter_admin = admin.site._registry[Encounter]
        return job.user_id == request.user.pk and encounter_admin.has_import_permission(request)

    def _rows_url(self, request, job) -> str:
        """The encounter list showing what this import wrote, when that list offers the filter."""
        encounter_admin = admin.site._registry[Encounter]
        lookup = "import_job__id__exact"
        if job.status != JobStatus.DONE or not (job.new_count or job.updated_count):
            return ""
        if not encounter_admin.lookup_allowed(lookup, str(job.pk), request):
            return ""
        return f"{reverse('admin:journeys_encounter_changelist')}?{lookup}={job.pk}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        may_confirm = self._may_confirm(request, job)
        valid_rows = job.new_count + job.updated_count + job.unchanged_count
        context = {
            **self.admin_site.each_context(request),
            "title": str(job),
            "opts": self.opts,
            "original": job,
            "job": job,
            "can_confirm": job.can_confirm and may_confirm,
            "can_import_valid_rows": job.status == JobStatus.VALIDATED
            and job.confirmed_at is None
            and not job.dry_run
            and job.mode == ImportMode.ALL_OR_NOTHING
            and job.rejected_count > 0
            and valid_rows > 0
            and may_confirm,
            "valid_rows_mode": ImportMode.VALID_ROWS,
            "status_url": reverse("admin:journeys_importjob_status", args=[job.pk]),
            "download_url": reverse("admin:journeys_importjob_download", args=[job.pk]) if job.output_file else "",
            "confirm_url": reverse("admin:journeys_importjob_confirm", args=[job.pk]),
            "rows_url": self._rows_url(request, job),
            "import_url": reverse("admin:journeys_encounter_import"),
            "chunked_note": job.status == JobStatus.FAILED and job.committed_rows > 0,
            "errors": worded_problems(job.errors[:MAX_STORED_ERRORS], html=True),
            "more_errors": max(job.error_count - len(job.errors), 0),
        }
        # An import's page is its preview: rejected rows and a sample of the changes, with patient data.
        audit_record(action=AuditAction.IMPORT_PREVIEW, request=request, obj=job)
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "journeys/admin/importjob_detail.html", context)

    def status_view(self, request, object_id):
        """Where the job is, for the page to follow it: no patient data, only the phase, progress and counts."""
        job = self._job(request, object_id)
        return JsonResponse(
            {
                "status": job.status,
                "phase": job.phase,
                "status_display": job.get_phase_display(),
                "progress": job.progress,
                "processed_rows": job.processed_rows,
                "total_rows": job.total_rows,
                # The same words as the page (the template's blocktrans msgid).
                "progress_text": _gettext("%(progress)s%% · %(processed)s of %(total)s rows")
                % {"progress": job.progress, "processed": job.processed_rows, "total": job.total_rows},
                # Nothing runs and nothing is queued: the page stops following the job.
                "finished": not job.is_running,
                "can_confirm": job.can_confirm and self._may_confirm(request, job),
                "counts": {
                    "new": job.new_count,
                    "updated": job.updated_count,
                    "unchanged": job.unchanged_count,
                    "rejected": job.rejected_count,
                },
            }
        )

    # --- confirming -----------------------------------------------------------------

    @method_decorator(require_POST)
    def confirm_view(self, request, object_id):
        """Confirm a checked import, once.

        The confirmation is claimed with a conditional UPDATE (the job is still
        "checked" and nobody confirmed it): a second click, a second tab or a
        replayed request finds it claimed and is refused, so the file is queued
        once and the page shows "confirmed" from the first click on.
        """
        job = self._job(request, object_id)
        if not self._may_confirm(request, job):
            raise PermissionDenied
        form = ConfirmImportForm({"job": str(job.pk), "mode": request.POST.get("mode", "")})
        if not form.is_valid():
            raise PermissionDenied
        page = redirect(reverse("admin:journeys_importjob_change", args=[job.pk]))
        claimed = ImportJob.objects.filter(
            pk=job.pk, status=JobStatus.VALIDATED, dry_run=False, confirmed_at__isnull=True
        ).update(confirmed_at=timezone.now())
        if not claimed:
            messages.warning(request, _("This import was already confirmed; it is not saved twice."))
            return page
        try:
            # ``job`` was read before the claim: the service checks it as the importer saw it.
            job = import_job_confirm(job=job, user=request.user, mode=form.cleaned_data.get("mode") or None)
        except ValidationError as error:
            ImportJob.objects.filter(pk=job.pk, status=JobStatus.VALIDATED).update(confirmed_at=None)
            for message in error.messages:
                messages.error(request, message)
            return page
        except Exception:
            # Nothing was queued or saved (the queue or the database refused): it may be confirmed again.
            ImportJob.objects.filter(pk=job.pk, status=JobStatus.VALIDATED).update(confirmed_at=None)
            raise
        job.refresh_from_db()
        if job.status == JobStatus.DONE:
            messages.success(
                request,
                _("Import finished: %(new)d new, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected.")
                % {
                    "new": job.new_count,
                    "updated": job.updated_count,
                    "unchanged": job.unchanged_count,
                    "rejected": job.rejected_count,
                },
            )
        elif job.status == JobStatus.FAILED:
            messages.error(request, job.get_failure_display())
        return page

    # --- files ----------------------------------------------------------------------

    def download_view(self, request, object_id):
        job = self._job(request, object_id)
        if not job.output_file:
            raise Http404
        audit_record(
            action=AuditAction.EXPORT,
            request=request,
            obj=job,
            row_count=job.rejected_count,
            details={"download": "rejected rows"},
        )
        name = job.output_file.name.rsplit("/", 1)[-1]
        # The rejected rows, their problems worded in the reader's language.
        response = StreamingHttpResponse(
            _rejected_rows_csv(job, translation.get_language()), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def template_view(self, request, file_format):
        """The file to fill in (XLSX or CSV) and the codes the user may use, for their hospitals only."""
        if file_format not in TEMPLATE_FILES:
            raise Http404
        if not self.has_add_permission(request):
            raise PermissionDenied
        content_type, name = TEMPLATE_FILES[file_format]
        if file_format == "xlsx":
            buffer = io.BytesIO()
            import_template.write_template_xlsx(buffer, request.user)
            data = buffer.getvalue()
        else:
            text = io.StringIO()
            if file_format == "csv":
                import_template.write_template_csv(text)
            else:
                import_template.write_template_codes_csv(text, request.user)
            data = ("\ufeff" + text.getvalue()).encode("utf-8")  # a BOM: Excel reads Arabic CSV right
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _rejected_rows_csv(job: ImportJob, language: str):
    """The stored rejected-rows file as CSV lines (UTF-8 with a BOM), problems worded in ``language``.

    A streamed response is read after the view returns: the language is set here, not left to the thread.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    with job.output_file.open("rb") as handle, translation.override(language):
        lines = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        for row in rejected_rows_for_reader(lines):
            writer.writerow(row)
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate(0)
