"""Escalation steps that hand an item to someone else, through the hook of the app that owns the item.

The items here are tickets of a test desk: the desk registers its kind with a
``reassign`` hook, keeps who each ticket is assigned to, and may refuse a
ticket (already closed, say) or fail outright.
"""

import logging

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from px360.accounts.roles import RoleCode
from px360.notifications.models import StaffNotice
from px360.organizations.models import Department
from px360.sla import escalation, registry
from px360.sla.choices import ClockKind, ReassignTarget, Recipient, StepAction, StepTrigger, TargetUnit
from px360.sla.escalation import sla_sweep
from px360.sla.models import EscalationStep, SLAPolicy, StepFiring
from px360.sla.registry import ItemKind, Reassignment
from px360.sla.selectors import clocks_of
from px360.sla.services import start_clocks

from .conftest import TEST_KIND, riyadh

pytestmark = pytest.mark.django_db

TICKET = "sla_test_ticket"
THURSDAY_15 = riyadh(2026, 11, 26, 15)
BREACH = riyadh(2026, 12, 3, 15)  # five business days later


class Desk:
    """The app that owns the tickets: takes reassignments set-based, refuses some, or fails."""

    def __init__(self):
        self.calls = []
        self.assigned = {}
        self.refuse = set()
        self.fail = False

    def reassign(self, item_type, reassignments):
        self.calls.append((item_type, list(reassignments)))
        if self.fail:
            raise RuntimeError("the desk is closed")
        taken = [r for r in reassignments if r.item_id not in self.refuse]
        self.assigned.update({r.item_id: r.user_id for r in taken})
        return [r.item_id for r in taken]


@pytest.fixture
def desk():
    desk = Desk()
    registry.register(ItemKind(code=TICKET, label="Ticket", statuses=TEST_KIND.statuses, reassign=desk.reassign))
    yield desk
    registry.unregister(TICKET)


@pytest.fixture
def people(make_user, hospital_a, hospital_b, department_a):
    return {
        "assignee": make_user(RoleCode.STAFF, hospital=hospital_a, department=department_a, username="assignee"),
        "head": make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=department_a, username="head"),
        "deputy": make_user(
            RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=department_a, username="deputy"
        ),
        "coordinator": make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord"),
        "coordinator_b": make_user(RoleCode.PX_COORDINATOR, hospital=hospital_b, username="coord_b"),
        "px_admin": make_user(RoleCode.PX_ADMIN, username="pxadmin"),
        "stranger": make_user(RoleCode.STAFF, hospital=hospital_b, username="stranger"),
    }


def ticket_policy(hospital=None, **step) -> tuple[SLAPolicy, EscalationStep]:
    """Resolve in five business days; at breach, tell the PX coordinators and reassign as ``step`` says."""
    policy = SLAPolicy.objects.create(
        name_en="Tickets",
        name_ar="تذاكر",
        kind=TICKET,
        hospital=hospital,
        acknowledge_target=1,
        acknowledge_unit=TargetUnit.BUSINESS_DAYS,
        resolve_target=5,
        resolve_unit=TargetUnit.BUSINESS_DAYS,
    )
    step = EscalationStep.objects.create(
        policy=policy,
        trigger=StepTrigger.BREACH,
        audience=Recipient.PX_COORDINATORS,
        action=StepAction.NOTIFY_AND_REASSIGN,
        **step,
    )
    return policy, step


def open_ticket(make_item, hospital, department, assignee):
    item = make_item()
    start_clocks(
        item,
        kind=TICKET,
        received_at=THURSDAY_15,
        status="new",
        hospital=hospital,
        department=department,
        assignee=assignee,
        reference=f"TCK-{item.code}",
        now=THURSDAY_15,
    )
    return item


def sweep(now, capture):
    with capture(execute=True):
        return sla_sweep(now=now)


def assignees(item) -> set:
    return set(clocks_of(item).values_list("assignee", flat=True))


def told() -> set:
    return set(StaffNotice.objects.values_list("kind", "user__username"))


