from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from px360.accounts.models import Role
from px360.core.admin.base import PXTranslatedModelAdmin


@admin.register(Role)
class RoleAdmin(PXTranslatedModelAdmin):
    """Roles are seeded by ``create_default_roles``; only their names are editable, by superusers.

    A role's permissions live on its group (``px360.accounts.roles``), which only
    superusers edit; PX Admins and Hospital Admins read roles, they never change
    them, whatever the permission table or an object grant says.
    """

    list_display = ("name", "code", "level", "member_count")
    search_fields = ("code", "name_ar", "name_en")
    fields = ("name", "code", "level")
    readonly_fields = ("code", "level")
    ordering = ("-level",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("members"))
    def member_count(self, role):
        return role.px_member_count

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(px_member_count=Count("users"))
