"""Business calendars, SLA policies and escalation steps, and the clocks that run on them.

A clock belongs to any item (a complaint, an inquiry, a corrective action)
through a generic link — content type and object id — so this app never
imports the apps whose items it times. Item kinds and their statuses are
registered by those apps (:mod:`px360.sla.registry`).
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from px360.core.access import ModelAccess
from px360.core.models import BaseModel

from .businesstime import SpecialHours, WorkSchedule
from .choices import (
    ClockKind,
    ClockState,
    ExceptionKind,
    ExceptionSource,
    ReassignTarget,
    Recipient,
    ReopenMode,
    StepAction,
    StepTrigger,
    TargetUnit,
    Weekday,
)


def validate_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone."), code="invalid_zone")


class BusinessCalendar(BaseModel):
    """When a hospital works: windows per weekday and dated exceptions.

    A hospital without its own active calendar uses the group's (the calendar
    with no hospital). Days without windows are closed; nothing is assumed
    about which days are the weekend.
    """

    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="business_calendars",
        help_text=_("Empty: the group's calendar, used by hospitals without their own."),
    )
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("time zone"), max_length=60, default="Asia/Riyadh", validators=[validate_zone])
    day_hours = models.DecimalField(
        _("hours in a business day"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("8"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("24"))],
        help_text=_("A target of one business day is this much working time."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    px_access = ModelAccess(hospital="hospital", reference=True, group_rows=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["hospital__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital"],
                condition=Q(is_active=True, hospital__isnull=False),
                name="sla_one_active_calendar_per_hospital",
                violation_error_message=_("This hospital already has an active calendar."),
            ),
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True, hospital__isnull=True),
                name="sla_one_active_group_calendar",
                violation_error_message=_("There is already an active group calendar."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def day_length(self) -> timedelta:
        return timedelta(seconds=int(Decimal(self.day_hours) * 3600))

    def schedule(self) -> WorkSchedule:
        """The calendar as a :class:`WorkSchedule` (two queries)."""
        weekly: dict[int, list] = {}
        for window in self.windows.all():
            weekly.setdefault(window.weekday, []).append((window.start_time, window.end_time))
        closed = set()
        special = []
        for exception in self.exceptions.prefetch_related("windows"):
            if exception.kind == ExceptionKind.CLOSED:
                day = exception.first_day
                while day <= exception.last_day:
                    closed.add(day)
                    day += timedelta(days=1)
            else:
                windows = tuple(sorted((w.start_time, w.end_time) for w in exception.windows.all()))
                special.append(SpecialHours(exception.first_day, exception.last_day, windows))
        return WorkSchedule(
            zone=self.timezone,
            weekly={day: tuple(sorted(windows)) for day, windows in weekly.items()},
            closed=frozenset(closed),
            special=tuple(special),
            day_length=self.day_length,
        )


class WorkingWindow(BaseModel):
    """One working window of one weekday (a day may have several, e.g. a split shift)."""

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="windows"
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))

    px_access = ModelAccess(hospital="calendar__hospital", reference=True, group_rows=True)

    class Meta:
        verbose_name = _("working window")
        verbose_name_plural = _("working windows")
        ordering = ["calendar", "weekday", "start_time"]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self):
        super().clean()
        # 00:00 as the end is midnight at the end of the day (00:00–00:00 is the whole day).
        closing = self.end_time
        if self.start_time is not None and closing is not None and closing != time(0) and closing <= self.start_time:
            raise ValidationError({"end_time": _("A window ends after it starts.")})


class CalendarException(BaseModel):
    """A date range that is closed (a holiday) or works special hours (Ramadan).

    Holidays seeded from the Saudi public holiday calendar are *estimated*
    (Eid dates depend on the moon sighting) until an admin confirms them;
    estimated holidays already count as closed.
    """

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="exceptions"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ExceptionKind.choices, default=ExceptionKind.CLOSED)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    is_estimated = models.BooleanField(
        _("estimated"), default=False, help_text=_("Dates that depend on the moon sighting and wait for confirmation.")
    )
    source = models.CharField(
        _("source"), max_length=10, choices=ExceptionSource.choices, default=ExceptionSource.MANUAL, editable=False
    )
    source_key = models.CharField(_("source key"), max_length=80, blank=True, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)

    px_access = ModelAccess(hospital="calendar__hospital", reference=True, group_rows=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("holidays and special hours")
        ordering = ["calendar", "first_day"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "source_key"],
                condition=~Q(source_key=""),
                name="sla_seeded_exception_once",
            ),
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")),
                name="sla_exception_range_ordered",
                violation_error_message=_("The last day is on or after the first day."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": _("The last day is on or after the first day.")})


class ExceptionWindow(BaseModel):
    """One working window of special hours, on every working day of its exception's range."""

    exception = models.ForeignKey(
        CalendarException, verbose_name=_("special hours"), on_delete=models.CASCADE, related_name="windows"
    )
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    px_access = ModelAccess(hospital="exception__calendar__hospital", reference=True, group_rows=True)

    class Meta:
        verbose_name = _("special hours window")
        verbose_name_plural = _("special hours windows")
        ordering = ["exception", "start_time"]

    def __str__(self):
        return f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self):
        super().clean()
        if self.start_time is not None and self.end_time is not None and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("A window ends after it starts.")})


