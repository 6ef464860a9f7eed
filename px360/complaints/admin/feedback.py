"""Compliments (routed to the person and their manager) and suggestions (routed to the department)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter

from px360.core.admin.base import PXModelAdmin
from px360.core.admin.bidi import ltr
from px360.sla.admin.common import local_datetime

from ..models import Feedback
from ..services import feedback_create
from .common import adopt, contact_from


@admin.register(Feedback)
class FeedbackAdmin(PXModelAdmin):
    list_display = ("reference_code", "kind", "text_start", "hospital", "department", "about", "status", "received")
    list_display_links = ("reference_code", "text_start")
    list_filter = (
        ("kind", ChoicesDropdownFilter),
        ("status", ChoicesDropdownFilter),
        ("hospital", AutocompleteSelectFilter),
        ("department", AutocompleteSelectFilter),
    )
    search_fields = ("=reference",)
    list_select_related = ("hospital", "department", "physician", "employee__user")
    autocomplete_fields = ("hospital", "department", "physician", "employee", "patient")
    export_columns = ("reference", "received_at", "kind", "hospital__name", "department__name", "status")
    fieldsets = (
        (None, {"fields": ("kind", "hospital", "department", "physician", "employee", "channel", "received_at")}),
        (_("What they said"), {"fields": ("text",)}),
        (
            _("From"),
            {
                "fields": (
                    "complainant_kind",
                    "contact_name",
                    "contact_relation",
                    "contact_phone",
                    "contact_email",
                    "language",
                    "patient",
                )
            },
        ),
        (None, {"fields": ("reference", "status")}),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("reference", "status")
        return ("reference", "status", "kind", "hospital", "channel", "received_at")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = feedback_create(
            hospital=data["hospital"],
            kind=data["kind"],
            text=data["text"],
            channel=data["channel"],
            contact=contact_from(data),
            department=data.get("department"),
            physician=data.get("physician"),
            employee=data.get("employee"),
            patient=data.get("patient"),
            received_at=data.get("received_at"),
            by=request.user,
        )
        adopt(obj, created)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("reference"), ordering="reference")
    def reference_code(self, obj):
        return ltr(obj.reference)

    @admin.display(description=_("what they said"))
    def text_start(self, obj):
        text = obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"
        return format_html('<bdi dir="auto">{}</bdi>', text)

    @admin.display(description=_("about"))
    def about(self, obj):
        if obj.physician_id:
            return obj.physician.name
        if obj.employee_id:
            return obj.employee.user.get_full_name() or obj.employee.user.get_username()
        return "—"

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, obj):
        return local_datetime(obj.received_at)
