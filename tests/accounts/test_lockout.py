"""Sign-in lockout across addresses, and how an administrator lifts it."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.core.models import AuditAction, AuditEvent

from ..factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def login(client, username, password, ip, language="en"):
    return client.post(f"/{language}/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail_from_many_addresses(client, username, count):
    for number in range(count):
        response = login(client, username, "wrong-password", ip=f"10.1.{number // 250}.{number % 250 + 1}")
        assert response.status_code in (200, 429)


@pytest.fixture
def coordinator(make_user, hospital_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_locked")


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.PX360_LOGIN_USERNAME_FAILURE_LIMIT = 6
    return settings


def test_failures_from_many_addresses_lock_the_username_everywhere(client, coordinator, limits):
    fail_from_many_addresses(client, "coord_locked", limits.PX360_LOGIN_USERNAME_FAILURE_LIMIT)
    # Each address failed once, far below the per-address limit, yet a new
    # address with the right password is refused.
    response = login(client, "coord_locked", PASSWORD, ip="192.168.50.50")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "every computer" in response.content.decode()


def test_fewer_failures_across_addresses_than_the_username_limit_do_not_lock(client, coordinator, limits):
    fail_from_many_addresses(client, "coord_locked", limits.PX360_LOGIN_USERNAME_FAILURE_LIMIT - 1)
    assert login(client, "coord_locked", PASSWORD, ip="192.168.50.50").status_code == 302


def test_one_address_is_still_locked_sooner_and_alone(client, coordinator, limits):
    for _ in range(limits.AXES_FAILURE_LIMIT):
        login(client, "coord_locked", "wrong-password", ip="10.9.9.9")
    locked = login(client, "coord_locked", PASSWORD, ip="10.9.9.9")
    assert locked.status_code == 429
    assert "from this computer" in locked.content.decode()
    assert login(client, "coord_locked", PASSWORD, ip="10.9.9.10").status_code == 302


def test_the_lockout_page_speaks_the_pages_language(client, coordinator, limits):
    fail_from_many_addresses(client, "coord_locked", limits.PX360_LOGIN_USERNAME_FAILURE_LIMIT)
    response = login(client, "coord_locked", PASSWORD, ip="192.168.50.50", language="ar")
    assert response.status_code == 429
    page = response.content.decode()
    assert "محاولات تسجيل دخول فاشلة كثيرة" in page
    assert "Too many failed sign-in attempts" not in page


def test_a_hospital_admin_lifts_the_lockout_and_it_is_audited(client, coordinator, hospital_admin_a, limits):
    fail_from_many_addresses(client, "coord_locked", limits.PX360_LOGIN_USERNAME_FAILURE_LIMIT)
    client.force_login(hospital_admin_a)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "lift_lockout", "_selected_action": [str(coordinator.pk)]},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOCKOUT_CLEARED)
    assert (event.actor, event.object_id) == (hospital_admin_a, str(coordinator.pk))
    client.logout()
    assert login(client, "coord_locked", PASSWORD, ip="192.168.50.50").status_code == 302


def test_nobody_lifts_the_lockout_of_an_account_at_or_above_their_level(client, make_user, hospital_a, limits):
    admin_user = make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="ha_unlocker")
    px_admin = make_user(RoleCode.PX_ADMIN, hospital=hospital_a, username="px_locked")
    fail_from_many_addresses(client, "px_locked", limits.PX360_LOGIN_USERNAME_FAILURE_LIMIT)
    client.force_login(admin_user)
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "lift_lockout", "_selected_action": [str(px_admin.pk)]},
    )
    assert AccessAttempt.objects.filter(username="px_locked").exists()
    assert not AuditEvent.objects.filter(action=AuditAction.LOCKOUT_CLEARED).exists()
    client.logout()
    assert login(client, "px_locked", PASSWORD, ip="192.168.50.50").status_code == 429


def test_a_superuser_clears_attempt_records_and_it_is_audited(client, coordinator, limits):
    root = UserFactory(username="root_unlocker", is_superuser=True)
    fail_from_many_addresses(client, "coord_locked", limits.PX360_LOGIN_USERNAME_FAILURE_LIMIT)
    attempts = list(AccessAttempt.objects.filter(username="coord_locked"))
    client.force_login(root)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [str(a.pk) for a in attempts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="coord_locked").exists()
    events = AuditEvent.objects.filter(action=AuditAction.LOCKOUT_CLEARED)
    assert events.count() == len(attempts)
    assert {event.details["username"] for event in events} == {"coord_locked"}


def test_attempt_records_are_for_superusers_only(client, make_user, hospital_a):
    px_admin = make_user(RoleCode.PX_ADMIN, hospital=hospital_a, username="px_reader")
    client.force_login(px_admin)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
