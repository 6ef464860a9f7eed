from django.contrib import admin
from unfold.contrib.filters.admin import AutocompleteSelectFilter, BooleanRadioFilter

from px360.core.admin.base import PXTranslatedModelAdmin
from px360.core.admin.importexport import PXImportExportMixin
from px360.organizations.models import Physician
from px360.organizations.resources import PhysicianResource


@admin.register(Physician)
class PhysicianAdmin(PXImportExportMixin, PXTranslatedModelAdmin):
    resource_classes = [PhysicianResource]
    list_display = ("license_number", "name", "specialty", "hospital", "department", "is_active")
    list_select_related = ("hospital", "department")
    list_filter = (
        ("hospital", AutocompleteSelectFilter),
        ("department", AutocompleteSelectFilter),
        ("is_active", BooleanRadioFilter),
    )
    search_fields = ("license_number", "name_ar", "name_en")
    autocomplete_fields = ("hospital", "department", "user")
    fields = ("license_number", "name", "specialty", "hospital", "department", "user", "is_active")
