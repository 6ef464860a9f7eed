"""The SLA admin as hospital users see it: their calendars and policies, the group's read-only, nobody else's."""

from datetime import date, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from px360.accounts.models import Role
from px360.accounts.roles import RoleCode
from px360.sla.choices import ClockKind, Recipient, StepTrigger
from px360.sla.models import BusinessCalendar, CalendarException, EscalationStep, SLAClock, SLAPolicy
from px360.sla.services import calendar_create, record_status, seed_saudi_holidays, start_clocks

from .conftest import TEST_KIND, riyadh

pytestmark = pytest.mark.django_db

# The SLA rows of the roles' permission table (px360/accounts/roles.py), as the roles get them.
SLA_PERMISSIONS = {
    RoleCode.PX_ADMIN: {
        "businesscalendar": "vacd",
        "workingwindow": "vacd",
        "calendarexception": "vacd",
        "exceptionwindow": "vacd",
        "slapolicy": "vacd",
        "escalationstep": "vacd",
        "slaclock": "v",
    },
    RoleCode.HOSPITAL_ADMIN: {
        "businesscalendar": "vac",
        "workingwindow": "vacd",
        "calendarexception": "vacd",
        "exceptionwindow": "vacd",
        "slapolicy": "vac",
        "escalationstep": "vacd",
        "slaclock": "v",
    },
    RoleCode.PX_COORDINATOR: {
        "businesscalendar": "v",
        "workingwindow": "v",
        "calendarexception": "v",
        "exceptionwindow": "v",
        "slapolicy": "v",
        "escalationstep": "v",
        "slaclock": "v",
    },
}
ACTIONS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


@pytest.fixture
def sla_roles(roles):
    for code, rows in SLA_PERMISSIONS.items():
        group = Role.objects.get(code=code).group
        for model, letters in rows.items():
            for letter in letters:
                group.permissions.add(
                    Permission.objects.get(content_type__app_label="sla", codename=f"{ACTIONS[letter]}_{model}")
                )
    return roles


@pytest.fixture
def world(sla_roles, make_user, hospital_a, hospital_b, group_policy):
    calendar_a = calendar_create(name_ar="تقويم أ", name_en="Calendar A", hospital=hospital_a)
    calendar_b = calendar_create(name_ar="تقويم ب", name_en="Calendar B qqsecret", hospital=hospital_b)
    policy_b = SLAPolicy.objects.create(
        name_en="Policy B qqsecret", name_ar="سياسة ب", kind=TEST_KIND.code, hospital=hospital_b, resolve_target=3
    )
    return {
        "admin_a": make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="admin_a"),
        "admin_b": make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_b, username="admin_b"),
        "coordinator_a": make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a"),
        "calendar_a": calendar_a,
        "calendar_b": calendar_b,
        "policy_b": policy_b,
        "group_calendar": BusinessCalendar.objects.get(hospital__isnull=True),
    }


def url(model, view="changelist", *args, language="en"):
    name = model._meta.model_name
    suffix = {"changelist": "", "add": "add/", "change": "{}/change/", "history": "{}/history/"}[view]
    return f"/{language}/admin/sla/{name}/" + suffix.format(*args)


def test_another_hospitals_calendar_and_policy_are_404_and_never_listed(client, world):
    client.force_login(world["admin_a"])
    for obj in (world["calendar_b"], world["policy_b"]):
        for view in ("change", "history"):
            assert client.get(url(type(obj), view, obj.pk)).status_code == 404
        listing = client.get(url(type(obj)))
        assert listing.status_code == 200
        assert "qqsecret" not in listing.content.decode().lower()
    exception_b = world["calendar_b"].exceptions.create(
        name_en="qqsecret day", name_ar="يوم", first_day=date(2026, 12, 1), last_day=date(2026, 12, 1)
    )
    assert client.get(url(CalendarException, "change", exception_b.pk)).status_code == 404
    assert "qqsecret" not in client.get(url(CalendarException)).content.decode().lower()
    # Their own hospital's and the group's are listed.
    listing = client.get(url(BusinessCalendar)).content.decode()
    assert "Calendar A" in listing and "Group calendar" in listing


