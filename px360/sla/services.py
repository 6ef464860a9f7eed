"""Writes of the SLA engine: the clock API the item apps call, calendars' holidays, recomputation.

The apps whose items run on clocks (complaints, inquiries, actions) call:

* :func:`start_clocks` when an item is received — the policy is chosen by the
  item's kind, severity and hospital, the calendar by its hospital;
* :func:`record_status` on every status change — pauses, acknowledgement,
  resolution and reopening all follow from the status history;
* :func:`update_item` when the severity, hospital, department, assignee or
  reference changes — a new policy or calendar applies from then on, and the
  time already used is kept;
* :func:`stop_clocks` when an item is withdrawn without an outcome;
* :func:`time_left` (and :mod:`px360.sla.selectors`) to show how a clock stands.

Everything is keyed by the item's content type and primary key; the item
itself is never imported.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import registry
from .businesstime import NoWorkingTime, WorkSchedule, add_business_time, next_working_instant
from .choices import ClockKind, ClockState, ExceptionKind, ExceptionSource, ReopenMode, StepTrigger, Weekday
from .clocks import (
    Change,
    ClockRules,
    Ruler,
    counting_segments,
    evaluate,
    instant_reaching,
    target_duration,
    used_until,
)
from .models import (
    BusinessCalendar,
    CalendarException,
    EscalationStep,
    ExceptionWindow,
    SLAClock,
    SLAPolicy,
    SLAStatusChange,
    StepFiring,
    WorkingWindow,
)
from .selectors import ScheduleCache, calendar_for, policy_for, remaining, schedule_for

logger = logging.getLogger("px360.sla")

_UNCHANGED = object()


class NoPolicy(LookupError):
    """No active SLA policy applies to the item (neither the hospital's nor the group's)."""


# --- calendars ---------------------------------------------------------------------------


def calendar_create(*, name_ar: str, name_en: str, hospital=None, zone: str = "Asia/Riyadh") -> BusinessCalendar:
    """A calendar with the Saudi working week: Sunday to Thursday, 08:00–16:00, each day its own row."""
    with transaction.atomic():
        calendar = BusinessCalendar.objects.create(hospital=hospital, name_ar=name_ar, name_en=name_en, timezone=zone)
        for day in (Weekday.SUNDAY, Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY):
            WorkingWindow.objects.create(calendar=calendar, weekday=day, start_time=time(8), end_time=time(16))
    return calendar


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


#: Ramadan working hours seeded as an estimate (at most 6 hours a day in Saudi practice).
RAMADAN_WINDOW = (time(10), time(15))


def seed_saudi_holidays(calendar: BusinessCalendar, year: int) -> list[CalendarException]:
    """Add the Saudi public holidays (and Ramadan hours) of ``year`` to ``calendar`` as *estimated* rows.

    Holidays come from the ``holidays`` package's Saudi calendar (private
    sector); consecutive days of one holiday become one range. Ramadan is
    computed in the Umm al-Qura calendar (``hijridate``) and gets special hours
    10:00–15:00. Rows already seeded (same source key) are left alone, also
    when an admin moved or confirmed them, so seeding again adds nothing.
    Open clocks on the calendar are brought up to date.
    """
    import holidays
    from hijridate import Gregorian, Hijri

    english = holidays.country_holidays("SA", years=year, language="en_US")
    arabic = holidays.country_holidays("SA", years=year, language="ar")
    ranges: list[list] = []
    for day in sorted(english):
        name_en = english[day]
        if ranges and ranges[-1][2] == name_en and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1][1] = day
        else:
            ranges.append([day, day, name_en, arabic.get(day, name_en)])
    wanted = [
        (f"holidays-SA:{first:%Y-%m-%d}:{_slug(name_en)}"[:80], first, last, name_en, name_ar, ExceptionKind.CLOSED)
        for first, last, name_en, name_ar in ranges
    ]
    try:
        hijri_years = sorted(
            {
                Gregorian.fromdate(date(year, 1, 1)).to_hijri().year,
                Gregorian.fromdate(date(year, 12, 31)).to_hijri().year,
            }
        )
    except (OverflowError, ValueError):
        hijri_years = []
    for hijri_year in hijri_years:
        try:
            starts = Hijri(hijri_year, 9, 1).to_gregorian()
            ends = Hijri(hijri_year, 10, 1).to_gregorian()
        except (OverflowError, ValueError):
            continue
        first = date(starts.year, starts.month, starts.day)
        last = date(ends.year, ends.month, ends.day) - timedelta(days=1)
        if first.year == year:
            wanted.append(
                (
                    f"ramadan:{hijri_year}",
                    first,
                    last,
                    f"Ramadan {hijri_year} working hours",
                    f"ساعات العمل في رمضان {hijri_year} هـ",
                    ExceptionKind.SPECIAL_HOURS,
                )
            )
    existing = set(
        CalendarException.objects.filter(calendar=calendar, source_key__in=[row[0] for row in wanted]).values_list(
            "source_key", flat=True
        )
    )
    created = []
    previous = calendar.schedule()
    with transaction.atomic():
        for key, first, last, name_en, name_ar, kind in wanted:
            if key in existing:
                continue
            exception = CalendarException.objects.create(
                calendar=calendar,
                name_en=name_en,
                name_ar=name_ar,
                kind=kind,
                first_day=first,
                last_day=last,
                is_estimated=True,
                source=ExceptionSource.LIBRARY,
                source_key=key,
            )
            if kind == ExceptionKind.SPECIAL_HOURS:
                ExceptionWindow.objects.create(
                    exception=exception, start_time=RAMADAN_WINDOW[0], end_time=RAMADAN_WINDOW[1]
                )
            created.append(exception)
        if created:
            recompute_for_calendar(calendar, previous=previous)  # open clocks whose deadlines reach that year
    return created


def confirm_exceptions(exceptions, *, by) -> int:
    """Mark estimated holidays confirmed by ``by`` (one history row each); returns how many."""
    now = timezone.now()
    count = 0
    for exception in exceptions:
        if not exception.is_estimated:
            continue
        exception.is_estimated = False
        exception.confirmed_by = by
        exception.confirmed_at = now
        exception._history_user = by
        exception.save(update_fields=["is_estimated", "confirmed_by", "confirmed_at", "updated_at"])
        count += 1
    return count


# --- clocks ------------------------------------------------------------------------------


def _item_key(item) -> tuple[ContentType, str]:
    return ContentType.objects.get_for_model(item), str(item.pk)


def _history(item_type, item_id) -> list[Change]:
    rows = SLAStatusChange.objects.filter(item_type=item_type, item_id=item_id).order_by("at", "id")
    return [Change(row.at, row.status) for row in rows.only("at", "status")]


def _rules(clock: SLAClock, policy: SLAPolicy) -> ClockRules:
    kind = registry.get(clock.item_kind)
    if clock.clock == ClockKind.ACKNOWLEDGE:
        return ClockRules(stops=frozenset(s.code for s in kind.statuses if s.acknowledges))
    return ClockRules(
        stops=frozenset(s.code for s in kind.statuses if s.resolves),
        pauses=frozenset(policy.pause_statuses or ()),
        stop_for_good=policy.reopen_mode == ReopenMode.RESTART,
    )


def _steps_of(policy: SLAPolicy, clock_kind: str, cache: dict | None = None) -> list[EscalationStep]:
    if cache is not None and (policy.pk, clock_kind) in cache:
        return cache[(policy.pk, clock_kind)]
    steps = list(policy.steps.filter(clock=clock_kind))
    if cache is not None:
        cache[(policy.pk, clock_kind)] = steps
    return steps


def step_fires_at(schedule: WorkSchedule, due: datetime, *, policy: SLAPolicy) -> datetime:
    """When a step due at ``due`` fires: at once inside working hours, else at the next working instant.

    Escalations go to staff, who are not at work at night, at the weekend or
    on a holiday: they wait for the calendar's next working window (special
    hours included) whatever the unit of the targets — a 24/7 target in
    calendar hours is breached at 02:00, and its notice goes out at 08:00 —
    unless the policy says to notify outside working hours. A calendar with
    no working time at all does not hold them back.
    """
    if policy.notify_outside_working_hours:
        return due
    try:
        return next_working_instant(schedule, due)
    except NoWorkingTime:
        return due


def _compute(
    clock: SLAClock,
    *,
    policy: SLAPolicy,
    history: list[Change],
    schedule: WorkSchedule,
    now: datetime,
    fired: set,
    steps: list[EscalationStep],
) -> None:
    """Set the clock's state, time used, due instants and pending steps from the history."""
    if clock.state == ClockState.CANCELLED:
        return
    rules = _rules(clock, policy)
    ruler = Ruler.for_unit(clock.unit, schedule)
    segments, stopped_at = counting_segments(history, rules=rules, start=clock.base_at)
    result = evaluate(
        segments=segments,
        stopped_at=stopped_at,
        base_at=clock.base_at,
        base_used=clock.base_used,
        target=clock.target,
        at_risk_percent=policy.at_risk_percent,
        ruler=ruler,
        now=now,
    )
    clock.state = result.state
    clock.used = result.used
    clock.stopped_at = result.stopped_at
    clock.due_at = result.due_at
    clock.at_risk_at = result.at_risk_at
    clock.breached_at = result.breached_at
    clock.computed_at = now

    pending = []
    if clock.stopped_at is None:
        for step in steps:
            if step.pk in fired:
                continue
            if step.trigger == StepTrigger.PERCENT:
                due = instant_reaching(
                    clock.target * step.percent // 100,
                    segments=segments,
                    base_used=clock.base_used,
                    base_at=clock.base_at,
                    ruler=ruler,
                )
            elif step.trigger == StepTrigger.BREACH:
                due = result.due_at
            else:
                due = (
                    add_business_time(schedule, result.due_at, schedule.day_length * step.days_after)
                    if result.due_at is not None
                    else None
                )
            if due is None:
                continue
            notify_at = step_fires_at(schedule, due, policy=policy)
            pending.append({"step": str(step.pk), "due": due.isoformat(), "at": notify_at.isoformat()})
    pending.sort(key=lambda entry: entry["at"])
    clock.pending_steps = pending
    clock.next_step_at = datetime.fromisoformat(pending[0]["at"]) if pending else None


