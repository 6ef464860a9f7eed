"""Properties of the two business-time functions: exact inverses, on any schedule, in any zone."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from px360.sla.businesstime import SpecialHours, WorkSchedule, add_business_time, business_time_between

ZONES = ["Asia/Riyadh", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]


@st.composite
def windows(draw, max_windows=3):
    """Up to ``max_windows`` ordered, non-overlapping windows of one day (quarter hours)."""
    marks = sorted(draw(st.sets(st.integers(min_value=0, max_value=95), min_size=0, max_size=2 * max_windows)))
    if len(marks) % 2:
        marks = marks[:-1]
    result = []
    for start, end in zip(marks[::2], marks[1::2], strict=True):
        result.append((time(start // 4, start % 4 * 15), time(end // 4, end % 4 * 15)))
    return tuple(result)


@st.composite
def schedules(draw):
    weekly = {day: draw(windows()) for day in range(7)}
    if not any(weekly.values()):
        weekly[6] = ((time(8), time(16)),)
    first = date(2026, 1, 1)
    closed = frozenset(first + timedelta(days=offset) for offset in draw(st.sets(st.integers(0, 800), max_size=40)))
    special = []
    for offset, length in draw(st.lists(st.tuples(st.integers(0, 800), st.integers(0, 30)), max_size=3)):
        hours = draw(windows(max_windows=2))
        start = first + timedelta(days=offset)
        special.append(SpecialHours(start, start + timedelta(days=length), hours))
    return WorkSchedule(zone=draw(st.sampled_from(ZONES)), weekly=weekly, closed=closed, special=tuple(special))


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)
amounts = st.integers(min_value=0, max_value=40 * 8 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us))

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(schedule=schedules(), start=instants, amount=amounts)
def test_measuring_what_was_added_gives_it_back_exactly(schedule, start, amount):
    end = add_business_time(schedule, start, amount)
    assert end >= start
    assert business_time_between(schedule, start, end) == amount


@PROFILE
@given(schedule=schedules(), start=instants, end=instants)
def test_adding_what_was_measured_lands_on_the_end_or_the_last_working_moment_before_it(schedule, start, end):
    measured = business_time_between(schedule, start, end)
    landed = add_business_time(schedule, start, measured)
    if end <= start:
        assert measured == timedelta(0) and landed == start
        return
    assert landed <= end
    assert business_time_between(schedule, landed, end) == timedelta(0)
    if schedule.is_working(end) and measured > timedelta(0):
        assert landed == end


@PROFILE
@given(schedule=schedules(), start=instants, first=amounts, second=amounts)
def test_adding_in_two_steps_is_adding_the_sum(schedule, start, first, second):
    assert add_business_time(schedule, add_business_time(schedule, start, first), second) == add_business_time(
        schedule, start, first + second
    )


@PROFILE
@given(schedule=schedules(), a=instants, b=instants, c=instants)
def test_measures_add_up_and_never_exceed_elapsed_time(schedule, a, b, c):
    a, b, c = sorted((a, b, c))
    assert business_time_between(schedule, a, c) == business_time_between(schedule, a, b) + business_time_between(
        schedule, b, c
    )
    assert business_time_between(schedule, a, c) <= c - a
