"""Exports that are too large for one request run as background jobs.

The job rebuilds the same admin queryset (scope, filters and search) from the
user and the query string, writes the file under ``MEDIA_ROOT/imports/`` and
offers it through an authenticated download view; the export is audited when
it is written. This is the pattern every large export follows.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from ..services import export_job_create


def export_background_rows() -> int:
    return int(getattr(settings, "PX360_EXPORT_BACKGROUND_ROWS", 20000))


class BackgroundExportMixin:
    """Mix into a PXImportExportMixin admin, before it."""

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        limit = export_background_rows()
        # Counting a million rows is itself slow: look only one row past the limit.
        if len(queryset.values_list("pk", flat=True)[: limit + 1]) <= limit:
            return super()._do_file_export(file_format, request, queryset, export_form=export_form)
        fields = self.get_export_resource_fields_from_form(export_form) if export_form is not None else None
        params = dict(request.GET.items())
        job = export_job_create(
            user=request.user,
            model_label=self.model._meta.label_lower,
            export_format=file_format.get_title(),
            query=params,
            fields=list(fields) if fields else None,
        )
        messages.info(
            request,
            _(
                "The export is large: it is being written in the background. Download it from this page when it is ready."
            ),
        )
        return redirect(reverse("admin:journeys_importjob_change", args=[job.pk]))
