from django.contrib import admin
from unfold.contrib.filters.admin import BooleanRadioFilter

from px360.core.admin.base import PXTranslatedModelAdmin
from px360.core.admin.importexport import PXImportExportMixin
from px360.organizations.models import Hospital
from px360.organizations.resources import HospitalResource


@admin.register(Hospital)
class HospitalAdmin(PXImportExportMixin, PXTranslatedModelAdmin):
    resource_classes = [HospitalResource]
    list_display = ("code", "name", "city", "region", "is_active")
    list_filter = (("is_active", BooleanRadioFilter),)
    search_fields = ("code", "name_ar", "name_en", "city")
    fields = ("code", "name", "city", "region", "is_active")
