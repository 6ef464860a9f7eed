"""An "Export list" button on every changelist: the rows shown, to XLSX or CSV.

:class:`ChangelistExportMixin` adds to a model admin:

- an "Export list" item next to the list's other actions, carrying the list's
  current filters, search and order;
- ``export-list/``: a page to choose XLSX or CSV; a list of up to
  ``PX360_EXPORT_IMMEDIATE_ROWS`` rows (2,000) downloads at once, a longer one
  becomes a background job (:mod:`px360.core.exports.service`);
- ``export-list/<job>/``: the job's progress, then its download link until the
  file expires; ``status/`` (JSON, polled by the page) and ``download/``.

Only the user who asked (and a superuser) opens a job's pages; anyone else
gets 404, as for any record outside their scope. Exporting needs the list's
view permission and, where the model declares one (``export_<model>``), the
export permission.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from px360.core.exports.service import (
    audit_export,
    can_export,
    changelist_queryset,
    count_up_to,
    export_filename,
    export_job_create,
    export_jobs_visible_to,
    immediate_rows,
    list_parameters,
    write_export,
)
from px360.core.exports.writers import WRITERS
from px360.core.models import AuditAction, ExportFormat, ExportJob
from px360.core.services import audit_record

EXPORT_CHANGE_LIST_TEMPLATE = "px360/exports/change_list.html"


class ChangelistExportMixin:
    """Mix into a model admin (before the Unfold / Django ``ModelAdmin``) to export its list."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The list keeps the template it had (import-export's, an app's own);
        # ours extends it and adds one action item.
        if self.change_list_template != EXPORT_CHANGE_LIST_TEMPLATE:
            self.px_export_base_template = self.change_list_template or "admin/change_list.html"
            self.change_list_template = EXPORT_CHANGE_LIST_TEMPLATE

    # --- URLs ------------------------------------------------------------------------

    def _export_url_name(self, suffix: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_list_export{suffix}"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export-list/", wrap(self.list_export_view), name=self._export_url_name("")),
            path("export-list/<uuid:job_id>/", wrap(self.list_export_job_view), name=self._export_url_name("_job")),
            path(
                "export-list/<uuid:job_id>/status/",
                wrap(self.list_export_status_view),
                name=self._export_url_name("_status"),
            ),
            path(
                "export-list/<uuid:job_id>/download/",
                wrap(self.list_export_download_view),
                name=self._export_url_name("_download"),
            ),
            *super().get_urls(),
        ]

    def _export_reverse(self, suffix: str, *args, query: str = "") -> str:
        url = reverse(f"{self.admin_site.name}:{self._export_url_name(suffix)}", args=args)
        return f"{url}?{query}" if query else url

    # --- the changelist's button -----------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["px_export_base_template"] = getattr(self, "px_export_base_template", "admin/change_list.html")
        if request.method == "GET" and can_export(self, request):
            query = urlencode(list_parameters(request.GET), doseq=True)
            extra_context["px_export_url"] = self._export_reverse("", query=query)
        return super().changelist_view(request, extra_context)

    # --- choosing and starting an export ----------------------------------------------

    def list_export_view(self, request):
        if not can_export(self, request):
            raise PermissionDenied
        try:
            queryset = changelist_queryset(self, request)
        except IncorrectLookupParameters:
            changelist = reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist")
            return HttpResponseRedirect(f"{changelist}?{ERROR_FLAG}=1")
        limit = immediate_rows()
        error = ""
        if request.method == "POST":
            export_format = request.POST.get("format", "")
            if export_format in ExportFormat.values:
                return self._start_export(request, queryset, export_format, limit)
            error = _("Choose a file format.")
        count = count_up_to(queryset, limit)
        changelist_url = reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist")
        query = urlencode(list_parameters(request.GET), doseq=True)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export %(records)s") % {"records": self.opts.verbose_name_plural},
            "opts": self.opts,
            "formats": ExportFormat.choices,
            "error": error,
            "row_count": count,
            "over_limit": count > limit,
            "limit": limit,
            "filtered": bool(list_parameters(request.GET)),
            "back_url": f"{changelist_url}?{query}" if query else changelist_url,
            "recent_jobs": [
                (job, self._export_reverse("_job", job.pk))
                for job in ExportJob.objects.filter(user=request.user, model_label=self.opts.label_lower)[:5]
            ],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "px360/exports/export_form.html", context)

    def _start_export(self, request, queryset, export_format: str, limit: int):
        language = translation.get_language() or "ar"
        if count_up_to(queryset, limit) > limit:
            job = export_job_create(
                user=request.user,
                model=self.model,
                params=list_parameters(request.GET),
                export_format=export_format,
                language=language,
            )
            messages.info(
                request, _("The list is long: it is being written in the background. This page shows its progress.")
            )
            return redirect(self._export_reverse("_job", job.pk))
        # A short list: written now, from the same queryset, and sent at once.
        folder = Path(tempfile.mkdtemp(prefix="px360-export-"))
        try:
            filename = export_filename(self.model, export_format)
            file_path = folder / filename
            count = write_export(
                model_admin=self, request=request, export_format=export_format, path=file_path, queryset=queryset
            )
            handle = file_path.open("rb")
        finally:
            # The open handle keeps the file readable until the response is sent.
            shutil.rmtree(folder, ignore_errors=True)
        audit_export(
            model_admin=self,
            request=request,
            actor=request.user,
            export_format=export_format,
            row_count=count,
            background=False,
        )
        return FileResponse(
            handle, as_attachment=True, filename=filename, content_type=WRITERS[export_format].content_type
        )

    # --- a background export's pages --------------------------------------------------

    def _export_job(self, request, job_id) -> ExportJob:
        job = export_jobs_visible_to(request.user).filter(pk=job_id, model_label=self.opts.label_lower).first()
        if job is None:
            raise Http404
        return job

    def list_export_job_view(self, request, job_id):
        job = self._export_job(request, job_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export %(records)s") % {"records": self.opts.verbose_name_plural},
            "opts": self.opts,
            "job": job,
            "status_url": self._export_reverse("_status", job.pk),
            "download_url": self._export_reverse("_download", job.pk) if job.is_downloadable else "",
            "expires_at": timezone.localtime(job.expires_at) if job.expires_at else None,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "px360/exports/job.html", context)

    def list_export_status_view(self, request, job_id):
        job = self._export_job(request, job_id)
        return JsonResponse(
            {
                "status": job.status,
                "status_display": str(job.get_status_display()),
                "progress": job.progress,
                "processed_rows": job.processed_rows,
                "total_rows": job.total_rows,
                # The same words as the page (the template's blocktranslate msgid).
                "progress_text": _("%(progress)s%% · %(processed)s of %(total)s rows")
                % {"progress": job.progress, "processed": job.processed_rows, "total": job.total_rows},
                "finished": not job.is_running,
                "download_url": self._export_reverse("_download", job.pk) if job.is_downloadable else "",
            }
        )

    def list_export_download_view(self, request, job_id):
        job = self._export_job(request, job_id)
        if not job.is_downloadable:
            raise Http404
        audit_record(
            action=AuditAction.EXPORT,
            request=request,
            model=self.model,
            row_count=job.processed_rows,
            details={"download": str(job.pk), "format": job.export_format},
        )
        name = Path(job.file.name).name
        return FileResponse(
            job.file.open("rb"), as_attachment=True, filename=name, content_type=WRITERS[job.export_format].content_type
        )


__all__ = ["ChangelistExportMixin"]