_COMPUTED_FIELDS = [
    "state",
    "used",
    "stopped_at",
    "due_at",
    "at_risk_at",
    "breached_at",
    "computed_at",
    "pending_steps",
    "next_step_at",
    "updated_at",
]


def _recompute(clocks: list[SLAClock], *, now: datetime, schedules: ScheduleCache | None = None) -> None:
    """Recompute and save clocks (all of one item, or any set: the history is read per item)."""
    schedules = schedules or ScheduleCache()
    histories: dict = {}
    step_cache: dict = {}
    fired_by_clock: dict = {}
    for row in StepFiring.objects.filter(clock__in=[c.pk for c in clocks]).values_list("clock_id", "step_id"):
        fired_by_clock.setdefault(row[0], set()).add(row[1])
    for clock in clocks:
        key = (clock.item_type_id, clock.item_id)
        if key not in histories:
            histories[key] = _history(*key)
        policy = clock.policy
        _compute(
            clock,
            policy=policy,
            history=histories[key],
            schedule=schedules.get(clock.calendar_id),
            now=now,
            fired=fired_by_clock.get(clock.pk, set()),
            steps=_steps_of(policy, clock.clock, step_cache),
        )
        clock.save(update_fields=_COMPUTED_FIELDS)


def _new_clock(*, item_type, item_id, kind, clock_kind, cycle, policy, calendar, schedule, started_at, fields):
    amount, unit = policy.target(clock_kind)
    return SLAClock(
        item_type=item_type,
        item_id=item_id,
        item_kind=kind,
        clock=clock_kind,
        cycle=cycle,
        policy=policy,
        calendar=calendar,
        started_at=started_at,
        base_at=started_at,
        base_used=timedelta(0),
        target=target_duration(amount, unit, schedule),
        unit=unit,
        computed_at=started_at,
        **fields,
    )


