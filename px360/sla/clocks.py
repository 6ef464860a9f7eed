"""How a clock stands, computed from an item's status history (no database).

A clock counts while the item is in a status that counts for it: the
acknowledge clock until the item first reaches an acknowledging status; the
resolve clock while the item is neither resolved nor in one of the policy's
pause statuses. :func:`counting_segments` turns the history into the
intervals that count, :func:`evaluate` measures them with the clock's ruler
(business time of a calendar, or plain elapsed time) — so only the working
hours of a pause are ever left out, and nothing depends on a counter kept up
to date by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .businesstime import WorkSchedule, add_business_time, business_time_between
from .choices import ClockState, TargetUnit


@dataclass(frozen=True)
class Change:
    at: datetime
    status: str


@dataclass(frozen=True)
class ClockRules:
    """What makes a clock count, pause and stop.

    ``stops``: statuses that stop the clock; ``pauses``: statuses in which it
    does not count. ``stop_for_good``: the first stop ends the clock (the
    acknowledge clock; a resolve clock that restarts on reopen, whose next
    cycle is another clock) — otherwise leaving a stopping status continues it.
    """

    stops: frozenset[str]
    pauses: frozenset[str] = frozenset()
    stop_for_good: bool = True


Segment = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Ruler:
    """How a clock measures time: business time of a schedule, or elapsed time."""

    measure: Callable[[datetime, datetime], timedelta]
    add: Callable[[datetime, timedelta], datetime]

    @classmethod
    def for_unit(cls, unit: str, schedule: WorkSchedule) -> Ruler:
        if unit in (TargetUnit.BUSINESS_HOURS, TargetUnit.BUSINESS_DAYS):
            return cls(
                measure=lambda a, b: business_time_between(schedule, a, b),
                add=lambda a, d: add_business_time(schedule, a, d),
            )
        return cls(measure=lambda a, b: max(b - a, timedelta(0)), add=lambda a, d: a + d)


def target_duration(amount: int, unit: str, schedule: WorkSchedule) -> timedelta:
    """A policy's target as a duration on the clock's ruler."""
    if unit == TargetUnit.BUSINESS_DAYS:
        return schedule.day_length * amount
    if unit == TargetUnit.CALENDAR_DAYS:
        return timedelta(days=amount)
    return timedelta(hours=amount)


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def counting_segments(
    changes: Sequence[Change], *, rules: ClockRules, start: datetime
) -> tuple[list[Segment], datetime | None]:
    """The intervals in which the clock counts from ``start`` on, and when it stopped (``None``: not stopped).

    ``changes`` are in time order. The status at ``start`` is the last one
    entered at or before it; with none, the clock counts from ``start``. The
    last segment is open (``None`` end) when the clock counts now.
    """
    start = _utc(start)
    status = None
    later = []
    for change in changes:
        if _utc(change.at) <= start:
            status = change.status
        else:
            later.append(change)

    segments: list[Segment] = []
    stopped_at = None
    if status is not None and status in rules.stops:
        if rules.stop_for_good:
            return [], start
        stopped_at = start
    counting_since = start if status is None or status not in rules.stops | rules.pauses else None

    for change in later:
        at = _utc(change.at)
        new = change.status
        counts = new not in rules.stops and new not in rules.pauses
        if counting_since is not None and not counts:
            if at > counting_since:
                segments.append((counting_since, at))
            counting_since = None
        elif counting_since is None and counts:
            counting_since = at
        if new in rules.stops:
            if stopped_at is None:
                stopped_at = at
            if rules.stop_for_good:
                return segments, stopped_at
        else:
            stopped_at = None
    if counting_since is not None:
        segments.append((counting_since, None))
    return segments, stopped_at


@dataclass(frozen=True)
class Evaluation:
    used: timedelta
    state: str
    stopped_at: datetime | None
    due_at: datetime | None
    at_risk_at: datetime | None
    breached_at: datetime | None


def instant_reaching(
    threshold: timedelta, *, segments: Sequence[Segment], base_used: timedelta, base_at: datetime, ruler: Ruler
) -> datetime | None:
    """When the time used reaches ``threshold``: past, or predicted while the clock counts; ``None`` while paused."""
    if threshold <= base_used:
        return _utc(base_at)
    remaining = threshold - base_used
    for begin, end in segments:
        if end is None:
            return ruler.add(begin, remaining)
        spent = ruler.measure(begin, end)
        if spent >= remaining:
            return ruler.add(begin, remaining)
        remaining -= spent
    return None


def used_until(instant: datetime, *, segments: Sequence[Segment], base_used: timedelta, ruler: Ruler) -> timedelta:
    instant = _utc(instant)
    used = base_used
    for begin, end in segments:
        if begin >= instant:
            break
        used += ruler.measure(begin, min(end, instant) if end is not None else instant)
    return used


def evaluate(
    *,
    segments: Sequence[Segment],
    stopped_at: datetime | None,
    base_at: datetime,
    base_used: timedelta,
    target: timedelta,
    at_risk_percent: int,
    ruler: Ruler,
    now: datetime,
) -> Evaluation:
    now = _utc(now)
    end = min(stopped_at, now) if stopped_at is not None else now
    used = used_until(end, segments=segments, base_used=base_used, ruler=ruler)

    def reach(threshold):
        return instant_reaching(threshold, segments=segments, base_used=base_used, base_at=base_at, ruler=ruler)

    due = reach(target)
    at_risk = reach(target * at_risk_percent // 100)
    if stopped_at is not None and stopped_at <= now:
        state = ClockState.MISSED if due is not None and due < stopped_at else ClockState.MET
        breached = due if state == ClockState.MISSED else None
        return Evaluation(used, state, stopped_at, due, at_risk, breached)
    counting = bool(segments) and segments[-1][1] is None and segments[-1][0] <= now
    state = ClockState.RUNNING if counting else ClockState.PAUSED
    breached = due if due is not None and due <= now else None
    return Evaluation(used, state, None, due, at_risk, breached)