def test_at_breach_the_ticket_goes_to_the_department_manager_once_and_later_steps_follow_it(
    desk, people, make_item, hospital_a, department_a, django_capture_on_commit_callbacks
):
    department_a.manager = people["head"]
    department_a.save()
    policy, step = ticket_policy(reassign_to=ReassignTarget.DEPARTMENT_MANAGER)
    reminder = EscalationStep.objects.create(
        policy=policy, trigger=StepTrigger.AFTER_BREACH, days_after=1, audience=Recipient.ASSIGNEE
    )
    item = open_ticket(make_item, hospital_a, department_a, people["assignee"])

    assert sweep(riyadh(2026, 12, 3, 14, 59), django_capture_on_commit_callbacks)["fired"] == 0
    result = sweep(BREACH, django_capture_on_commit_callbacks)
    assert (result["fired"], result["reassigned"]) == (1, 1)
    # One call for the kind, with everything the desk needs for the ticket's history.
    assert desk.calls == [
        (
            ContentType.objects.get_for_model(Department),
            [
                Reassignment(
                    item_id=str(item.pk),
                    user_id=people["head"].pk,
                    previous_user_id=people["assignee"].pk,
                    reference=f"TCK-{item.code}",
                    clock=ClockKind.RESOLVE,
                    step_id=step.pk,
                )
            ],
        )
    ]
    assert desk.assigned == {str(item.pk): people["head"].pk}
    assert assignees(item) == {people["head"].pk}  # both clocks follow the ticket
    # The coordinators are told of the breach; the manager that the ticket is now theirs.
    assert told() == {("sla.breach", "coord"), ("sla.reassigned", "head")}
    reassigned = StaffNotice.objects.get(kind="sla.reassigned")
    assert reassigned.params == {"reference": f"TCK-{item.code}", "due": "2026-12-03 15:00"}
    assert reassigned.link.endswith(f"/organizations/department/{item.pk}/change/")

    assert sweep(BREACH, django_capture_on_commit_callbacks)["fired"] == 0
    assert len(desk.calls) == 1
    # The next step to the assignee reaches the new one.
    assert sweep(riyadh(2026, 12, 6, 15), django_capture_on_commit_callbacks)["fired"] == 1
    assert StaffNotice.objects.get(kind="sla.escalation").user == people["head"]
    assert StepFiring.objects.filter(step=reminder).count() == 1


@pytest.mark.parametrize(
    ("reassign_to", "chosen", "expected"),
    [
        (ReassignTarget.DEPARTMENT_MANAGER, None, "deputy"),  # no named manager: a Department Manager by role
        (ReassignTarget.PX_COORDINATOR, None, "coordinator"),  # the ticket's hospital's, not another's
        (ReassignTarget.USER, "px_admin", "px_admin"),
    ],
)
def test_each_kind_of_target_is_found_in_the_tickets_hospital(
    reassign_to,
    chosen,
    expected,
    desk,
    people,
    make_user,
    make_item,
    hospital_a,
    department_a,
    django_capture_on_commit_callbacks,
):
    people["head"].roles.clear()  # only the deputy manages the department now
    ticket_policy(reassign_to=reassign_to, reassign_user=people[chosen] if chosen else None)
    item = open_ticket(make_item, hospital_a, department_a, people["assignee"])
    assert sweep(BREACH, django_capture_on_commit_callbacks)["reassigned"] == 1
    assert assignees(item) == {people[expected].pk}
    assert ("sla.reassigned", people[expected].username) in told()


def test_a_step_names_only_an_active_user_of_its_policys_hospital_and_only_for_a_kind_that_can_be_reassigned(
    desk, people, hospital_a, group_policy
):
    hospital_policy, _step = ticket_policy(hospital=hospital_a, reassign_to=ReassignTarget.DEPARTMENT_MANAGER)
    group_tickets, _step = ticket_policy(reassign_to=ReassignTarget.DEPARTMENT_MANAGER)

    def problems(policy, **fields):
        step = EscalationStep(policy=policy, trigger=StepTrigger.BREACH, audience=Recipient.ASSIGNEE, **fields)
        try:
            step.full_clean()
        except ValidationError as error:
            return error.message_dict
        return {}

    reassign = {"action": StepAction.NOTIFY_AND_REASSIGN}
    assert "reassign_user" in problems(
        hospital_policy, **reassign, reassign_to=ReassignTarget.USER, reassign_user=people["stranger"]
    )
    assert "reassign_user" in problems(
        group_tickets, **reassign, reassign_to=ReassignTarget.USER, reassign_user=people["coordinator"]
    )
    assert "reassign_user" in problems(hospital_policy, **reassign, reassign_to=ReassignTarget.USER)
    assert "reassign_to" in problems(hospital_policy, **reassign)
    people["head"].is_active = False
    people["head"].save()
    assert "reassign_user" in problems(
        hospital_policy, **reassign, reassign_to=ReassignTarget.USER, reassign_user=people["head"]
    )
    # Items of a kind without a hook cannot be reassigned at all.
    assert "action" in problems(group_policy, **reassign, reassign_to=ReassignTarget.PX_COORDINATOR)
    # Allowed: the hospital's own user, a group-wide user, the department's manager.
    assert not problems(hospital_policy, **reassign, reassign_to=ReassignTarget.USER, reassign_user=people["deputy"])
    assert not problems(group_tickets, **reassign, reassign_to=ReassignTarget.USER, reassign_user=people["px_admin"])
    assert not problems(hospital_policy, **reassign, reassign_to=ReassignTarget.DEPARTMENT_MANAGER)
    # A step that only notifies keeps no reassignment.
    step = EscalationStep(
        policy=hospital_policy,
        trigger=StepTrigger.BREACH,
        audience=Recipient.ASSIGNEE,
        reassign_to=ReassignTarget.USER,
        reassign_user=people["deputy"],
    )
    step.full_clean()
    assert (step.reassign_to, step.reassign_user) == ("", None)