def start_clocks(
    item,
    *,
    kind: str,
    received_at: datetime,
    status: str,
    hospital=None,
    severity: str = "",
    department=None,
    assignee=None,
    reference: str = "",
    now: datetime | None = None,
) -> list[SLAClock]:
    """Start the acknowledge and resolve clocks of a received item; a second call returns the same clocks.

    ``status`` is the item's status at ``received_at`` (an inquiry promoted
    to a complaint keeps its original received time and passes it here).
    Raises :class:`NoPolicy` when no active policy applies.
    """
    kind_def = registry.get(kind)
    kind_def.status(status)
    now = now or timezone.now()
    item_type, item_id = _item_key(item)
    existing = list(SLAClock.objects.filter(item_type=item_type, item_id=item_id).select_related("policy"))
    if existing:
        return existing
    policy = policy_for(kind, severity, hospital)
    if policy is None:
        raise NoPolicy(f"No SLA policy for {kind} / {severity or '-'}")
    calendar = calendar_for(hospital)
    schedule = schedule_for(calendar)
    fields = {
        "hospital_id": getattr(hospital, "pk", hospital),
        "department_id": getattr(department, "pk", department),
        "assignee_id": getattr(assignee, "pk", assignee),
        "severity": severity or "",
        "reference": reference[:40],
    }
    clocks = []
    try:
        with transaction.atomic():
            if not SLAStatusChange.objects.filter(item_type=item_type, item_id=item_id).exists():
                SLAStatusChange.objects.create(
                    item_type=item_type,
                    item_id=item_id,
                    status=status,
                    at=received_at,
                    hospital_id=fields["hospital_id"],
                )
            for clock_kind in (ClockKind.ACKNOWLEDGE, ClockKind.RESOLVE):
                if policy.target(clock_kind)[0] is None:
                    continue
                clock = _new_clock(
                    item_type=item_type,
                    item_id=item_id,
                    kind=kind,
                    clock_kind=clock_kind,
                    cycle=1,
                    policy=policy,
                    calendar=calendar,
                    schedule=schedule,
                    started_at=received_at,
                    fields=fields,
                )
                clock.save()
                clocks.append(clock)
            cache = ScheduleCache()
            cache.put(calendar.pk if calendar else None, schedule)
            _recompute(clocks, now=now, schedules=cache)
    except IntegrityError:  # started at the same moment by another request
        return list(SLAClock.objects.filter(item_type=item_type, item_id=item_id).select_related("policy"))
    return clocks