class SLAPolicy(BaseModel):
    """The targets of one kind of item at one severity, for one hospital or the whole group.

    The policy for an item is chosen by its kind and severity: the hospital's
    policy for that severity, else the group's for that severity, else the
    hospital's for any severity, else the group's for any severity
    (:func:`px360.sla.selectors.policy_for`).
    """

    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
        help_text=_("Empty: the group's default, used by hospitals without their own."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind of item"), max_length=40)
    severity = models.CharField(
        _("severity or priority"), max_length=20, blank=True, help_text=_("Empty: any severity without its own policy.")
    )
    acknowledge_target = models.PositiveIntegerField(
        _("acknowledge within"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    acknowledge_unit = models.CharField(
        _("unit"), max_length=16, choices=TargetUnit.choices, default=TargetUnit.BUSINESS_DAYS
    )
    resolve_target = models.PositiveIntegerField(_("resolve within"), validators=[MinValueValidator(1)])
    resolve_unit = models.CharField(
        _("unit"), max_length=16, choices=TargetUnit.choices, default=TargetUnit.BUSINESS_DAYS
    )
    pause_statuses = models.JSONField(
        _("statuses that pause the resolve clock"),
        default=list,
        blank=True,
        help_text=_("Only the working hours spent in these statuses are left out of the time used."),
    )
    reopen_mode = models.CharField(
        _("on reopen"), max_length=10, choices=ReopenMode.choices, default=ReopenMode.CONTINUE
    )
    at_risk_percent = models.PositiveSmallIntegerField(
        _("at risk from (percent of the target)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    notify_outside_working_hours = models.BooleanField(
        _("notify outside working hours"),
        default=False,
        help_text=_(
            "Off: escalation steps due at night, at the weekend or on a holiday wait for the next working window "
            "of the calendar, whatever the unit of the targets. On: they fire as soon as they are due."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    px_access = ModelAccess(hospital="hospital", reference=True, group_rows=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["kind", "severity", "hospital__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "kind", "severity"],
                condition=Q(is_active=True, hospital__isnull=False),
                name="sla_one_active_policy_per_hospital",
                violation_error_message=_("This hospital already has an active policy for this kind and severity."),
            ),
            models.UniqueConstraint(
                fields=["kind", "severity"],
                condition=Q(is_active=True, hospital__isnull=True),
                name="sla_one_active_group_policy",
                violation_error_message=_("The group already has an active policy for this kind and severity."),
            ),
        ]

    def __str__(self):
        return self.name

    def target(self, clock: str) -> tuple[int | None, str]:
        if clock == ClockKind.ACKNOWLEDGE:
            return self.acknowledge_target, self.acknowledge_unit
        return self.resolve_target, self.resolve_unit

    def clean(self):
        super().clean()
        from . import registry

        kind = registry.find(self.kind) if self.kind else None
        if self.kind and kind is None and registry.all_kinds():
            raise ValidationError({"kind": _("Unknown kind of item.")})
        if kind is not None:
            statuses = {status.code for status in kind.statuses}
            unknown = [code for code in self.pause_statuses or [] if code not in statuses]
            if unknown:
                raise ValidationError({"pause_statuses": _("Unknown status for this kind of item.")})
            paused_resolving = [code for code in self.pause_statuses or [] if kind.status(code).resolves]
            if paused_resolving:
                raise ValidationError({"pause_statuses": _("A status that resolves the item cannot pause it.")})
            if self.severity and kind.severities and self.severity not in dict(kind.severities):
                raise ValidationError({"severity": _("Unknown severity for this kind of item.")})


class EscalationStep(BaseModel):
    """Who is told when a clock reaches a share of its target, its breach, or a time after breach.

    Each step fires once per clock (a unique row in :class:`StepFiring`). A
    step may also hand the item to someone else (``action``): the department's
    manager, a PX coordinator of the item's hospital, or a chosen user. The
    item's own app does the reassignment (its kind's ``reassign`` hook,
    :mod:`px360.sla.registry`); the engine follows it on the item's clocks.
    """

    policy = models.ForeignKey(SLAPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="steps")
    clock = models.CharField(_("clock"), max_length=12, choices=ClockKind.choices, default=ClockKind.RESOLVE)
    trigger = models.CharField(_("when"), max_length=12, choices=StepTrigger.choices, default=StepTrigger.PERCENT)
    percent = models.PositiveSmallIntegerField(
        _("percent of the target"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    days_after = models.PositiveSmallIntegerField(
        _("business days after breach"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    audience = models.CharField(_("notify"), max_length=20, choices=Recipient.choices, default=Recipient.ASSIGNEE)
    action = models.CharField(_("action"), max_length=20, choices=StepAction.choices, default=StepAction.NOTIFY)
    reassign_to = models.CharField(_("reassign to"), max_length=20, choices=ReassignTarget.choices, blank=True)
    reassign_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chosen user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("When reassigning to a chosen user: a user of the policy's hospital, or a group-wide user."),
    )

    px_access = ModelAccess(hospital="policy__hospital", reference=True, group_rows=True)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["policy", "clock", "trigger", "percent", "days_after"]

    def __str__(self):
        if self.trigger == StepTrigger.PERCENT:
            when = f"{self.percent}%"
        elif self.trigger == StepTrigger.AFTER_BREACH:
            when = f"+{self.days_after}"
        else:
            when = str(StepTrigger(self.trigger).label)
        text = f"{self.get_clock_display()} · {when} · {self.get_audience_display()}"
        if self.reassigns:
            target = self.get_reassign_to_display()
            if self.reassign_to == ReassignTarget.USER and self.reassign_user_id:
                target = self.reassign_user.get_full_name() or self.reassign_user.get_username()
            text = f"{text} · {_('reassign to')} {target}"
        return text

    @property
    def reassigns(self) -> bool:
        return self.action == StepAction.NOTIFY_AND_REASSIGN

    def clean(self):
        super().clean()
        if self.trigger == StepTrigger.PERCENT and not self.percent:
            raise ValidationError({"percent": _("Give the share of the target.")})
        if self.trigger == StepTrigger.AFTER_BREACH and not self.days_after:
            raise ValidationError({"days_after": _("Give the number of business days after breach.")})
        if self.trigger != StepTrigger.PERCENT:
            self.percent = None
        if self.trigger != StepTrigger.AFTER_BREACH:
            self.days_after = None
        if not self.reassigns:
            self.reassign_to = ""
            self.reassign_user = None
            return
        self._clean_reassignment()

    def _clean_reassignment(self):
        from . import registry

        if not self.reassign_to:
            raise ValidationError({"reassign_to": _("Choose to whom the item is reassigned.")})
        policy = self._policy()
        kind = registry.find(policy.kind) if policy is not None and policy.kind else None
        if kind is not None and kind.reassign is None:
            raise ValidationError({"action": _("Items of this kind cannot be reassigned by an escalation step.")})
        if self.reassign_to != ReassignTarget.USER:
            self.reassign_user = None
            return
        user = self.reassign_user
        if user is None:
            raise ValidationError({"reassign_user": _("Choose the user the item is reassigned to.")})
        if not user.is_active:
            raise ValidationError({"reassign_user": _("This user's account is inactive.")})
        hospital_id = policy.hospital_id if policy is not None else None
        if user.hospital_id is not None and user.hospital_id != hospital_id:
            if hospital_id is None:
                message = _("The group's policies apply to every hospital: choose a group-wide user.")
            else:
                message = _("Choose a user of the policy's hospital, or a group-wide user.")
            raise ValidationError({"reassign_user": message})

    def _policy(self) -> SLAPolicy | None:
        try:
            return self.policy
        except SLAPolicy.DoesNotExist:
            return None


class SLAStatusChange(models.Model):
    """One status an item entered, and when: the history the clocks are computed from.

    Append-only. Pauses, stops and reopens are read from it, never kept in
    running counters.
    """

    id = models.BigAutoField(primary_key=True)
    item_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.CASCADE, related_name="+"
    )
    item_id = models.CharField(_("record id"), max_length=64)
    status = models.CharField(_("status"), max_length=40)
    at = models.DateTimeField(_("at"))
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    px_access = ModelAccess(hospital="hospital")

    class Meta:
        verbose_name = _("SLA status change")
        verbose_name_plural = _("SLA status changes")
        ordering = ["item_type", "item_id", "at", "id"]
        indexes = [models.Index(fields=["item_type", "item_id", "at"], name="sla_status_item_idx")]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.status} · {self.at:%Y-%m-%d %H:%M}"


class SLAClock(BaseModel):
    """One clock (acknowledge or resolve) of one item, in one cycle.

    A resolve clock that restarts on reopen begins a new cycle (a new row),
    so its escalation steps fire again; one that continues keeps its row.
    The time used is computed from the status history since ``base_at``,
    added to ``base_used`` — the time already used when the policy, severity
    or calendar last changed, so a change never loses it.

    ``pending_steps`` lists the steps still to fire with the instant each
    one's notice may go out (inside working hours); ``next_step_at`` is the
    first of them, so the sweep finds due clocks with one indexed query.
    """

    item_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+"
    )
    item_id = models.CharField(_("record id"), max_length=64)
    item_kind = models.CharField(_("kind of item"), max_length=40)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    clock = models.CharField(_("clock"), max_length=12, choices=ClockKind.choices)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    severity = models.CharField(_("severity or priority"), max_length=20, blank=True)
    policy = models.ForeignKey(SLAPolicy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="clocks")
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    target = models.DurationField(_("target"))
    unit = models.CharField(_("unit"), max_length=16, choices=TargetUnit.choices)
    base_at = models.DateTimeField(_("counted from"))
    base_used = models.DurationField(_("time used before"), default=timedelta(0))
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    used = models.DurationField(_("time used"), default=timedelta(0))
    computed_at = models.DateTimeField(_("computed at"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    at_risk_at = models.DateTimeField(_("at risk from"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    pending_steps = models.JSONField(_("steps to come"), default=list, blank=True)
    next_step_at = models.DateTimeField(_("next step at"), null=True, blank=True)

    # The clock list is a hospital-wide worklist (coordinators, hospital admins); department and
    # assignee scopes see time left on their own items' pages, in the item apps' scope.
    px_access = ModelAccess(hospital="hospital")

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["due_at"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["item_type", "item_id", "clock", "cycle"], name="sla_one_clock_per_cycle"),
        ]
        indexes = [
            models.Index(fields=["item_type", "item_id"], name="sla_clock_item_idx"),
            models.Index(
                fields=["next_step_at"], name="sla_clock_next_step_idx", condition=Q(next_step_at__isnull=False)
            ),
        ]

    def __str__(self):
        label = self.reference or self.item_id[:8]
        return f"{label} · {self.get_clock_display()}"

    @property
    def is_open(self) -> bool:
        return self.stopped_at is None


class StepFiring(models.Model):
    """An escalation step that fired for a clock: unique per (clock, step), so it fires once.

    The sweep inserts these rows with conflicts ignored and a claim token of
    its own, then reads back the rows carrying its token: two sweeps at the
    same time cannot both win one step.
    """

    id = models.BigAutoField(primary_key=True)
    clock = models.ForeignKey(SLAClock, verbose_name=_("clock"), on_delete=models.CASCADE, related_name="firings")
    step = models.ForeignKey(EscalationStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="firings")
    due_at = models.DateTimeField(_("due"))
    fired_at = models.DateTimeField(_("fired at"))
    claim = models.UUIDField(_("claim"), editable=False)
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    px_access = ModelAccess(hospital="hospital")

    class Meta:
        verbose_name = _("escalation sent")
        verbose_name_plural = _("escalations sent")
        ordering = ["-fired_at"]
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["clock", "step"], name="sla_step_fires_once")]
        indexes = [models.Index(fields=["claim"], name="sla_firing_claim_idx")]

    def __str__(self):
        return f"{self.step} · {self.fired_at:%Y-%m-%d %H:%M}"
