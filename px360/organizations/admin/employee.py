from django.contrib import admin
from unfold.contrib.filters.admin import AutocompleteSelectFilter

from px360.core.admin.base import PXTranslatedModelAdmin
from px360.organizations.models import Employee


@admin.register(Employee)
class EmployeeAdmin(PXTranslatedModelAdmin):
    list_display = ("employee_number", "user", "job_title", "hospital", "department")
    list_select_related = ("user", "hospital", "department")
    list_filter = (("hospital", AutocompleteSelectFilter), ("department", AutocompleteSelectFilter))
    search_fields = ("employee_number", "user__username")
    autocomplete_fields = ("user", "hospital", "department")
    fields = ("user", "hospital", "department", "employee_number", "job_title")
