"""Escalation steps: each fires once, never at night, from a sweep whose cost does not grow with open items."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from px360.accounts.roles import RoleCode
from px360.notifications.models import StaffNotice
from px360.sla import escalation
from px360.sla.choices import ClockKind, Recipient, StepTrigger, TargetUnit
from px360.sla.escalation import sla_sweep
from px360.sla.models import EscalationStep, SLAPolicy, StepFiring
from px360.sla.selectors import clocks_of
from px360.sla.services import record_status, start_clocks

from .conftest import TEST_KIND, riyadh

pytestmark = pytest.mark.django_db

THURSDAY_15 = riyadh(2026, 11, 26, 15)


@pytest.fixture
def people(make_user, hospital_a, department_a):
    return {
        "assignee": make_user(RoleCode.STAFF, hospital=hospital_a, username="assignee", email="a@example.org"),
        "manager": make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=department_a, username="mgr"),
        "coordinator": make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord"),
        "px_admin": make_user(RoleCode.PX_ADMIN, username="pxadmin"),
    }


@pytest.fixture
def ladder(group_policy):
    """Remind the assignee at 50 %, the department manager at 80 %, the PX lead at breach, the group 2 days later."""
    steps = {}
    for name, trigger, percent, days, recipient in (
        ("half", StepTrigger.PERCENT, 50, None, Recipient.ASSIGNEE),
        ("eighty", StepTrigger.PERCENT, 80, None, Recipient.DEPARTMENT_MANAGER),
        ("breach", StepTrigger.BREACH, None, None, Recipient.PX_COORDINATORS),
        ("after", StepTrigger.AFTER_BREACH, None, 2, Recipient.GROUP_PX_ADMINS),
    ):
        steps[name] = EscalationStep.objects.create(
            policy=group_policy, trigger=trigger, percent=percent, days_after=days, audience=recipient
        )
    return steps


def open_item(make_item, hospital, department, assignee, received_at=THURSDAY_15):
    item = make_item()
    start_clocks(
        item,
        kind=TEST_KIND.code,
        received_at=received_at,
        status="new",
        hospital=hospital,
        department=department,
        assignee=assignee,
        reference=f"CMP-2026-{item.code}",
        now=received_at,
    )
    return item


def resolve_clock(item):
    return clocks_of(item).get(clock=ClockKind.RESOLVE)


def sweep(now, capture):
    with capture(execute=True):
        return sla_sweep(now=now)


def test_each_step_is_due_at_its_share_of_business_time(ladder, people, make_item, hospital_a, department_a):
    item = open_item(make_item, hospital_a, department_a, people["assignee"])
    pending = resolve_clock(item).pending_steps
    assert [entry["step"] for entry in pending] == [
        str(ladder[name].pk) for name in ("half", "eighty", "breach", "after")
    ]
    assert [datetime.fromisoformat(entry["at"]) for entry in pending] == [
        riyadh(2026, 12, 1, 11),  # 20 of 40 working hours
        riyadh(2026, 12, 2, 15),  # 32 of 40
        riyadh(2026, 12, 3, 15),  # breach
        riyadh(2026, 12, 7, 15),  # 2 business days after breach
    ]
    assert resolve_clock(item).next_step_at == riyadh(2026, 12, 1, 11)


def test_the_sweep_fires_each_step_once_to_the_right_people(
    ladder, people, make_item, hospital_a, department_a, django_capture_on_commit_callbacks
):
    item = open_item(make_item, hospital_a, department_a, people["assignee"])
    assert sweep(riyadh(2026, 12, 1, 10), django_capture_on_commit_callbacks)["fired"] == 0
    assert sweep(riyadh(2026, 12, 1, 11), django_capture_on_commit_callbacks)["fired"] == 1
    assert sweep(riyadh(2026, 12, 1, 11, 1), django_capture_on_commit_callbacks)["fired"] == 0
    notice = StaffNotice.objects.get(kind="sla.reminder")
    assert notice.user == people["assignee"]
    assert notice.params == {"reference": f"CMP-2026-{item.code}", "due": "2026-12-03 15:00", "percent": 50}
    assert notice.link.endswith(f"/organizations/department/{item.pk}/change/")
    # Everything else at once, a week later: every remaining step fires, once.
    assert sweep(riyadh(2026, 12, 8, 9), django_capture_on_commit_callbacks)["fired"] == 3
    assert sweep(riyadh(2026, 12, 8, 10), django_capture_on_commit_callbacks)["fired"] == 0
    assert set(StaffNotice.objects.values_list("kind", "user__username")) == {
        ("sla.reminder", "assignee"),
        ("sla.reminder", "mgr"),
        ("sla.breach", "coord"),
        ("sla.escalation", "pxadmin"),
    }
    assert StepFiring.objects.count() == 4
    assert resolve_clock(item).next_step_at is None


def test_two_sweeps_at_once_fire_a_step_once(
    ladder, people, make_item, hospital_a, department_a, django_capture_on_commit_callbacks, monkeypatch
):
    open_item(make_item, hospital_a, department_a, people["assignee"])
    now = riyadh(2026, 12, 1, 12)
    # The second sweep read the due clocks before the first one wrote anything.
    stale = escalation._due_clocks(now, 100)
    assert sweep(now, django_capture_on_commit_callbacks)["fired"] == 1
    monkeypatch.setattr(escalation, "_due_clocks", lambda *_args: stale)
    assert sweep(now, django_capture_on_commit_callbacks)["fired"] == 0
    assert StepFiring.objects.count() == 1
    assert StaffNotice.objects.filter(kind="sla.reminder").count() == 1


def test_notices_due_at_night_or_at_the_weekend_wait_for_the_next_working_window(
    people, make_item, hospital_a, department_a, django_capture_on_commit_callbacks
):
    policy = SLAPolicy.objects.create(
        name_en="Day",
        name_ar="يوم",
        kind=TEST_KIND.code,
        resolve_target=24,
        resolve_unit=TargetUnit.CALENDAR_HOURS,
    )
    EscalationStep.objects.create(policy=policy, trigger=StepTrigger.BREACH, audience=Recipient.ASSIGNEE)
    item = open_item(make_item, hospital_a, department_a, people["assignee"])
    clock = resolve_clock(item)
    assert clock.due_at == riyadh(2026, 11, 27, 15)  # Friday: breached on the weekend
    assert clock.next_step_at == riyadh(2026, 11, 29, 8)  # told on Sunday morning
    assert sweep(riyadh(2026, 11, 28, 23), django_capture_on_commit_callbacks)["fired"] == 0
    assert sweep(riyadh(2026, 11, 29, 8), django_capture_on_commit_callbacks)["fired"] == 1


def test_a_paused_or_resolved_clock_does_not_escalate(
    ladder, people, make_item, hospital_a, department_a, django_capture_on_commit_callbacks
):
    waiting = open_item(make_item, hospital_a, department_a, people["assignee"])
    record_status(waiting, "waiting", at=riyadh(2026, 11, 29, 9), now=riyadh(2026, 11, 29, 9))
    assert resolve_clock(waiting).pending_steps == [] and resolve_clock(waiting).next_step_at is None
    resolved = open_item(make_item, hospital_a, department_a, people["assignee"])
    record_status(resolved, "resolved", at=riyadh(2026, 11, 29, 9), now=riyadh(2026, 11, 29, 9))
    assert sweep(riyadh(2026, 12, 20, 9), django_capture_on_commit_callbacks)["fired"] == 0
    # Back from waiting: the steps are due again, later by the working hours of the pause.
    record_status(waiting, "in_progress", at=riyadh(2026, 11, 30, 9), now=riyadh(2026, 11, 30, 9))
    assert resolve_clock(waiting).next_step_at == riyadh(2026, 12, 2, 11)


def _sweep_queries(count, make_item, hospital_a, department_a, assignee, now, capture):
    for _ in range(count):
        open_item(make_item, hospital_a, department_a, assignee)
    # The notices are counted too: they are created when the sweep commits.
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        result = sla_sweep(now=now)
    assert result["fired"] == count
    return len(queries)


def test_a_sweep_costs_the_same_number_of_queries_whatever_the_number_of_due_clocks(
    ladder,
    people,
    make_item,
    hospital_a,
    department_a,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    small = _sweep_queries(3, make_item, hospital_a, department_a, people["assignee"], riyadh(2026, 12, 1, 12), capture)
    large = _sweep_queries(
        40,
        make_item,
        hospital_a,
        department_a,
        people["assignee"],
        riyadh(2026, 12, 1, 12) + timedelta(seconds=1),
        capture,
    )
    assert small == large
    assert StaffNotice.objects.filter(kind="sla.reminder", user=people["assignee"]).count() == 43
    with django_assert_max_num_queries(small), capture(execute=True):
        sla_sweep(now=riyadh(2026, 12, 8, 9))
