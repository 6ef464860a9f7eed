"""Sign-in security: lockout per username and IP, idle timeout, absolute cap."""

import time

import pytest
from django.urls import reverse

from px360.accounts.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from px360.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def login(client, username, password, ip="10.0.0.5"):
    return client.post(reverse("admin:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_username_from_that_address(client, hospital_admin_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ha_admin", "wrong")
    locked = login(client, "ha_admin", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not locked out with it (a ward behind NAT keeps working).
    assert login(client, "ha_admin", PASSWORD, ip="10.0.0.9").status_code == 302


def test_lockout_is_configurable(client, hospital_admin_a, settings):
    settings.AXES_FAILURE_LIMIT = 2
    login(client, "ha_admin", "wrong")
    login(client, "ha_admin", "wrong")
    assert login(client, "ha_admin", PASSWORD).status_code == 429


def test_fewer_failures_than_the_limit_do_not_lock(client, hospital_admin_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "ha_admin", "wrong")
    assert login(client, "ha_admin", PASSWORD).status_code == 302


def _age_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_idle_session_is_signed_out(client, hospital_admin_a, settings):
    client.force_login(hospital_admin_a)
    assert client.get(reverse("admin:index")).status_code == 200
    _age_session(client, **{SESSION_LAST_SEEN: settings.PX360_SESSION_IDLE_SECONDS + 10})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert client.get(reverse("admin:index")).status_code == 302
    logout = AuditEvent.objects.get(action=AuditAction.LOGOUT)
    assert logout.details == {"reason": "idle"}


def test_active_session_is_capped(client, hospital_admin_a, settings):
    client.force_login(hospital_admin_a)
    client.get(reverse("admin:index"))
    _age_session(client, **{SESSION_STARTED: settings.PX360_SESSION_MAX_SECONDS + 10, SESSION_LAST_SEEN: 5})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert AuditEvent.objects.get(action=AuditAction.LOGOUT).details == {"reason": "max_age"}


def test_recent_activity_keeps_the_session(client, hospital_admin_a, settings):
    client.force_login(hospital_admin_a)
    client.get(reverse("admin:index"))
    _age_session(client, **{SESSION_LAST_SEEN: settings.PX360_SESSION_IDLE_SECONDS - 60})
    assert client.get(reverse("admin:index")).status_code == 200


def test_weak_passwords_are_refused(hospital_admin_a):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("12345678", "password123", "ha_admin99"):
        with pytest.raises(ValidationError):
            validate_password(weak, hospital_admin_a)


def test_the_first_page_after_sign_in_opens_in_the_users_language(client, make_user, hospital_a):
    make_user("viewer", hospital=hospital_a, username="english_viewer", preferred_language="en")
    response = client.post("/ar/admin/login/?next=/ar/admin/", {"username": "english_viewer", "password": PASSWORD})
    assert response.status_code == 302
    first = client.get(response["Location"])
    assert first.status_code == 302 and first["Location"] == "/en/admin/"
    assert client.cookies["px360_language"].value == "en"
    # Afterwards the user may switch freely.
    assert client.get("/ar/admin/").status_code == 200


@pytest.mark.parametrize("language", ["ar", "en"])
def test_signing_in_without_next_lands_on_the_admin(client, hospital_admin_a, language):
    # The sign-in form carries no ``next`` field: the bare page must still lead somewhere.
    response = client.post(f"/{language}/admin/login/", {"username": "ha_admin", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == f"/{language}/admin/"
    assert client.get(response["Location"], follow=True).status_code == 200