def test_the_sweep_never_hands_a_ticket_to_another_hospital(
    desk, people, make_item, hospital_a, department_a, django_capture_on_commit_callbacks
):
    # Saved past the form's checks (the user moved hospital since, say): the sweep still refuses.
    ticket_policy(reassign_to=ReassignTarget.USER, reassign_user=people["stranger"])
    item = open_ticket(make_item, hospital_a, department_a, people["assignee"])
    result = sweep(BREACH, django_capture_on_commit_callbacks)
    assert (result["fired"], result["reassigned"]) == (1, 0)
    assert desk.calls == []
    assert assignees(item) == {people["assignee"].pk}
    assert told() == {("sla.breach", "coord")}  # the breach is still told


def test_a_ticket_the_desk_refuses_or_a_desk_that_fails_keeps_its_assignee_and_the_notices_still_go_out(
    desk, people, make_item, hospital_a, department_a, django_capture_on_commit_callbacks, caplog
):
    ticket_policy(reassign_to=ReassignTarget.PX_COORDINATOR)
    refused = open_ticket(make_item, hospital_a, department_a, people["assignee"])
    taken = open_ticket(make_item, hospital_a, department_a, people["assignee"])
    desk.refuse = {str(refused.pk)}
    result = sweep(BREACH, django_capture_on_commit_callbacks)
    assert (result["fired"], result["reassigned"]) == (2, 1)
    assert len(desk.calls) == 1 and len(desk.calls[0][1]) == 2  # one call with both tickets
    assert assignees(refused) == {people["assignee"].pk}
    assert assignees(taken) == {people["coordinator"].pk}
    assert StaffNotice.objects.filter(kind="sla.reassigned").count() == 1

    failing = open_ticket(make_item, hospital_a, department_a, people["assignee"])
    desk.fail = True
    caplog.set_level(logging.ERROR, logger="px360.sla")
    result = sweep(BREACH, django_capture_on_commit_callbacks)
    assert (result["fired"], result["reassigned"]) == (1, 0)
    assert assignees(failing) == {people["assignee"].pk}
    assert "reassignment of 1 items of kind sla_test_ticket failed" in caplog.text
    # The coordinator (the breach step's audience) was told once of each ticket: two breaches, one handed over.
    assert StaffNotice.objects.filter(kind="sla.breach", user=people["coordinator"]).count() == 2
    assert StaffNotice.objects.filter(user=people["coordinator"]).count() == 3
    assert sweep(BREACH, django_capture_on_commit_callbacks)["fired"] == 0  # fired once, not retried


def test_a_ticket_already_with_its_target_is_left_alone(
    desk, people, make_item, hospital_a, department_a, django_capture_on_commit_callbacks
):
    ticket_policy(reassign_to=ReassignTarget.PX_COORDINATOR)
    open_ticket(make_item, hospital_a, department_a, people["coordinator"])
    result = sweep(BREACH, django_capture_on_commit_callbacks)
    assert (result["fired"], result["reassigned"]) == (1, 0)
    assert desk.calls == []
    assert told() == {("sla.breach", "coord")}


def test_two_sweeps_at_once_reassign_once(
    desk, people, make_item, hospital_a, department_a, django_capture_on_commit_callbacks, monkeypatch
):
    ticket_policy(reassign_to=ReassignTarget.PX_COORDINATOR)
    open_ticket(make_item, hospital_a, department_a, people["assignee"])
    stale = escalation._due_clocks(BREACH, 100)
    assert sweep(BREACH, django_capture_on_commit_callbacks)["reassigned"] == 1
    monkeypatch.setattr(escalation, "_due_clocks", lambda *_args: stale)
    assert sweep(BREACH, django_capture_on_commit_callbacks) == {"due": 1, "fired": 0, "notified": 0, "reassigned": 0}
    assert len(desk.calls) == 1
    assert StaffNotice.objects.filter(kind="sla.reassigned").count() == 1


def _sweep_queries(count, make_item, hospital_a, department_a, assignee, now, capture) -> int:
    for _ in range(count):
        open_ticket(make_item, hospital_a, department_a, assignee)
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        result = sla_sweep(now=now)
    assert (result["fired"], result["reassigned"]) == (count, count)
    return len(queries)


def test_reassigning_and_telling_costs_the_same_queries_for_three_tickets_or_thirty(
    desk, people, make_item, hospital_a, department_a, django_capture_on_commit_callbacks
):
    department_a.manager = people["head"]
    department_a.save()
    ticket_policy(reassign_to=ReassignTarget.DEPARTMENT_MANAGER)
    small = _sweep_queries(
        3, make_item, hospital_a, department_a, people["assignee"], BREACH, django_capture_on_commit_callbacks
    )
    large = _sweep_queries(
        30,
        make_item,
        hospital_a,
        department_a,
        people["assignee"],
        riyadh(2026, 12, 3, 15, 1),
        django_capture_on_commit_callbacks,
    )
    assert small == large
    assert len(desk.calls) == 2
    assert StaffNotice.objects.filter(kind="sla.reassigned", user=people["head"]).count() == 33
