from django.contrib import admin
from unfold.contrib.filters.admin import AutocompleteSelectFilter, BooleanRadioFilter

from px360.core.admin.base import PXTranslatedModelAdmin
from px360.core.admin.importexport import PXImportExportMixin
from px360.organizations.models import Department
from px360.organizations.resources import DepartmentResource


@admin.register(Department)
class DepartmentAdmin(PXImportExportMixin, PXTranslatedModelAdmin):
    resource_classes = [DepartmentResource]
    list_display = ("code", "name", "hospital", "parent", "manager", "is_active")
    list_select_related = ("hospital", "parent", "manager")
    list_filter = (("hospital", AutocompleteSelectFilter), ("is_active", BooleanRadioFilter))
    search_fields = ("code", "name_ar", "name_en")
    autocomplete_fields = ("hospital", "parent", "manager")
    fields = ("hospital", "code", "name", "parent", "manager", "is_active")
