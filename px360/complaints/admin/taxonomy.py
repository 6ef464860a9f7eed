"""The HCAT taxonomy: the published categories, and sub-categories a PX Admin adds under them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter

from px360.core.admin.base import PXTranslatedModelAdmin

from ..models import HCATCategory


@admin.register(HCATCategory)
class HCATCategoryAdmin(PXTranslatedModelAdmin):
    list_display = ("name", "code", "domain", "parent", "sort_order", "is_active")
    list_filter = (("domain", ChoicesDropdownFilter), "is_active")
    search_fields = ("code", "name_ar", "name_en")
    list_select_related = ("parent",)
    fields = ("code", "domain", "parent", "name", "description", "sort_order", "is_active")

    def get_readonly_fields(self, request, obj=None):
        # The published categories keep their code and domain; analytics and imports rely on them.
        if obj is not None:
            return ("code", "domain", "parent") if obj.parent_id is None else ("code", "domain")
        return ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if obj.parent_id:
            obj.domain = obj.parent.domain
        super().save_model(request, obj, form, change)

    @admin.display(description=_("domain"), ordering="domain")
    def domain_label(self, obj):
        return obj.get_domain_display()
