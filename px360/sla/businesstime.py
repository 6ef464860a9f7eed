"""Business time: the whole of the SLA engine's time arithmetic, with no database.

A :class:`WorkSchedule` says when an organisation works: windows per weekday
in local wall time, closed dates (holidays) and dated special hours (Ramadan).
Two pure functions work on it:

* :func:`add_business_time` — the earliest instant at which ``amount`` of
  working time has passed since ``start``;
* :func:`business_time_between` — how much working time lies between two
  instants.

They are exact inverses on ``timedelta`` (whole microseconds, no floats):
``business_time_between(s, add_business_time(s, d)) == d`` for every
``d >= 0``, and ``add_business_time(s, business_time_between(s, e))`` is ``e``
itself when ``e`` is inside working time (else the end of the last working
window before ``e``). Windows are local wall times of the schedule's zone;
every subtraction happens in UTC, so a window that spans a daylight-saving
change lasts what the clock on the wall says, not what its labels say.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

Window = tuple[time, time]

#: Python weekday numbers (Monday 0 … Sunday 6) in the Saudi working week's order.
WEEK_ORDER = (6, 0, 1, 2, 3, 4, 5)
#: Sunday to Thursday (the Saudi working week since 2013).
SAUDI_WORKING_DAYS = (6, 0, 1, 2, 3)
DEFAULT_WINDOW: Window = (time(8), time(16))
DEFAULT_ZONE = "Asia/Riyadh"

#: How far the functions look for working time before deciding there is none.
SEARCH_LIMIT_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    """The schedule has no working time within the search limit (every day closed)."""


@dataclass(frozen=True)
class SpecialHours:
    """Dated hours that replace the weekly windows on the working days of a date range (e.g. Ramadan).

    Days that have no weekly windows (the weekend) stay closed.
    """

    first_day: date
    last_day: date
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class WorkSchedule:
    """When an organisation works, in local wall time of ``zone``.

    ``weekly`` maps a Python weekday (Monday 0 … Sunday 6) to its windows;
    a weekday missing from it is closed. ``closed`` holds dates with no work
    at all (holidays); ``special`` dated windows (a closed date wins over
    special hours). ``day_length`` is how much working time one "business
    day" is when a target is given in days.
    """

    zone: str = DEFAULT_ZONE
    weekly: dict[int, tuple[Window, ...]] = field(
        default_factory=lambda: dict.fromkeys(SAUDI_WORKING_DAYS, (DEFAULT_WINDOW,))
    )
    closed: frozenset[date] = frozenset()
    special: tuple[SpecialHours, ...] = ()
    day_length: timedelta = timedelta(hours=8)

    def __post_init__(self):
        for day, windows in self.weekly.items():
            if day not in range(7):
                raise ValueError(f"Unknown weekday {day}")
            _check_windows(windows)
        for hours in self.special:
            if hours.last_day < hours.first_day:
                raise ValueError("Special hours end before they start")
            _check_windows(hours.windows)
        if self.day_length <= timedelta(0):
            raise ValueError("A business day lasts some time")
        object.__setattr__(self, "_tz", ZoneInfo(self.zone))
        object.__setattr__(self, "_special_sorted", tuple(sorted(self.special, key=lambda hours: hours.first_day)))
        object.__setattr__(self, "_special_starts", [hours.first_day for hours in self._special_sorted])

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def windows_on(self, day: date) -> tuple[Window, ...]:
        """The working windows of one local date (empty when closed)."""
        if day in self.closed:
            return ()
        regular = self.weekly.get(day.weekday(), ())
        if not regular:
            return ()
        # The latest-starting special hours that cover the day win.
        index = bisect.bisect_right(self._special_starts, day) - 1
        while index >= 0:
            hours = self._special_sorted[index]
            if hours.first_day <= day <= hours.last_day:
                return hours.windows
            index -= 1
        return regular

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's windows as UTC instants, in order."""
        result = []
        for start, end in self.windows_on(day):
            begin = _utc(datetime.combine(day, start), self._tz)
            # A window ending at midnight (00:00) ends at the start of the next day.
            finish_day = day + timedelta(days=1) if end == time(0) else day
            finish = _utc(datetime.combine(finish_day, end), self._tz)
            if finish > begin:
                result.append((begin, finish))
        return result

    def local_date(self, instant: datetime) -> date:
        return _aware(instant).astimezone(self._tz).date()

    def is_working(self, instant: datetime) -> bool:
        instant = _aware(instant).astimezone(UTC)
        day = self.local_date(instant)
        return any(begin <= instant < finish for begin, finish in self.intervals_on(day))


