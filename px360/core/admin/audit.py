from django.contrib import admin
from django.http import Http404
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    ChoicesDropdownFilter,
    FieldTextFilter,
    RangeDateTimeFilter,
)

from px360.core.access import restrict
from px360.core.admin.base import ReadOnlyAdminMixin
from px360.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Read-only for everyone, PX Admins included: the log is evidence."""

    list_display = (
        "occurred_at",
        "action",
        "actor_username",
        "hospital",
        "content_type",
        "object_repr",
        "row_count",
        "ip_address",
    )
    list_filter = (
        ("action", ChoicesDropdownFilter),
        ("actor", AutocompleteSelectFilter),
        ("actor_username", FieldTextFilter),
        ("content_type", admin.RelatedOnlyFieldListFilter),
        ("object_id", FieldTextFilter),
        ("occurred_at", RangeDateTimeFilter),
    )
    list_filter_submit = True
    list_select_related = ("hospital", "content_type")
    search_fields = ("actor_username", "object_id")
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    actions = None
    date_hierarchy = None

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj
