"""Two clocks per item, from the outside: the service API the item apps call."""

from datetime import timedelta

import pytest

from px360.sla.choices import ClockKind, ClockState, ReopenMode, TargetUnit
from px360.sla.models import SLAClock, SLAPolicy, SLAStatusChange
from px360.sla.selectors import attainment, clocks_of, policy_for
from px360.sla.services import (
    NoPolicy,
    calendar_create,
    recompute_for_calendar,
    recompute_for_policy,
    record_status,
    start_clocks,
    stop_clocks,
    time_left,
    update_item,
)

from .conftest import TEST_KIND, riyadh

pytestmark = pytest.mark.django_db

THURSDAY_15 = riyadh(2026, 11, 26, 15)
H = timedelta(hours=1)


def clock(item, kind=ClockKind.RESOLVE) -> SLAClock:
    return clocks_of(item).filter(clock=kind).order_by("-cycle").first()


def start(item, hospital, **extra):
    return start_clocks(
        item,
        kind=TEST_KIND.code,
        received_at=extra.pop("received_at", THURSDAY_15),
        status="new",
        hospital=hospital,
        reference="CMP-2026-000001",
        now=extra.pop("now", THURSDAY_15),
        **extra,
    )


def test_received_thursday_15h_acknowledge_by_sunday_15h_resolve_five_business_days_later(
    group_policy, make_item, hospital_a
):
    item = make_item()
    clocks = start(item, hospital_a)
    assert [c.clock for c in clocks] == [ClockKind.ACKNOWLEDGE, ClockKind.RESOLVE]
    assert clock(item, ClockKind.ACKNOWLEDGE).due_at == riyadh(2026, 11, 29, 15)
    assert clock(item).due_at == riyadh(2026, 12, 3, 15)
    assert clock(item).state == ClockState.RUNNING
    # Starting again (a retried request) changes nothing.
    assert {c.pk for c in start(item, hospital_a)} == {c.pk for c in clocks}
    assert SLAStatusChange.objects.count() == 1


def test_acknowledging_meets_the_acknowledge_clock_and_late_is_missed(group_policy, make_item, hospital_a):
    on_time, late = make_item(), make_item()
    start(on_time, hospital_a)
    start(late, hospital_a)
    record_status(on_time, "acknowledged", at=riyadh(2026, 11, 29, 10), now=riyadh(2026, 11, 29, 10))
    record_status(late, "acknowledged", at=riyadh(2026, 11, 30, 9), now=riyadh(2026, 11, 30, 9))
    assert clock(on_time, ClockKind.ACKNOWLEDGE).state == ClockState.MET
    missed = clock(late, ClockKind.ACKNOWLEDGE)
    assert missed.state == ClockState.MISSED and missed.breached_at == riyadh(2026, 11, 29, 15)
    # The resolve clock goes on.
    assert clock(on_time).state == ClockState.RUNNING


def test_only_the_working_hours_of_a_pause_count_and_a_weekend_pause_counts_zero(group_policy, make_item, hospital_a):
    item = make_item()
    start(item, hospital_a)
    # Waiting for the complainant from Thursday 16:00 to Sunday 08:00: nothing changes.
    record_status(item, "waiting", at=riyadh(2026, 11, 26, 16), now=riyadh(2026, 11, 26, 16))
    assert clock(item).state == ClockState.PAUSED
    assert time_left(item, now=riyadh(2026, 11, 28, 12)) == 39 * H
    record_status(item, "in_progress", at=riyadh(2026, 11, 29, 8), now=riyadh(2026, 11, 29, 8))
    assert clock(item).due_at == riyadh(2026, 12, 3, 15)
    # Waiting from Sunday 11:00 to Tuesday 11:00: 16 working hours, the deadline moves by 16 working hours.
    record_status(item, "waiting", at=riyadh(2026, 11, 29, 11), now=riyadh(2026, 11, 29, 11))
    paused = clock(item)
    assert paused.used == 4 * H and paused.due_at is None
    record_status(item, "in_progress", at=riyadh(2026, 12, 1, 11), now=riyadh(2026, 12, 1, 11))
    assert clock(item).due_at == riyadh(2026, 12, 7, 15)
    assert time_left(item, now=riyadh(2026, 12, 1, 11)) == 36 * H


def test_the_history_decides_even_when_a_change_arrives_late(group_policy, make_item, hospital_a):
    item = make_item()
    start(item, hospital_a)
    record_status(item, "in_progress", at=riyadh(2026, 12, 1, 11), now=riyadh(2026, 12, 1, 12))
    # The pause that happened earlier is recorded afterwards: the clocks are computed from the history.
    record_status(item, "waiting", at=riyadh(2026, 11, 29, 11), now=riyadh(2026, 12, 1, 12))
    assert clock(item).due_at == riyadh(2026, 12, 7, 15)


def test_a_higher_severity_recomputes_the_deadline_and_keeps_the_time_used(group_policy, make_item, hospital_a):
    SLAPolicy.objects.create(
        name_en="High",
        name_ar="عالية",
        kind=TEST_KIND.code,
        severity="3",
        acknowledge_target=2,
        acknowledge_unit=TargetUnit.BUSINESS_HOURS,
        resolve_target=1,
        resolve_unit=TargetUnit.BUSINESS_DAYS,
    )
    item = make_item()
    start(item, hospital_a, severity="1")
    # Sunday 11:00: 4 working hours used (Thursday 15–16, Sunday 8–11); raised to high.
    update_item(item, severity="3", now=riyadh(2026, 11, 29, 11))
    resolve = clock(item)
    assert resolve.policy.severity == "3" and resolve.base_used == 4 * H
    assert resolve.target == 8 * H and resolve.due_at == riyadh(2026, 11, 29, 15)
    acknowledge = clock(item, ClockKind.ACKNOWLEDGE)
    assert acknowledge.state == ClockState.RUNNING and acknowledge.breached_at == riyadh(2026, 11, 29, 11)


def test_a_changed_policy_keeps_the_time_used(group_policy, make_item, hospital_a):
    item = make_item()
    start(item, hospital_a)
    record_status(item, "waiting", at=riyadh(2026, 11, 29, 11), now=riyadh(2026, 11, 29, 11))
    previous = SLAPolicy.objects.get(pk=group_policy.pk)
    group_policy.resolve_target = 2
    group_policy.pause_statuses = []
    group_policy.save()
    recompute_for_policy(group_policy, previous=previous, now=riyadh(2026, 11, 30, 8))
    resolve = clock(item)
    # 4 hours used before the pause; the pause up to Monday 08:00 counted under the old rules (not at all).
    assert resolve.base_used == 4 * H and resolve.target == 16 * H
    assert resolve.state == ClockState.RUNNING  # "waiting" no longer pauses
    assert resolve.due_at == riyadh(2026, 12, 1, 12)  # 12 hours left: Monday 8–16, Tuesday 8–12


def test_a_new_calendar_recomputes_and_keeps_the_time_used(group_policy, make_item, hospital_a):
    item = make_item()
    start(item, hospital_a)
    group = clock(item).calendar
    previous = group.schedule()
    # Monday 30 November is declared a holiday on Sunday at noon.
    group.exceptions.create(name_en="Holiday", name_ar="إجازة", first_day="2026-11-30", last_day="2026-11-30")
    recompute_for_calendar(group, previous=previous, now=riyadh(2026, 11, 29, 12))
    resolve = clock(item)
    assert resolve.base_used == 5 * H
    assert resolve.due_at == riyadh(2026, 12, 6, 15)


def test_reopen_continues_or_restarts_as_the_policy_says(group_policy, make_item, hospital_a):
    item = make_item()
    start(item, hospital_a)
    record_status(item, "resolved", at=riyadh(2026, 11, 29, 12), now=riyadh(2026, 11, 29, 12))
    assert clock(item).state == ClockState.MET and clock(item).used == 5 * H
    record_status(item, "in_progress", at=riyadh(2026, 12, 2, 8), now=riyadh(2026, 12, 2, 8))
    continued = clock(item)
    assert continued.cycle == 1 and continued.state == ClockState.RUNNING and continued.used == 5 * H
    assert continued.due_at == riyadh(2026, 12, 8, 11)  # 35 hours left from Wednesday 08:00

    group_policy.reopen_mode = ReopenMode.RESTART
    group_policy.save()
    other = make_item()
    start(other, hospital_a)
    record_status(other, "resolved", at=riyadh(2026, 11, 29, 12), now=riyadh(2026, 11, 29, 12))
    record_status(other, "in_progress", at=riyadh(2026, 12, 2, 8), now=riyadh(2026, 12, 2, 8))
    first, second = clocks_of(other).filter(clock=ClockKind.RESOLVE).order_by("cycle")
    assert first.state == ClockState.MET and first.stopped_at == riyadh(2026, 11, 29, 12)
    assert second.cycle == 2 and second.used == timedelta(0) and second.due_at == riyadh(2026, 12, 8, 16)


def test_policy_choice_severity_first_then_hospital_then_group(group_policy, hospital_a, hospital_b):
    def make(hospital, severity):
        return SLAPolicy.objects.create(
            name_en="p", name_ar="p", kind=TEST_KIND.code, hospital=hospital, severity=severity, resolve_target=1
        )

    assert policy_for(TEST_KIND.code, "3", hospital_a) == group_policy
    hospital_any = make(hospital_a, "")
    assert policy_for(TEST_KIND.code, "3", hospital_a) == hospital_any
    group_high = make(None, "3")
    assert policy_for(TEST_KIND.code, "3", hospital_a) == group_high
    hospital_high = make(hospital_a, "3")
    assert policy_for(TEST_KIND.code, "3", hospital_a) == hospital_high
    assert policy_for(TEST_KIND.code, "3", hospital_b) == group_high
    assert policy_for(TEST_KIND.code, "1", hospital_b) == group_policy
    assert policy_for("unknown_kind", "", hospital_a) is None


def test_no_policy_no_clock_and_unknown_statuses_are_refused(make_item, hospital_a, group_policy):
    group_policy.is_active = False
    group_policy.save()
    with pytest.raises(NoPolicy):
        start(make_item(), hospital_a)
    group_policy.is_active = True
    group_policy.save()
    item = make_item()
    start(item, hospital_a)
    with pytest.raises(LookupError):
        record_status(item, "teleported", now=THURSDAY_15)
    with pytest.raises(LookupError):
        record_status(make_item(), "new", now=THURSDAY_15)


def test_breached_time_left_is_negative_and_withdrawn_items_stop_without_an_outcome(
    group_policy, make_item, hospital_a
):
    item = make_item()
    start(item, hospital_a)
    assert time_left(item, ClockKind.ACKNOWLEDGE, now=riyadh(2026, 11, 30, 9)) == -2 * H
    assert stop_clocks(item, at=riyadh(2026, 11, 30, 9)) == 2
    assert clock(item).state == ClockState.CANCELLED and time_left(item, now=riyadh(2026, 11, 30, 10)) is None


def test_calendar_time_targets_count_every_hour(make_item, hospital_a):
    SLAPolicy.objects.create(
        name_en="Complex",
        name_ar="معقدة",
        kind=TEST_KIND.code,
        resolve_target=21,
        resolve_unit=TargetUnit.CALENDAR_DAYS,
    )
    item = make_item()
    clocks = start(item, hospital_a)
    assert [c.clock for c in clocks] == [ClockKind.RESOLVE]
    assert clock(item).due_at == THURSDAY_15 + timedelta(days=21)


def test_a_hospital_calendar_applies_to_its_items(group_policy, make_item, hospital_a, hospital_b):
    calendar_create(name_ar="تقويم ب", name_en="Calendar B", hospital=hospital_b).windows.filter(weekday=6).delete()
    item = make_item(hospital_b)
    start(item, hospital_b)
    # Hospital B does not work on Sundays: acknowledge by Monday 15:00.
    assert clock(item, ClockKind.ACKNOWLEDGE).due_at == riyadh(2026, 11, 30, 15)


def test_attainment_per_hospital(group_policy, make_item, hospital_a, superuser):
    for at in (riyadh(2026, 11, 29, 10), riyadh(2026, 11, 30, 10)):
        item = make_item()
        start(item, hospital_a)
        record_status(item, "acknowledged", at=at, now=at)
    rows = [row for row in attainment(superuser) if row["clock"] == ClockKind.ACKNOWLEDGE]
    assert rows == [
        {"hospital_id": hospital_a.pk, "clock": "acknowledge", "met": 1, "missed": 1, "open_breached": 0, "rate": 0.5}
    ]


def test_a_hospital_that_gets_its_own_calendar_moves_its_open_clocks_onto_it(group_policy, make_item, hospital_a):
    from px360.sla.services import follow_hospital_calendar

    item = make_item()
    start(item, hospital_a)
    own = calendar_create(name_ar="تقويم أ", name_en="Calendar A", hospital=hospital_a)
    own.windows.filter(weekday=0).delete()  # no work on Mondays
    assert follow_hospital_calendar(hospital_a, now=riyadh(2026, 11, 29, 12)) == 2
    resolve = clock(item)
    assert resolve.calendar == own and resolve.base_used == 5 * H
    # 35 hours left from Sunday 12:00 without Mondays: Sun 4, Tue 8, Wed 8, Thu 8, Sun 7 → Sunday 6 December 15:00.
    assert resolve.due_at == riyadh(2026, 12, 6, 15)
    own.is_active = False
    own.save()
    assert follow_hospital_calendar(hospital_a, now=riyadh(2026, 11, 29, 13)) == 2
    assert clock(item).calendar.hospital_id is None
