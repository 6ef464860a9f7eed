"""Shared pieces of the SLA admin pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from unfold.admin import TabularInline

from px360.core.access import can_access

from ..hijri import hijri_label


class ParentScopedInline(TabularInline):
    """Rows of a parent record: changed only by those who may change the parent itself.

    A hospital user reads the group's calendar or policy but does not
    change it; its inlines are read-only for them as well.
    """

    extra = 0

    def _parent_allows(self, request, obj) -> bool:
        return obj is None or can_access(request.user, obj, "change")

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._parent_allows(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._parent_allows(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._parent_allows(request, obj)


def local_datetime(value: datetime | None) -> str:
    """An instant in Riyadh time, e.g. "Sun 29 Nov 2026 15:00"."""
    if value is None:
        return "-"
    local = timezone.localtime(value)
    return formats.date_format(local, "D j M Y H:i")


def with_hijri(value) -> str:
    """A date (or instant) with its Hijri date beside it."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        shown, day = local_datetime(value), timezone.localtime(value).date()
    else:
        shown, day = formats.date_format(value, "D j M Y"), value
    hijri = hijri_label(day)
    if not hijri:
        return shown
    return format_html('{} <span class="text-font-subtle-light dark:text-font-subtle-dark">({})</span>', shown, hijri)


def duration_text(value: timedelta | None) -> str:
    """A duration in hours and minutes ("3 h 20 min"), with a minus sign when negative."""
    if value is None:
        return "-"
    negative = value < timedelta(0)
    minutes = int(abs(value).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d h", "%(count)d h", hours) % {"count": hours})
    if minutes or not hours:
        parts.append(_("%(count)d min") % {"count": minutes})
    text = " ".join(parts)
    return f"−{text}" if negative else text
