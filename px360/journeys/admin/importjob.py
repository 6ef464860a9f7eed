from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display

from px360.core.admin.base import PXModelAdmin
from px360.core.models import AuditAction
from px360.core.services import audit_record

from ..choices import ImportMode, JobKind, JobStatus
from ..models import Encounter, ImportJob

_STATUS_LABELS = {
    JobStatus.PENDING: "info",
    JobStatus.VALIDATING: "info",
    JobStatus.VALIDATED: "warning",
    JobStatus.RUNNING: "info",
    JobStatus.DONE: "success",
    JobStatus.FAILED: "danger",
}


@admin.register(ImportJob)
class ImportJobAdmin(PXModelAdmin):
    """Import and background-export jobs: read-only, with progress and downloads."""

    list_display = ("__str__", "show_status", "progress_percent", "original_name", "user", "counts", "created_at")
    list_select_related = ("user",)
    list_filter = (("status", ChoicesDropdownFilter), ("kind", ChoicesDropdownFilter))
    search_fields = ("original_name", "user__username")
    actions = []

    @display(description=_("status"), label=_STATUS_LABELS)
    def show_status(self, job):
        return job.status, job.get_status_display()

    @admin.display(description=_("progress (%)"))
    def progress_percent(self, job):
        return f"{job.progress}%"

    @admin.display(description=_("new / updated / unchanged / rejected"))
    def counts(self, job):
        if job.kind == JobKind.EXPORT:
            return job.total_rows
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
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<uuid:object_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name=f"{info[0]}_{info[1]}_status",
            ),
            path(
                "<uuid:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name=f"{info[0]}_{info[1]}_download",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return admin.site._registry[Encounter].import_action(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        encounter_admin = admin.site._registry[Encounter]
        context = {
            **self.admin_site.each_context(request),
            "title": str(job),
            "opts": self.opts,
            "original": job,
            "job": job,
            "can_confirm": job.can_confirm
            and encounter_admin.has_import_permission(request)
            and job.user_id == request.user.pk,
            "can_import_valid_rows": job.kind == JobKind.IMPORT
            and job.status == JobStatus.VALIDATED
            and job.mode == ImportMode.ALL_OR_NOTHING
            and job.rejected_count > 0
            and (job.new_count + job.updated_count + job.unchanged_count) > 0
            and job.user_id == request.user.pk,
            "valid_rows_mode": ImportMode.VALID_ROWS,
            "status_url": reverse("admin:journeys_importjob_status", args=[job.pk]),
            "download_url": reverse("admin:journeys_importjob_download", args=[job.pk]) if job.output_file else "",
            "confirm_url": reverse("admin:journeys_encounter_process_import"),
            "chunked_note": job.status == JobStatus.FAILED and job.committed_rows > 0,
            "errors": job.errors[:1000],
            "more_errors": max(job.error_count - len(job.errors), 0),
        }
        # An import's page is its preview: rejected rows and a sample of the changes, with patient data.
        audit_record(
            action=AuditAction.IMPORT_PREVIEW if job.kind == JobKind.IMPORT else AuditAction.VIEW,
            request=request,
            obj=job,
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "journeys/admin/importjob_detail.html", context)

    def status_view(self, request, object_id):
        job = self._job(request, object_id)
        return JsonResponse(
            {
                "status": job.status,
                "status_display": str(job.get_status_display()),
                "progress": job.progress,
                "processed_rows": job.processed_rows,
                "total_rows": job.total_rows,
                # The same words as the page (the template's blocktrans msgid).
                "progress_text": _("%(progress)s%% · %(processed)s of %(total)s rows")
                % {"progress": job.progress, "processed": job.processed_rows, "total": job.total_rows},
                "finished": job.status in (JobStatus.VALIDATED, JobStatus.DONE, JobStatus.FAILED),
                "counts": {
                    "new": job.new_count,
                    "updated": job.updated_count,
                    "unchanged": job.unchanged_count,
                    "rejected": job.rejected_count,
                },
            }
        )

    def download_view(self, request, object_id):
        job = self._job(request, object_id)
        if not job.output_file:
            raise Http404
        audit_record(
            action=AuditAction.EXPORT,
            request=request,
            obj=job,
            row_count=job.rejected_count if job.kind == JobKind.IMPORT else job.total_rows,
            details={"download": "rejected rows" if job.kind == JobKind.IMPORT else "export"},
        )
        name = job.output_file.name.rsplit("/", 1)[-1]
        return FileResponse(job.output_file.open("rb"), as_attachment=True, filename=name)
