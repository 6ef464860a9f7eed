"""Escalations reach staff in working hours: a step due at night, at the weekend or on a holiday waits.

The group calendar works Sunday to Thursday, 08:00–16:00 Riyadh time. The
policies here count in calendar hours (a 24/7 target), so their steps fall
due at any hour; the notices still wait for the calendar's next working
window, unless the policy says to notify outside working hours.
"""

import threading
from datetime import date, time

import pytest
from django.db import connection, connections

from px360.accounts.roles import RoleCode
from px360.notifications.models import StaffNotice
from px360.sla import escalation
from px360.sla.choices import ClockKind, ExceptionKind, Recipient, StepTrigger, TargetUnit
from px360.sla.escalation import sla_sweep
from px360.sla.models import (
    BusinessCalendar,
    CalendarException,
    EscalationStep,
    ExceptionWindow,
    SLAPolicy,
    StepFiring,
)
from px360.sla.selectors import clocks_of
from px360.sla.services import recompute_for_calendar, start_clocks

from .conftest import TEST_KIND, riyadh

pytestmark = pytest.mark.django_db

THURSDAY_15 = riyadh(2026, 11, 26, 15)


@pytest.fixture
def assignee(make_user, hospital_a):
    return make_user(RoleCode.STAFF, hospital=hospital_a, username="assignee", email="a@example.org")


def breach_policy(hours: int, **options) -> SLAPolicy:
    """Resolve within ``hours`` calendar hours; the assignee is told at breach."""
    policy = SLAPolicy.objects.create(
        name_en="Around the clock",
        name_ar="على مدار الساعة",
        kind=TEST_KIND.code,
        resolve_target=hours,
        resolve_unit=TargetUnit.CALENDAR_HOURS,
        **options,
    )
    EscalationStep.objects.create(policy=policy, trigger=StepTrigger.BREACH, audience=Recipient.ASSIGNEE)
    return policy


def open_item(make_item, hospital, assignee, received_at=THURSDAY_15):
    item = make_item()
    start_clocks(
        item,
        kind=TEST_KIND.code,
        received_at=received_at,
        status="new",
        hospital=hospital,
        assignee=assignee,
        reference=f"CMP-2026-{item.code}",
        now=received_at,
    )
    return clocks_of(item).get(clock=ClockKind.RESOLVE)


def fired_at(moments, capture) -> list[int]:
    """How many steps each sweep fired, one sweep at each moment in turn."""
    counts = []
    for moment in moments:
        with capture(execute=True):
            counts.append(sla_sweep(now=moment)["fired"])
    return counts


def test_a_step_due_thursday_at_23h_fires_on_sunday_at_08h(
    make_item, hospital_a, assignee, django_capture_on_commit_callbacks
):
    breach_policy(8)
    clock = open_item(make_item, hospital_a, assignee)
    assert clock.due_at == riyadh(2026, 11, 26, 23)  # breached on Thursday night
    assert clock.next_step_at == riyadh(2026, 11, 29, 8)  # told on Sunday morning
    night_and_weekend = [
        riyadh(2026, 11, 26, 23),
        riyadh(2026, 11, 27, 2),  # 02:00 on a Friday
        riyadh(2026, 11, 28, 12),
        riyadh(2026, 11, 29, 7, 59),
    ]
    assert fired_at(night_and_weekend, django_capture_on_commit_callbacks) == [0, 0, 0, 0]
    assert not StaffNotice.objects.exists()
    assert fired_at([riyadh(2026, 11, 29, 8)], django_capture_on_commit_callbacks) == [1]
    notice = StaffNotice.objects.get()
    assert notice.user == assignee and notice.kind == "sla.breach"
    assert notice.params["due"] == "2026-11-26 23:00"  # the notice still says when it was due


def test_a_step_due_on_a_holiday_waits_until_after_it(
    make_item, hospital_a, assignee, django_capture_on_commit_callbacks
):
    group = BusinessCalendar.objects.get(hospital__isnull=True)
    CalendarException.objects.create(
        calendar=group,
        name_ar="إجازة",
        name_en="Holiday",
        kind=ExceptionKind.CLOSED,
        first_day=date(2026, 11, 29),
        last_day=date(2026, 11, 30),
    )
    breach_policy(24 * 3 + 19)  # Thursday 15:00 + 91 hours: Monday 10:00, inside the holiday
    clock = open_item(make_item, hospital_a, assignee)
    assert clock.due_at == riyadh(2026, 11, 30, 10)
    assert clock.next_step_at == riyadh(2026, 12, 1, 8)  # Tuesday, the first working day after it
    assert fired_at([riyadh(2026, 11, 30, 10), riyadh(2026, 12, 1, 8)], django_capture_on_commit_callbacks) == [0, 1]


