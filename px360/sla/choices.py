"""Choices of the SLA engine."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Weekday(models.IntegerChoices):
    """Python's weekday numbers (Monday 0), listed in the Saudi week's order (Sunday first)."""

    SUNDAY = 6, _("Sunday")
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")


class ExceptionKind(models.TextChoices):
    CLOSED = "closed", pgettext_lazy("calendar", "Closed (holiday)")
    SPECIAL_HOURS = "special_hours", pgettext_lazy("calendar", "Special hours (e.g. Ramadan)")


class ExceptionSource(models.TextChoices):
    MANUAL = "manual", pgettext_lazy("calendar", "Entered by hand")
    LIBRARY = "library", pgettext_lazy("calendar", "Saudi public holidays (estimated)")


class TargetUnit(models.TextChoices):
    BUSINESS_HOURS = "business_hours", _("business hours")
    BUSINESS_DAYS = "business_days", _("business days")
    CALENDAR_HOURS = "calendar_hours", _("calendar hours")
    CALENDAR_DAYS = "calendar_days", _("calendar days")


class ClockKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", pgettext_lazy("sla clock", "Acknowledge")
    RESOLVE = "resolve", pgettext_lazy("sla clock", "Resolve")


class ReopenMode(models.TextChoices):
    RESTART = "restart", _("Restart the resolve clock from zero")
    CONTINUE = "continue", _("Continue the resolve clock with the time already used")


class ClockState(models.TextChoices):
    RUNNING = "running", pgettext_lazy("sla clock", "Running")
    PAUSED = "paused", pgettext_lazy("sla clock", "Paused")
    MET = "met", pgettext_lazy("sla clock", "Met")
    MISSED = "missed", pgettext_lazy("sla clock", "Missed")
    CANCELLED = "cancelled", pgettext_lazy("sla clock", "Stopped without an outcome")


class StepTrigger(models.TextChoices):
    PERCENT = "percent", _("At a share of the target")
    BREACH = "breach", _("At breach")
    AFTER_BREACH = "after_breach", _("Business days after breach")


class Recipient(models.TextChoices):
    ASSIGNEE = "assignee", _("The assignee")
    DEPARTMENT_MANAGER = "department_manager", _("The department's managers")
    PX_COORDINATORS = "px_coordinators", _("The hospital's PX coordinators")
    HOSPITAL_ADMINS = "hospital_admins", _("The hospital's administrators")
    GROUP_PX_ADMINS = "group_px_admins", _("The group's PX administrators")


class StepAction(models.TextChoices):
    NOTIFY = "notify", _("Notify")
    NOTIFY_AND_REASSIGN = "notify_reassign", _("Notify and reassign")


class ReassignTarget(models.TextChoices):
    DEPARTMENT_MANAGER = "department_manager", _("The department's manager")
    PX_COORDINATOR = "px_coordinator", _("A PX coordinator of the hospital")
    USER = "user", _("A chosen user")
