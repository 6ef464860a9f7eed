"""Import/export for admins, on Unfold's forms, with scope and audit."""

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.contrib.import_export.forms import ImportForm, SelectableFieldsExportForm

from px360.core.admin.filters import simple_filter_choices
from px360.core.models import AuditAction
from px360.core.services import audit_filters, audit_record


def resource_field_label(resource, field_name: str) -> str:
    """What an export column holds, in the reader's language, then its header in the file.

    import-export titles the column name ("Patient Mrn"), English whatever the
    page's language; the model field it reads has a translated verbose name.
    """
    field = resource.fields.get(field_name)
    column = field.column_name if field is not None else field_name
    names = []
    model = getattr(resource._meta, "model", None)
    attribute = getattr(field, "attribute", None) or ""
    for part in attribute.split("__") if attribute else []:
        if model is None:
            names = []
            break
        try:
            model_field = model._meta.get_field(part)
        except FieldDoesNotExist:
            names = []
            break
        names.append(str(getattr(model_field, "verbose_name", part)))
        model = model_field.related_model if model_field.is_relation else None
    if not names:
        return format_html('<code dir="ltr">{}</code>', column)
    return format_html('{} <code dir="ltr" class="text-xs">{}</code>', capfirst(" · ".join(names)), column)


class PXExportForm(SelectableFieldsExportForm):
    """Unfold's export form, with each column named in the reader's language (and its file header)."""

    def _get_field_label(self, resource, field_name):
        return resource_field_label(resource, field_name)


class PXImportExportMixin(ImportExportMixin):
    """Exports read the admin's scoped queryset; imports pass the user to the resource."""

    import_form_class = ImportForm
    export_form_class = PXExportForm
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