def test_ramadan_hours_decide_when_a_waiting_step_fires(make_item, hospital_a, assignee):
    group = BusinessCalendar.objects.get(hospital__isnull=True)
    ramadan = CalendarException.objects.create(
        calendar=group,
        name_ar="رمضان",
        name_en="Ramadan hours",
        kind=ExceptionKind.SPECIAL_HOURS,
        first_day=date(2026, 11, 29),
        last_day=date(2026, 12, 3),
    )
    ExceptionWindow.objects.create(exception=ramadan, start_time=time(10), end_time=time(15))
    breach_policy(8)
    clock = open_item(make_item, hospital_a, assignee)
    assert clock.next_step_at == riyadh(2026, 11, 29, 10)  # Sunday, when Ramadan hours begin


def test_a_step_due_inside_working_hours_fires_at_once(
    make_item, hospital_a, assignee, django_capture_on_commit_callbacks
):
    breach_policy(2)
    clock = open_item(make_item, hospital_a, assignee, received_at=riyadh(2026, 11, 29, 9))
    assert clock.due_at == clock.next_step_at == riyadh(2026, 11, 29, 11)
    moments = [riyadh(2026, 11, 29, 10, 59), riyadh(2026, 11, 29, 11)]
    assert fired_at(moments, django_capture_on_commit_callbacks) == [0, 1]


def test_a_policy_may_notify_outside_working_hours(make_item, hospital_a, assignee, django_capture_on_commit_callbacks):
    breach_policy(8, notify_outside_working_hours=True)
    clock = open_item(make_item, hospital_a, assignee)
    assert clock.next_step_at == riyadh(2026, 11, 26, 23)
    assert fired_at([riyadh(2026, 11, 26, 23)], django_capture_on_commit_callbacks) == [1]


def test_a_holiday_added_while_a_step_waits_makes_it_wait_longer(make_item, hospital_a, assignee):
    breach_policy(8)
    clock = open_item(make_item, hospital_a, assignee)
    assert clock.next_step_at == riyadh(2026, 11, 29, 8)
    group = BusinessCalendar.objects.get(hospital__isnull=True)
    previous = group.schedule()
    CalendarException.objects.create(
        calendar=group,
        name_ar="إجازة",
        name_en="Holiday",
        kind=ExceptionKind.CLOSED,
        first_day=date(2026, 11, 29),
        last_day=date(2026, 11, 29),
    )
    recompute_for_calendar(group, previous=previous, now=riyadh(2026, 11, 27, 10))
    clock.refresh_from_db()
    assert clock.next_step_at == riyadh(2026, 11, 30, 8)


def test_a_calendar_with_no_working_time_does_not_hold_notices_back(make_item, hospital_a, assignee):
    group = BusinessCalendar.objects.get(hospital__isnull=True)
    group.windows.all().delete()
    breach_policy(8)
    clock = open_item(make_item, hospital_a, assignee)
    assert clock.next_step_at == riyadh(2026, 11, 26, 23)


def test_two_sweeps_at_once_fire_a_waiting_step_once(
    make_item, hospital_a, assignee, django_capture_on_commit_callbacks, monkeypatch
):
    breach_policy(8)
    open_item(make_item, hospital_a, assignee)
    sunday = riyadh(2026, 11, 29, 8)
    stale = escalation._due_clocks(sunday, 100)  # the second sweep read the clock before the first wrote
    assert fired_at([sunday], django_capture_on_commit_callbacks) == [1]
    monkeypatch.setattr(escalation, "_due_clocks", lambda *_args: stale)
    assert fired_at([sunday], django_capture_on_commit_callbacks) == [0]
    assert StepFiring.objects.count() == 1
    assert StaffNotice.objects.filter(kind="sla.breach").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite lets one writer in at a time")
def test_two_sweeps_in_two_connections_tell_each_person_once(make_item, hospital_a, assignee):
    breach_policy(8)
    for _ in range(30):
        open_item(make_item, hospital_a, assignee)
    sunday = riyadh(2026, 11, 29, 8)
    both_ready = threading.Barrier(2, timeout=20)
    results = []

    def sweep():
        try:
            both_ready.wait()
            results.append(sla_sweep(now=sunday))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result["fired"] for result in results) == 30
    assert StepFiring.objects.count() == 30
    assert StaffNotice.objects.filter(kind="sla.breach", user=assignee).count() == 30