def record_status(item, status: str, *, at: datetime | None = None, now: datetime | None = None) -> list[SLAClock]:
    """Record that the item entered ``status`` at ``at`` and bring its clocks up to date.

    Leaving a resolving status for one that is not reopens the item: the
    resolve clock continues with the time already used, or a new cycle starts
    from zero, as the policy says.
    """
    now = now or timezone.now()
    at = at or now
    item_type, item_id = _item_key(item)
    with transaction.atomic():
        clocks = list(
            SLAClock.objects.select_for_update(of=("self",))
            .filter(item_type=item_type, item_id=item_id)
            .select_related("policy")
            .order_by("clock", "cycle")
        )
        if not clocks:
            raise LookupError("The item has no SLA clocks: start them first")
        kind = registry.get(clocks[0].item_kind)
        new_status = kind.status(status)
        history = _history(item_type, item_id)
        previous = [change for change in history if change.at <= at]
        was_resolved = bool(previous) and kind.status(previous[-1].status).resolves
        SLAStatusChange.objects.create(
            item_type=item_type, item_id=item_id, status=status, at=at, hospital_id=clocks[0].hospital_id
        )
        resolve_clocks = [clock for clock in clocks if clock.clock == ClockKind.RESOLVE]
        latest = resolve_clocks[-1] if resolve_clocks else None
        if (
            was_resolved
            and not new_status.resolves
            and latest is not None
            and latest.policy.reopen_mode == ReopenMode.RESTART
            and latest.state != ClockState.CANCELLED
        ):
            calendar = latest.calendar
            schedule = schedule_for(calendar)
            restarted = _new_clock(
                item_type=item_type,
                item_id=item_id,
                kind=latest.item_kind,
                clock_kind=ClockKind.RESOLVE,
                cycle=latest.cycle + 1,
                policy=latest.policy,
                calendar=calendar,
                schedule=schedule,
                started_at=at,
                fields={
                    "hospital_id": latest.hospital_id,
                    "department_id": latest.department_id,
                    "assignee_id": latest.assignee_id,
                    "severity": latest.severity,
                    "reference": latest.reference,
                },
            )
            restarted.save()
            clocks.append(restarted)
        _recompute(_live(clocks), now=now)
    return clocks


