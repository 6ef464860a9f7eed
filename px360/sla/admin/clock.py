"""Open and past SLA clocks of every item, read-only: time left in colour, due today, at risk, breached."""

from __future__ import annotations

import contextvars
from datetime import datetime, time, timedelta

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.decorators import display

from px360.core.admin.base import PXModelAdmin, ReadOnlyAdminMixin
from px360.core.admin.bidi import ltr

from .. import registry
from ..models import SLAClock
from ..selectors import ScheduleCache, due_state, remaining
from .common import duration_text, local_datetime


class DueFilter(admin.SimpleListFilter):
    """Open clocks due today, at risk or breached (Riyadh day)."""

    title = _("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("today", _("Due today")), ("at_risk", _("At risk")), ("breached", _("Breached"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_clocks = queryset.filter(stopped_at__isnull=True)
        if self.value() == "today":
            day = timezone.localtime(now).date()
            start = timezone.make_aware(datetime.combine(day, time(0)))
            return open_clocks.filter(due_at__gte=start, due_at__lt=start + timedelta(days=1))
        if self.value() == "at_risk":
            return open_clocks.filter(at_risk_at__lte=now).filter(Q(due_at__gt=now) | Q(due_at__isnull=True))
        if self.value() == "breached":
            return open_clocks.filter(due_at__lte=now)
        return queryset


_schedules: contextvars.ContextVar = contextvars.ContextVar("px360_sla_schedules", default=None)

_COLOURS = {
    "breached": "danger",
    "at_risk": "warning",
    "on_track": "success",
    "paused": "info",
    "stopped": "info",
}


@admin.register(SLAClock)
class SLAClockAdmin(ReadOnlyAdminMixin, PXModelAdmin):
    list_display = ("reference_code", "kind_label", "clock", "hospital", "state", "time_left", "due")
    list_filter = (
        DueFilter,
        ("clock", ChoicesDropdownFilter),
        ("state", ChoicesDropdownFilter),
        ("hospital", AutocompleteSelectFilter),
    )
    list_select_related = ("hospital", "calendar")
    search_fields = ("reference",)
    ordering = ("due_at",)
    fields = (
        "reference",
        "kind_label",
        "clock",
        "cycle",
        "hospital",
        "department",
        "assignee",
        "severity",
        "policy",
        "calendar",
        "started_at",
        "state",
        "used_text",
        "target_text",
        "due",
        "at_risk_at",
        "breached_at",
        "stopped_at",
    )
    readonly_fields = fields

    def changelist_view(self, request, extra_context=None):
        token = _schedules.set(ScheduleCache())  # each calendar read once per page
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()  # the rows are drawn now, with the page's schedules
            return response
        finally:
            _schedules.reset(token)

    @display(description=_("time left"), label=_COLOURS)
    def time_left(self, clock):
        state = due_state(clock)
        if clock.stopped_at is not None:
            return state, clock.get_state_display()
        schedules = _schedules.get() or ScheduleCache()
        left = remaining(clock, schedule=schedules.get(clock.calendar_id))
        return state, format_html('<bdi dir="ltr">{}</bdi>', duration_text(left))

    @admin.display(description=_("reference"), ordering="reference")
    def reference_code(self, clock):
        return ltr(clock.reference or clock.item_id[:8])

    @admin.display(description=_("time used"))
    def used_text(self, clock):
        return format_html('<bdi dir="ltr">{}</bdi>', duration_text(clock.used))

    @admin.display(description=_("target"))
    def target_text(self, clock):
        return format_html('<bdi dir="ltr">{}</bdi>', duration_text(clock.target))

    @admin.display(description=_("kind of item"), ordering="item_kind")
    def kind_label(self, clock):
        kind = registry.find(clock.item_kind)
        return kind.label if kind is not None else clock.item_kind

    @admin.display(description=_("due"), ordering="due_at")
    def due(self, clock):
        return local_datetime(clock.due_at)
