"""Reads of the SLA engine: which calendar and policy apply, how clocks stand, attainment."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from px360.core.access import restrict

from .businesstime import WorkSchedule, business_time_between
from .choices import ClockState, TargetUnit
from .models import BusinessCalendar, SLAClock, SLAPolicy

#: The schedule used when no calendar at all is configured: Sunday–Thursday 08:00–16:00, Riyadh.
DEFAULT_SCHEDULE = WorkSchedule()


def calendar_for(hospital) -> BusinessCalendar | None:
    """The hospital's active calendar, else the group's; ``None`` when neither exists."""
    hospital_id = getattr(hospital, "pk", hospital)
    candidates = BusinessCalendar.objects.filter(is_active=True).filter(
        Q(hospital__isnull=True) | Q(hospital_id=hospital_id) if hospital_id else Q(hospital__isnull=True)
    )
    best = None
    for calendar in candidates:
        if calendar.hospital_id is not None:
            return calendar
        best = calendar
    return best


def schedule_for(calendar: BusinessCalendar | None) -> WorkSchedule:
    return calendar.schedule() if calendar is not None else DEFAULT_SCHEDULE


class ScheduleCache:
    """Each calendar's schedule read once (per sweep, per page)."""

    def __init__(self):
        self._schedules: dict = {}

    def get(self, calendar_id) -> WorkSchedule:
        if calendar_id not in self._schedules:
            calendar = BusinessCalendar.objects.filter(pk=calendar_id).first() if calendar_id else None
            self._schedules[calendar_id] = schedule_for(calendar)
        return self._schedules[calendar_id]

    def put(self, calendar_id, schedule: WorkSchedule) -> None:
        self._schedules[calendar_id] = schedule


def policy_for(kind: str, severity: str, hospital) -> SLAPolicy | None:
    """The active policy for an item of ``kind`` and ``severity`` in ``hospital``.

    In this order: the hospital's for that severity, the group's for that
    severity, the hospital's for any severity, the group's for any severity.
    A severity-specific group rule (a same-day target for safety-critical
    complaints) is never overridden by a hospital's general one.
    """
    hospital_id = getattr(hospital, "pk", hospital)
    severities = {severity or "", ""}
    policies = SLAPolicy.objects.filter(kind=kind, is_active=True, severity__in=severities).filter(
        Q(hospital__isnull=True) | Q(hospital_id=hospital_id) if hospital_id else Q(hospital__isnull=True)
    )

    def rank(policy):
        return (0 if policy.severity else 1, 0 if policy.hospital_id else 1)

    ranked = sorted(policies, key=rank)
    return ranked[0] if ranked else None


def clocks_of(item):
    from django.contrib.contenttypes.models import ContentType

    item_type = ContentType.objects.get_for_model(item)
    return SLAClock.objects.filter(item_type=item_type, item_id=str(item.pk)).order_by("clock", "cycle")


def remaining(clock: SLAClock, *, now=None, schedule: WorkSchedule | None = None) -> timedelta | None:
    """Time left on an open clock on its own ruler (negative once breached); ``None`` when stopped."""
    if clock.stopped_at is not None:
        return None
    now = now or timezone.now()
    if clock.state == ClockState.PAUSED or clock.due_at is None:
        return clock.target - clock.used
    business = clock.unit in (TargetUnit.BUSINESS_HOURS, TargetUnit.BUSINESS_DAYS)
    if not business:
        return clock.due_at - now
    schedule = schedule or schedule_for(clock.calendar)
    if clock.due_at >= now:
        return business_time_between(schedule, now, clock.due_at)
    return -business_time_between(schedule, clock.due_at, now)


def due_state(clock: SLAClock, *, now=None) -> str:
    """``breached``, ``at_risk``, ``on_track``, ``paused`` or ``stopped``: the colour of the time left."""
    now = now or timezone.now()
    if clock.stopped_at is not None:
        return "stopped"
    if clock.breached_at is not None or (clock.due_at is not None and clock.due_at <= now):
        return "breached"
    if clock.state == ClockState.PAUSED:
        return "paused"
    if clock.at_risk_at is not None and clock.at_risk_at <= now:
        return "at_risk"
    return "on_track"


def attainment(user, *, since=None, until=None, by: str = "hospital") -> list[dict]:
    """Clocks met and missed per hospital (``by="hospital"``) or department (``by="department"``), in scope.

    Each row: the hospital or department id, the clock (acknowledge/resolve),
    ``met``, ``missed``, ``open_breached`` and ``rate`` (met / stopped, or
    ``None`` with nothing stopped). Stopped clocks count by when they stopped.
    """
    field = "hospital_id" if by == "hospital" else "department_id"
    clocks = restrict(SLAClock.objects.all(), user).exclude(state=ClockState.CANCELLED)
    stopped = Q()
    if since is not None:
        stopped &= Q(stopped_at__gte=since)
    if until is not None:
        stopped &= Q(stopped_at__lt=until)
    now = timezone.now()
    rows = (
        clocks.values(field, "clock")
        .annotate(
            met=Count("pk", filter=Q(state=ClockState.MET) & stopped),
            missed=Count("pk", filter=Q(state=ClockState.MISSED) & stopped),
            open_breached=Count("pk", filter=Q(stopped_at__isnull=True, due_at__lte=now)),
        )
        .order_by(field, "clock")
    )
    result = []
    for row in rows:
        done = row["met"] + row["missed"]
        result.append({**row, "rate": (row["met"] / done) if done else None})
    return result