def _check_windows(windows: Iterable[Window]) -> None:
    ordered = sorted(windows)
    for start, end in ordered:
        if end != time(0) and end <= start:
            raise ValueError(f"A working window ends after it starts ({start}–{end})")
    for (_start, end), (next_start, _next_end) in pairwise(ordered):
        if end == time(0) or next_start < end:
            raise ValueError("Working windows of one day overlap")


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("Business time needs aware datetimes")
    return instant


def _utc(local_naive: datetime, tz: ZoneInfo) -> datetime:
    """A local wall time as a UTC instant (a time skipped by a clock change moves forward, fold=0)."""
    aware = local_naive.replace(tzinfo=tz)
    utc = aware.astimezone(UTC)
    # Wall times inside a spring-forward gap do not exist: round trip them to the moment after the gap.
    if utc.astimezone(tz).replace(tzinfo=None) != local_naive:
        utc = local_naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return utc


def _intervals_from(schedule: WorkSchedule, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals (UTC) from the local day of ``instant`` on, without end."""
    day = schedule.local_date(instant) - timedelta(days=1)  # a window of the day before may reach past midnight
    empty_days = 0
    while True:
        intervals = schedule.intervals_on(day)
        if intervals:
            empty_days = 0
            yield from intervals
        else:
            empty_days += 1
            if empty_days > SEARCH_LIMIT_DAYS:
                raise NoWorkingTime("No working time in the calendar")
        day += timedelta(days=1)


def add_business_time(schedule: WorkSchedule, start: datetime, amount: timedelta) -> datetime:
    """The earliest instant at which ``amount`` of working time has passed since ``start``.

    ``amount`` 0 returns ``start`` itself. The result is UTC.
    """
    start = _aware(start).astimezone(UTC)
    if amount < timedelta(0):
        raise ValueError("Business time is added, not taken away: use a non-negative amount")
    if amount == timedelta(0):
        return start
    remaining = amount
    for begin, finish in _intervals_from(schedule, start):
        if finish <= start:
            continue
        begin = max(begin, start)
        available = finish - begin
        if available >= remaining:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable")  # pragma: no cover - the generator never ends


def business_time_between(schedule: WorkSchedule, start: datetime, end: datetime) -> timedelta:
    """Working time in ``[start, end)``; zero when ``end`` is not after ``start``."""
    start = _aware(start).astimezone(UTC)
    end = _aware(end).astimezone(UTC)
    if end <= start:
        return timedelta(0)
    total = timedelta(0)
    day = schedule.local_date(start) - timedelta(days=1)
    last = schedule.local_date(end)
    while day <= last:
        for begin, finish in schedule.intervals_on(day):
            overlap = min(finish, end) - max(begin, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def next_working_instant(schedule: WorkSchedule, instant: datetime) -> datetime:
    """``instant`` when it is inside working time, else the start of the next working window (UTC)."""
    instant = _aware(instant).astimezone(UTC)
    for begin, finish in _intervals_from(schedule, instant):
        if finish <= instant:
            continue
        return max(begin, instant)
    raise AssertionError("unreachable")  # pragma: no cover


def business_days(schedule: WorkSchedule, days) -> timedelta:
    """``days`` business days as working time (``days`` × the schedule's business-day length)."""
    return schedule.day_length * days