def _live(clocks: list[SLAClock]) -> list[SLAClock]:
    """Clocks that can still change: not cancelled, and for restarting resolve clocks only the last cycle."""
    last_cycle = max((c.cycle for c in clocks if c.clock == ClockKind.RESOLVE), default=0)
    return [
        clock
        for clock in clocks
        if clock.state != ClockState.CANCELLED
        and not (
            clock.clock == ClockKind.RESOLVE
            and clock.cycle < last_cycle
            and clock.policy.reopen_mode == ReopenMode.RESTART
        )
    ]


def _rebase(
    clock: SLAClock, *, now: datetime, history: list[Change], policy: SLAPolicy, schedule: WorkSchedule
) -> None:
    """Keep the time used so far under the rules in force until now, and count from now on."""
    rules = _rules(clock, policy)
    ruler = Ruler.for_unit(clock.unit, schedule)
    segments, stopped_at = counting_segments(history, rules=rules, start=clock.base_at)
    end = min(stopped_at, now) if stopped_at is not None else now
    clock.base_used = used_until(end, segments=segments, base_used=clock.base_used, ruler=ruler)
    clock.base_at = now


def update_item(
    item,
    *,
    severity=_UNCHANGED,
    hospital=_UNCHANGED,
    department=_UNCHANGED,
    assignee=_UNCHANGED,
    reference=_UNCHANGED,
    now: datetime | None = None,
) -> list[SLAClock]:
    """Follow a change of the item: a new severity or hospital re-chooses the policy and calendar.

    The open clocks keep the time they have used (measured under the old
    rules up to now) and count on under the new ones; their deadlines move
    accordingly. Department, assignee and reference only change who is told.
    """
    now = now or timezone.now()
    item_type, item_id = _item_key(item)
    with transaction.atomic():
        clocks = list(
            SLAClock.objects.select_for_update(of=("self",))
            .filter(item_type=item_type, item_id=item_id)
            .select_related("policy", "calendar")
            .order_by("clock", "cycle")
        )
        if not clocks:
            raise LookupError("The item has no SLA clocks: start them first")
        routing = {}
        if department is not _UNCHANGED:
            routing["department_id"] = getattr(department, "pk", department)
        if assignee is not _UNCHANGED:
            routing["assignee_id"] = getattr(assignee, "pk", assignee)
        if reference is not _UNCHANGED:
            routing["reference"] = (reference or "")[:40]
        new_severity = clocks[0].severity if severity is _UNCHANGED else (severity or "")
        new_hospital_id = clocks[0].hospital_id if hospital is _UNCHANGED else getattr(hospital, "pk", hospital)
        if routing:
            SLAClock.objects.filter(pk__in=[c.pk for c in clocks]).update(**routing, updated_at=now)
            for clock in clocks:
                for name, value in routing.items():
                    setattr(clock, name, value)
        if new_severity == clocks[0].severity and new_hospital_id == clocks[0].hospital_id:
            return clocks
        policy = policy_for(clocks[0].item_kind, new_severity, new_hospital_id)
        if policy is None:
            raise NoPolicy(f"No SLA policy for {clocks[0].item_kind} / {new_severity or '-'}")
        calendar = calendar_for(new_hospital_id)
        schedule = schedule_for(calendar)
        history = _history(item_type, item_id)
        live = _live(clocks)
        for clock in clocks:
            clock.severity = new_severity
            clock.hospital_id = new_hospital_id
            if clock in live and clock.stopped_at is None:
                _rebase(clock, now=now, history=history, policy=clock.policy, schedule=schedule_for(clock.calendar))
                amount, unit = policy.target(clock.clock)
                if amount is not None:
                    clock.policy = policy
                    clock.calendar = calendar
                    clock.unit = unit
                    clock.target = target_duration(amount, unit, schedule)
            clock.save(
                update_fields=[
                    "severity",
                    "hospital",
                    "policy",
                    "calendar",
                    "unit",
                    "target",
                    "base_at",
                    "base_used",
                    "updated_at",
                ]
            )
        _recompute(live, now=now)
    return clocks


