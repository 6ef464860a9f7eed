"""Import/export for admins, on Unfold's forms, with scope and audit."""

from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.contrib.import_export.forms import ImportForm, SelectableFieldsExportForm

from px360.core.models import AuditAction
from px360.core.services import audit_record


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

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        filters = {key: value for key, value in request.GET.items() if not key.startswith("_")}
        audit_record(
            action=AuditAction.EXPORT,
            request=request,
            model=self.model,
            row_count=queryset.count(),
            details={"format": file_format.get_title(), "filters": filters},
        )
        return data

    def process_result(self, result, request):
        response = super().process_result(result, request)
        totals = dict(result.totals.items())
        audit_record(
            action=AuditAction.IMPORT,
            request=request,
            model=self.model,
            row_count=result.total_rows,
            details={"totals": totals},
        )
        return response
