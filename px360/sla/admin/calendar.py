"""Business calendars, their weekly windows, holidays and special hours."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.decorators import action, display

from px360.core.access import user_is_global
from px360.core.admin.base import PXTranslatedModelAdmin
from px360.core.admin.bidi import display_object, ltr

from ..choices import Weekday
from ..models import BusinessCalendar, CalendarException, ExceptionWindow, WorkingWindow
from ..services import confirm_exceptions, follow_hospital_calendar, recompute_for_calendar, seed_saudi_holidays
from .common import ParentScopedInline, with_hijri


class WindowsFormSet(forms.BaseInlineFormSet):
    """Windows of one weekday may not overlap."""

    def clean(self):
        super().clean()
        by_day: dict[int, list] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or data.get("start_time") is None or data.get("end_time") is None:
                continue
            by_day.setdefault(data.get("weekday"), []).append((data["start_time"], data["end_time"]))
        for windows in by_day.values():
            windows.sort()
            for (_start, end), (next_start, _end) in pairwise(windows):
                if (end.hour == 0 and end.minute == 0) or next_start < end:
                    raise forms.ValidationError(_("Two windows of the same day overlap."))


class WorkingWindowInline(ParentScopedInline):
    model = WorkingWindow
    formset = WindowsFormSet
    fields = ("weekday", "start_time", "end_time")
    verbose_name_plural = _("working windows (a day without windows is closed)")


class ExceptionInline(ParentScopedInline):
    model = CalendarException
    fields = ("name_ar", "name_en", "kind", "first_day", "last_day", "is_estimated", "hijri_dates")
    readonly_fields = ("hijri_dates",)
    show_change_link = True
    ordering = ("-first_day",)
    max_num = 0  # listed here; added and changed on their own page (special hours have windows)
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Hijri"))
    def hijri_dates(self, exception):
        return format_hijri_range(exception)


def format_hijri_range(exception) -> str:
    from ..hijri import hijri_label

    first, last = hijri_label(exception.first_day), hijri_label(exception.last_day)
    if not first:
        return "-"
    return first if exception.first_day == exception.last_day else f"{first} – {last}"


class CalendarChangeMixin:  # on the calendar's own page
    """Open clocks follow a changed calendar, keeping the time they have used."""

    def save_model(self, request, obj, form, change):
        request._px360_previous_schedule = (
            BusinessCalendar.objects.get(pk=obj.pk).schedule() if change and obj.pk else None
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            recompute_for_calendar(form.instance, previous=getattr(request, "_px360_previous_schedule", None))
        if form.instance.hospital_id is not None:
            # A new, activated or deactivated hospital calendar: the hospital's open clocks follow it.
            follow_hospital_calendar(form.instance.hospital_id)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(CalendarChangeMixin, PXTranslatedModelAdmin):
    """A hospital manages its own calendar; the group's (no hospital) only a PX Admin."""

    group_wide_error = _("Choose your hospital: only a PX Admin manages the group's calendar.")
    list_display = ("name", "hospital_or_group", "week", "zone", "is_active")
    list_filter = (("hospital", AutocompleteSelectFilter), "is_active")
    list_select_related = ("hospital",)
    search_fields = ("name_ar", "name_en")
    autocomplete_fields = ("hospital",)
    fields = ("hospital", "name", "timezone", "day_hours", "is_active")
    inlines = [WorkingWindowInline, ExceptionInline]
    actions = ["seed_next_year"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("windows")

    @admin.display(description=_("hospital"), ordering="hospital__code")
    def hospital_or_group(self, calendar):
        return _("Group default") if calendar.hospital is None else display_object(calendar.hospital)

    @admin.display(description=_("time zone"), ordering="timezone")
    def zone(self, calendar):
        return ltr(calendar.timezone)

    @admin.display(description=_("working week"))
    def week(self, calendar):
        by_day: dict[int, list] = {}
        for window in calendar.windows.all():
            by_day.setdefault(window.weekday, []).append(f"{window.start_time:%H:%M}–{window.end_time:%H:%M}")
        parts = [f"{Weekday(day).label}: {', '.join(by_day[day])}" for day in Weekday.values if day in by_day]
        return "; ".join(parts) or _("Closed every day")

    @action(description=_("Add next year's Saudi public holidays (estimated)"), permissions=["change"])
    def seed_next_year(self, request, queryset):
        year = date.today().year + 1
        added = 0
        for calendar in queryset:
            if self.has_change_permission(request, calendar):
                added += len(seed_saudi_holidays(calendar, year))
        self.message_user(
            request,
            ngettext(
                "%(count)d holiday or special-hours row added for %(year)d; confirm them once the dates are announced.",
                "%(count)d holiday or special-hours rows added for %(year)d; confirm them once the dates are announced.",
                added,
            )
            % {"count": added, "year": year},
            messages.SUCCESS,
        )


class ExceptionWindowInline(ParentScopedInline):
    model = ExceptionWindow
    fields = ("start_time", "end_time")
    verbose_name_plural = _("working windows on each working day of the range (special hours only)")


class EstimatedFilter(admin.SimpleListFilter):
    title = _("estimated")
    parameter_name = "estimated"

    def lookups(self, request, model_admin):
        return [("yes", _("Waiting for confirmation")), ("no", _("Confirmed or entered by hand"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_estimated=self.value() == "yes")
        return queryset


@admin.register(CalendarException)
class CalendarExceptionAdmin(PXTranslatedModelAdmin):
    list_display = ("name", "calendar", "kind", "first_day_hijri", "last_day_hijri", "estimated_badge")
    list_filter = (
        ("kind", ChoicesDropdownFilter),
        EstimatedFilter,
        ("calendar__hospital", AutocompleteSelectFilter),
    )
    list_select_related = ("calendar", "calendar__hospital")
    search_fields = ("name_ar", "name_en")
    fields = ("calendar", "name", "kind", "first_day", "last_day", "is_estimated", "hijri", "confirmation")
    readonly_fields = ("hijri", "confirmation")
    inlines = [ExceptionWindowInline]
    actions = ["confirm_selected"]
    ordering = ("-first_day",)

    def save_model(self, request, obj, form, change):
        # The calendar as it was before this row changed.
        request._px360_previous_schedule = obj.calendar.schedule() if obj.calendar_id else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        recompute_for_calendar(form.instance.calendar, previous=request._px360_previous_schedule)

    def delete_model(self, request, obj):
        calendar = obj.calendar
        previous = calendar.schedule()
        super().delete_model(request, obj)
        recompute_for_calendar(calendar, previous=previous)

    def delete_queryset(self, request, queryset):
        calendars = {row.calendar_id: row.calendar for row in queryset.select_related("calendar")}
        previous = {pk: calendar.schedule() for pk, calendar in calendars.items()}
        super().delete_queryset(request, queryset)
        for pk, calendar in calendars.items():
            recompute_for_calendar(calendar, previous=previous[pk])

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "calendar" and formfield is not None and not user_is_global(request.user):
            formfield.queryset = formfield.queryset.filter(hospital__isnull=False)
        return formfield

    @admin.display(description=_("first day"), ordering="first_day")
    def first_day_hijri(self, exception):
        return with_hijri(exception.first_day)

    @admin.display(description=_("last day"), ordering="last_day")
    def last_day_hijri(self, exception):
        return with_hijri(exception.last_day)

    @display(description=_("estimated"), label={True: "warning", False: "success"})
    def estimated_badge(self, exception):
        return exception.is_estimated, (_("Estimated") if exception.is_estimated else _("Confirmed"))

    @admin.display(description=_("Hijri"))
    def hijri(self, exception):
        if exception.pk is None:
            return "-"
        return format_hijri_range(exception)

    @admin.display(description=_("confirmed"))
    def confirmation(self, exception):
        if exception.confirmed_at is None:
            return "-"
        return f"{exception.confirmed_by or '-'} · {with_hijri(exception.confirmed_at)}"

    @action(description=_("Confirm the selected estimated holidays"), permissions=["change"])
    def confirm_selected(self, request, queryset):
        allowed = [row for row in queryset.filter(is_estimated=True) if self.has_change_permission(request, row)]
        count = confirm_exceptions(allowed, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d holiday confirmed.", "%(count)d holidays confirmed.", count) % {"count": count},
            messages.SUCCESS,
        )
