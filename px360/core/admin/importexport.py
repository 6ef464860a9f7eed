"""Import/export for admins, on Unfold's forms, with scope and audit."""

from django.contrib import messages
from django.utils.translation import gettext as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.contrib.import_export.forms import ImportForm, SelectableFieldsExportForm

from px360.core.admin.filters import simple_filter_choices
from px360.core.models import AuditAction
from px360.core.services import audit_filters, audit_record


class PXImportExportMixin(ImportExportMixin):
    """Exports read the admin's scoped queryset; imports pass the user to the resource."""

    import_form_class = ImportForm
    export_form_class = SelectableFieldsExportForm
    formats = [XLSX, CSV]
    # Excel shows Arabic CSV garbled without a byte-order mark.
    to_encoding = "utf-8-sig"
    skip_import_confirm = False

    def get_import_resource_kwargs(self, request, **kwargs):
        kwargs = super().get_import_resource_kwargs(request, **kwargs)
        kwargs["user"] = request.user
        return kwargs

    def get_export_resource_kwargs(self, request, **kwargs):
        kwargs = super().get_export_resource_kwargs(request, **kwargs)
        kwargs["user"] = request.user
        return kwargs

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        # Confirming checks every row again (scope, masked fields): a row
        # refused then undoes the whole file, as it would in the preview.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def add_success_message(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request, _("Nothing was imported: some rows are no longer valid. Upload the file again to see why.")
            )
            return
        super().add_success_message(result, request)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        # Every parameter of the export, the search term included, as the audit may keep it.
        filters = audit_filters(self.model, request.GET, choices=simple_filter_choices(self, request))
        audit_record(
            action=AuditAction.EXPORT,
            request=request,
            model=self.model,
            row_count=queryset.count(),
            details={"format": file_format.get_title(), "filters": filters},
        )
        return data

    def import_action(self, request, **kwargs):
        """The upload step; when it shows the checked rows (the preview, with or without errors) that is a read."""
        response = super().import_action(request, **kwargs)
        result = (getattr(response, "context_data", None) or {}).get("result")
        if result is not None:
            audit_record(
                action=AuditAction.IMPORT_PREVIEW,
                request=request,
                model=self.model,
                row_count=result.total_rows,
                details={
                    "totals": dict(result.totals.items()),
                    "errors": bool(result.has_errors() or result.has_validation_errors()),
                },
            )
        return response

    def process_result(self, result, request):
        response = super().process_result(result, request)
        # A confirm whose re-check refused a row rolled the whole file back.
        saved = not (result.has_errors() or result.has_validation_errors())
        audit_record(
            action=AuditAction.IMPORT,
            request=request,
            model=self.model,
            row_count=result.total_rows if saved else 0,
            details={"totals": dict(result.totals.items()), "saved": saved},
        )
        return response