def test_the_group_calendar_is_read_only_for_a_hospital_admin_and_only_a_px_admin_makes_one(client, world, superuser):
    client.force_login(world["admin_a"])
    group = world["group_calendar"]
    page = client.get(url(BusinessCalendar, "change", group.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    posted = client.post(url(BusinessCalendar, "change", group.pk), {"name_en": "Mine now", "name_ar": "لي"})
    assert posted.status_code == 403
    added = client.post(
        url(BusinessCalendar, "add"),
        {
            "name_ar": "تقويم",
            "name_en": "Another group calendar",
            "timezone": "Asia/Riyadh",
            "day_hours": "8",
            "is_active": "on",
            "windows-TOTAL_FORMS": "0",
            "windows-INITIAL_FORMS": "0",
            "exceptions-TOTAL_FORMS": "0",
            "exceptions-INITIAL_FORMS": "0",
        },
    )
    assert added.status_code == 200
    assert "only a PX Admin manages the group" in added.content.decode()
    assert not BusinessCalendar.objects.filter(name_en="Another group calendar").exists()


def test_overlapping_windows_of_one_day_are_refused(client, world):
    client.force_login(world["admin_a"])
    calendar = world["calendar_a"]
    data = {
        "hospital": str(calendar.hospital_id),
        "name_ar": calendar.name_ar,
        "name_en": calendar.name_en,
        "timezone": "Asia/Riyadh",
        "day_hours": "8",
        "is_active": "on",
        "windows-TOTAL_FORMS": "2",
        "windows-INITIAL_FORMS": "0",
        "windows-0-weekday": "6",
        "windows-0-start_time": "08:00",
        "windows-0-end_time": "12:00",
        "windows-1-weekday": "6",
        "windows-1-start_time": "11:00",
        "windows-1-end_time": "14:00",
        "exceptions-TOTAL_FORMS": "0",
        "exceptions-INITIAL_FORMS": "0",
    }
    response = client.post(url(BusinessCalendar, "change", calendar.pk), data)
    assert response.status_code == 200
    assert "Two windows of the same day overlap." in response.content.decode()


def test_a_holiday_added_in_the_admin_moves_the_deadlines_of_open_items(client, world, hospital_a, make_item):
    item = make_item()
    start_clocks(item, kind=TEST_KIND.code, received_at=riyadh(2026, 11, 26, 15), status="new", hospital=hospital_a)
    clock = SLAClock.objects.get(item_id=str(item.pk), clock=ClockKind.ACKNOWLEDGE)
    assert clock.due_at == riyadh(2026, 11, 29, 15)
    client.force_login(world["admin_a"])
    response = client.post(
        url(CalendarException, "add"),
        {
            "calendar": str(world["calendar_a"].pk),
            "name_ar": "إجازة",
            "name_en": "Holiday",
            "kind": "closed",
            "first_day": "2026-11-29",
            "last_day": "2026-11-29",
            "windows-TOTAL_FORMS": "0",
            "windows-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    clock.refresh_from_db()
    assert clock.due_at == riyadh(2026, 11, 30, 15)


def test_estimated_holidays_are_confirmed_by_an_admin_action(client, world):
    seed_saudi_holidays(world["calendar_a"], 2027)
    client.force_login(world["admin_a"])
    listing = client.get(url(CalendarException), {"estimated": "yes"}).content.decode()
    assert "Eid al-Fitr Holiday" in listing and "Shawwal" in listing  # the Hijri date beside the Gregorian one
    estimated = list(CalendarException.objects.filter(calendar=world["calendar_a"], is_estimated=True))
    response = client.post(
        url(CalendarException),
        {"action": "confirm_selected", "_selected_action": [str(row.pk) for row in estimated]},
    )
    assert response.status_code == 302
    assert not CalendarException.objects.filter(calendar=world["calendar_a"], is_estimated=True).exists()
    assert CalendarException.objects.filter(confirmed_by=world["admin_a"]).count() == len(estimated)


def test_the_seed_action_adds_next_years_holidays_to_the_hospitals_calendar(client, world):
    client.force_login(world["admin_a"])
    response = client.post(
        url(BusinessCalendar), {"action": "seed_next_year", "_selected_action": [str(world["calendar_a"].pk)]}
    )
    assert response.status_code == 302
    year = date.today().year + 1
    seeded = CalendarException.objects.filter(calendar=world["calendar_a"], first_day__year=year)
    assert seeded.filter(name_en="National Day Holiday", is_estimated=True).exists()


def test_the_policy_page_previews_its_deadlines(client, world, superuser, group_policy):
    EscalationStep.objects.create(
        policy=group_policy, trigger=StepTrigger.PERCENT, percent=50, audience=Recipient.ASSIGNEE
    )
    client.force_login(superuser)
    page = client.get(url(SLAPolicy, "change", group_policy.pk), {"received": "2026-11-26T15:00"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Thu 26 Nov 2026 15:00" in html  # received
    assert "Sun 29 Nov 2026 15:00" in html  # acknowledge by: one business day
    assert "Thu 3 Dec 2026 15:00" in html  # resolve by: five business days
    assert "Tue 1 Dec 2026 11:00" in html  # the 50 % reminder
    assert "Received the coming Thursday at 15:00" in html
    arabic = client.get(url(SLAPolicy, "change", group_policy.pk, language="ar"), {"received": "2026-11-26T15:00"})
    assert 'dir="rtl"' in arabic.content.decode() and "جمادى" in arabic.content.decode()


def test_a_policy_change_in_the_admin_keeps_the_time_used(
    client, world, superuser, group_policy, hospital_a, make_item
):
    item = make_item()
    received = timezone.now() - timedelta(days=30)
    start_clocks(item, kind=TEST_KIND.code, received_at=received, status="new", hospital=hospital_a)
    record_status(item, "waiting", at=received + timedelta(days=1))
    before = SLAClock.objects.get(item_id=str(item.pk), clock=ClockKind.RESOLVE)
    client.force_login(superuser)
    data = {
        "name_ar": group_policy.name_ar,
        "name_en": group_policy.name_en,
        "kind": TEST_KIND.code,
        "severity": "",
        "is_active": "on",
        "acknowledge_target": "1",
        "acknowledge_unit": "business_days",
        "resolve_target": "10",
        "resolve_unit": "business_days",
        "pause_statuses": ["waiting"],
        "reopen_mode": "continue",
        "at_risk_percent": "75",
        "steps-TOTAL_FORMS": "0",
        "steps-INITIAL_FORMS": "0",
    }
    response = client.post(url(SLAPolicy, "change", group_policy.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    after = SLAClock.objects.get(pk=before.pk)
    assert after.target == timedelta(hours=80) and after.used == before.used and after.state == "paused"


def test_clock_list_filters_due_today_at_risk_and_breached(client, world, hospital_a, make_item):
    now = timezone.now()
    received = {"breached": now - timedelta(days=20), "fresh": now}
    items = {}
    for name, at in received.items():
        items[name] = make_item()
        start_clocks(items[name], kind=TEST_KIND.code, received_at=at, status="new", hospital=hospital_a)
    client.force_login(world["coordinator_a"])
    breached = client.get(url(SLAClock), {"due": "breached"})
    assert breached.status_code == 200
    assert {c.item_id for c in breached.context["cl"].result_list} == {str(items["breached"].pk)}
    assert "bg-red-100" in breached.content.decode()  # time left in red
    own = SLAClock.objects.get(item_id=str(items["breached"].pk), clock=ClockKind.RESOLVE)
    assert client.get(url(SLAClock, "change", own.pk)).status_code == 200
    assert client.get(url(SLAClock, "history", own.pk)).status_code == 200
    assert '<bdi dir="ltr">−' in breached.content.decode()  # negative, left to right
    for value in ("today", "at_risk"):
        assert client.get(url(SLAClock), {"due": value}).status_code == 200
    at_risk = client.get(url(SLAClock), {"due": "at_risk"}).context["cl"].result_list
    assert str(items["fresh"].pk) not in {c.item_id for c in at_risk}
    # Another hospital's coordinator sees none of them.
    SLAClock.objects.filter(item_id=str(items["fresh"].pk)).update(hospital=world["calendar_b"].hospital)
    other = client.get(url(SLAClock)).context["cl"].result_list
    assert str(items["fresh"].pk) not in {c.item_id for c in other}
    clock = SLAClock.objects.get(item_id=str(items["fresh"].pk), clock=ClockKind.RESOLVE)
    assert client.get(url(SLAClock, "change", clock.pk)).status_code == 404


def test_arabic_calendar_page_renders_right_to_left(client, world):
    client.force_login(world["admin_a"])
    page = client.get(url(BusinessCalendar, "change", world["calendar_a"].pk, language="ar"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'dir="rtl"' in html and "الأحد" in html
    assert time(8).strftime("%H:%M") in html


@pytest.fixture
def reassignable_kind():
    """A kind whose app takes reassignments (the hook itself is not reached from the admin)."""
    from px360.sla import registry
    from px360.sla.registry import ItemKind

    kind = registry.register(
        ItemKind(code="sla_test_desk", label="Desk ticket", statuses=TEST_KIND.statuses, reassign=lambda *_args: None)
    )
    yield kind
    registry.unregister(kind.code)


def _policy_form(policy, **changes):
    data = {
        "hospital": str(policy.hospital_id),
        "name_ar": policy.name_ar,
        "name_en": policy.name_en,
        "kind": policy.kind,
        "severity": "",
        "is_active": "on",
        "resolve_target": "5",
        "resolve_unit": "business_days",
        "acknowledge_unit": "business_days",
        "reopen_mode": "continue",
        "at_risk_percent": "75",
        "steps-TOTAL_FORMS": "0",
        "steps-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def _reassigning_step(**fields):
    step = {
        "steps-TOTAL_FORMS": "1",
        "steps-0-clock": "resolve",
        "steps-0-trigger": "breach",
        "steps-0-audience": "px_coordinators",
        "steps-0-action": "notify_reassign",
        "steps-0-reassign_to": "user",
    }
    step.update({f"steps-0-{name}": value for name, value in fields.items()})
    return step


def test_a_hospital_admin_makes_a_step_reassign_to_one_of_their_own_users_only(
    client, world, hospital_a, make_user, reassignable_kind
):
    policy = SLAPolicy.objects.create(
        name_en="Desk", name_ar="مكتب", kind=reassignable_kind.code, hospital=hospital_a, resolve_target=5
    )
    stranger = make_user(RoleCode.STAFF, hospital=world["calendar_b"].hospital, username="qqstranger")
    colleague = make_user(RoleCode.STAFF, hospital=hospital_a, username="colleague")
    client.force_login(world["admin_a"])
    page = client.get(url(SLAPolicy, "change", policy.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="steps-__prefix__-reassign_user"' in html and 'name="notify_outside_working_hours"' in html

    # The chosen user is picked among the admin's own hospital's users.
    def offered(term):
        found = client.get(
            "/en/admin/autocomplete/",
            {"app_label": "sla", "model_name": "escalationstep", "field_name": "reassign_user", "term": term},
        )
        assert found.status_code == 200
        return [row["text"] for row in found.json()["results"]]

    assert offered("coll") == ["colleague"]
    assert offered("qq") == []

    refused = client.post(url(SLAPolicy, "change", policy.pk), _policy_form(policy, **_reassigning_step()))
    assert refused.status_code == 200
    assert "Choose the user the item is reassigned to." in refused.content.decode()
    refused = client.post(
        url(SLAPolicy, "change", policy.pk), _policy_form(policy, **_reassigning_step(reassign_user=str(stranger.pk)))
    )
    assert refused.status_code == 200 and not policy.steps.exists()

    saved = client.post(
        url(SLAPolicy, "change", policy.pk),
        _policy_form(policy, notify_outside_working_hours="on", **_reassigning_step(reassign_user=str(colleague.pk))),
    )
    assert saved.status_code == 302, saved.content.decode()[:3000]
    step = policy.steps.get()
    assert (step.action, step.reassign_to, step.reassign_user) == ("notify_reassign", "user", colleague)
    policy.refresh_from_db()
    assert policy.notify_outside_working_hours
    # The preview names the step's new assignee.
    assert "reassign to colleague" in client.get(url(SLAPolicy, "change", policy.pk)).content.decode()