def stop_clocks(item, *, at: datetime | None = None) -> int:
    """Stop the item's open clocks without an outcome (withdrawn, merged into another item)."""
    at = at or timezone.now()
    item_type, item_id = _item_key(item)
    return SLAClock.objects.filter(item_type=item_type, item_id=item_id, stopped_at__isnull=True).update(
        state=ClockState.CANCELLED,
        stopped_at=at,
        pending_steps=[],
        next_step_at=None,
        updated_at=at,
    )


def time_left(item, clock: str = ClockKind.RESOLVE, *, now: datetime | None = None) -> timedelta | None:
    """Time left on the item's clock (its latest cycle) on the clock's own ruler; negative once breached."""
    item_type, item_id = _item_key(item)
    row = (
        SLAClock.objects.filter(item_type=item_type, item_id=item_id, clock=clock)
        .select_related("calendar")
        .order_by("-cycle")
        .first()
    )
    if row is None:
        return None
    return remaining(row, now=now)


def recompute_for_calendar(calendar: BusinessCalendar, *, previous: WorkSchedule | None = None, now=None) -> int:
    """Bring the open clocks on ``calendar`` up to date after it changed.

    With ``previous`` (the schedule before the change) the time used so far
    is kept as measured under it; the new schedule counts from now on.
    """
    now = now or timezone.now()
    clocks = list(
        SLAClock.objects.filter(calendar=calendar, stopped_at__isnull=True)
        .exclude(state=ClockState.CANCELLED)
        .select_related("policy")
    )
    return _rebase_and_recompute(clocks, now=now, previous_schedule=previous)


def follow_hospital_calendar(hospital, *, now=None) -> int:
    """Move a hospital's open clocks onto the calendar that now applies to it (its own, else the group's).

    Called when a calendar is created, activated or deactivated. Each moved
    clock keeps the time it has used, measured on its old calendar up to now.
    """
    now = now or timezone.now()
    hospital_id = getattr(hospital, "pk", hospital)
    calendar = calendar_for(hospital_id)
    target_id = calendar.pk if calendar is not None else None
    clocks = list(
        SLAClock.objects.filter(hospital_id=hospital_id, stopped_at__isnull=True)
        .exclude(state=ClockState.CANCELLED)
        .exclude(calendar_id=target_id)
        .select_related("policy")
    )
    schedules = ScheduleCache()
    new_schedule = schedules.get(target_id)
    for clock in clocks:
        history = _history(clock.item_type_id, clock.item_id)
        _rebase(clock, now=now, history=history, policy=clock.policy, schedule=schedules.get(clock.calendar_id))
        amount, unit = clock.policy.target(clock.clock)
        clock.calendar = calendar
        if amount is not None and unit == clock.unit:
            clock.target = target_duration(amount, unit, new_schedule)
        clock.save(update_fields=["calendar", "target", "base_at", "base_used", "updated_at"])
    _recompute(clocks, now=now, schedules=schedules)
    return len(clocks)


def recompute_for_policy(policy: SLAPolicy, *, previous: SLAPolicy | None = None, now=None) -> int:
    """Bring the open clocks under ``policy`` up to date after its targets, pauses or steps changed.

    With ``previous`` (the policy as it was), the time used so far is kept
    as measured under its pause statuses and units.
    """
    now = now or timezone.now()
    clocks = list(
        SLAClock.objects.filter(policy=policy, stopped_at__isnull=True)
        .exclude(state=ClockState.CANCELLED)
        .select_related("policy")
    )
    schedules = ScheduleCache()
    for clock in clocks:
        amount, unit = policy.target(clock.clock)
        if amount is None:
            continue
        if previous is not None:
            history = _history(clock.item_type_id, clock.item_id)
            _rebase(clock, now=now, history=history, policy=previous, schedule=schedules.get(clock.calendar_id))
        clock.unit = unit
        clock.target = target_duration(amount, unit, schedules.get(clock.calendar_id))
        clock.policy = policy
        clock.save(update_fields=["unit", "target", "base_at", "base_used", "updated_at"])
    _recompute(clocks, now=now, schedules=schedules)
    return len(clocks)


def _rebase_and_recompute(clocks, *, now, previous_schedule) -> int:
    schedules = ScheduleCache()
    for clock in clocks:
        if previous_schedule is not None:
            history = _history(clock.item_type_id, clock.item_id)
            _rebase(clock, now=now, history=history, policy=clock.policy, schedule=previous_schedule)
        schedule = schedules.get(clock.calendar_id)
        amount, unit = clock.policy.target(clock.clock)
        if amount is not None and unit == clock.unit:
            clock.target = target_duration(amount, unit, schedule)  # a new business-day length
        clock.save(update_fields=["base_at", "base_used", "target", "updated_at"])
    _recompute(clocks, now=now, schedules=schedules)
    return len(clocks)


def preview(policy: SLAPolicy, received_at: datetime, *, hospital=None) -> dict:
    """What-if: the deadlines of an item received at ``received_at`` under ``policy`` (no pauses).

    Returns ``{"acknowledge": instant or None, "resolve": instant, "steps": [(step, notify_at)]}``.
    """
    calendar = calendar_for(hospital if hospital is not None else policy.hospital_id)
    schedule = schedule_for(calendar)
    result = {"calendar": calendar, "steps": []}
    due = {}
    for clock_kind in (ClockKind.ACKNOWLEDGE, ClockKind.RESOLVE):
        amount, unit = policy.target(clock_kind)
        if amount is None:
            due[clock_kind] = None
            continue
        ruler = Ruler.for_unit(unit, schedule)
        due[clock_kind] = ruler.add(received_at, target_duration(amount, unit, schedule))
        for step in policy.steps.filter(clock=clock_kind):
            target = target_duration(amount, unit, schedule)
            if step.trigger == StepTrigger.PERCENT:
                at = ruler.add(received_at, target * step.percent // 100)
            elif step.trigger == StepTrigger.BREACH:
                at = due[clock_kind]
            else:
                at = add_business_time(schedule, due[clock_kind], schedule.day_length * step.days_after)
            result["steps"].append((step, step_fires_at(schedule, at, policy=policy)))
    result["acknowledge"] = due[ClockKind.ACKNOWLEDGE]
    result["resolve"] = due[ClockKind.RESOLVE]
    result["steps"].sort(key=lambda pair: pair[1])
    return result
