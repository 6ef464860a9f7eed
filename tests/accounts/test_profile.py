"""Every user, whatever their role, has their own profile page: language, phone, password, notification choices.

It reads and writes only the signed-in user's own record: there is no id in its
address to point at anyone else, and nothing on it reaches roles, hospital,
department or the account's flags.
"""

import pytest

from px360.accounts.models import User
from px360.accounts.roles import RoleCode
from px360.core.models import AuditAction, AuditEvent
from px360.notifications.kinds import EmailDelivery
from px360.notifications.models import StaffNoticeSettings

from ..notifications.notice_kinds import ESCALATION, IMPORT_FINISHED, WAITING

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "Ward-three-night-shift-2026"


@pytest.fixture
def nurse(make_user, hospital_a, department_a):
    return make_user(
        RoleCode.NURSE, hospital=hospital_a, department=department_a, username="nurse_amal", email="amal@hospital-a.sa"
    )


@pytest.fixture
def viewer(make_user, hospital_a):
    return make_user(RoleCode.VIEWER, hospital=hospital_a, username="viewer_sami")


def kind_field(kind) -> str:
    return "notices-kind__" + kind.code.replace(".", "__")


def profile_data(client, language="en", **changes) -> dict:
    """What the profile form posts when nothing is changed, with ``changes`` on top."""
    page = client.get(f"/{language}/admin/profile/")
    assert page.status_code == 200
    data = {}
    for form in [page.context["form"], *(item["form"] for item in page.context["sections"])]:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            data[form.add_prefix(name)] = "" if value is None else value
    data.update(changes)
    return data


@pytest.mark.parametrize("role", [RoleCode.VIEWER, RoleCode.NURSE, RoleCode.STAFF, RoleCode.PHYSICIAN])
def test_every_role_opens_its_own_profile(client, make_user, hospital_a, role):
    user = make_user(role, hospital=hospital_a, username=f"someone_{role.value}")
    client.force_login(user)
    page = client.get("/en/admin/profile/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"someone_{role.value}" in text and "Notification choices" in text
    assert client.get("/en/admin/profile/password/").status_code == 200


def test_a_viewer_changes_language_and_phone_and_history_names_them(client, viewer):
    client.force_login(viewer)
    response = client.post(
        "/en/admin/profile/",
        profile_data(client, **{"account-preferred_language": "ar", "account-phone": "0501234567"}),
    )
    # Saved, and the page comes back in the chosen language.
    assert response.status_code == 302 and response["Location"] == "/ar/admin/profile/"
    assert response.cookies["px360_language"].value == "ar"
    viewer.refresh_from_db()
    assert (viewer.preferred_language, viewer.phone) == ("ar", "+966501234567")
    latest = viewer.history.order_by("-history_date").first()
    assert latest.history_user == viewer and latest.phone == "+966501234567"


def test_a_number_from_abroad_is_kept_and_a_bad_one_refused(client, viewer):
    client.force_login(viewer)
    client.post("/en/admin/profile/", profile_data(client, **{"account-phone": "+20 100 123 4567"}))
    viewer.refresh_from_db()
    assert viewer.phone == "+201001234567"
    page = client.post("/en/admin/profile/", profile_data(client, **{"account-phone": "12345"}))
    assert page.status_code == 200
    assert "Enter a valid" in page.content.decode()
    viewer.refresh_from_db()
    assert viewer.phone == "+201001234567"


def test_the_profile_cannot_change_role_hospital_or_flags(client, nurse, hospital_b, roles):
    client.force_login(nurse)
    data = profile_data(client)
    data.update(
        {
            "hospital": str(hospital_b.pk),
            "account-hospital": str(hospital_b.pk),
            "department": "",
            "roles": [str(roles[RoleCode.PX_ADMIN].pk)],
            "is_superuser": "on",
            "account-is_superuser": "on",
            "is_staff": "on",
            "username": "root",
            "email": "attacker@example.com",
            "user": str(User.objects.exclude(pk=nurse.pk).values_list("pk", flat=True).first() or ""),
        }
    )
    assert client.post("/en/admin/profile/", data).status_code == 302
    nurse = User.objects.get(pk=nurse.pk)
    assert nurse.hospital_id != hospital_b.pk and nurse.department is not None
    assert [role.code for role in nurse.roles.all()] == [RoleCode.NURSE]
    assert not nurse.is_superuser and nurse.username == "nurse_amal" and nurse.email == "amal@hospital-a.sa"


def test_notification_choices_are_saved_for_the_user_alone(client, nurse, viewer):
    client.force_login(nurse)
    response = client.post(
        "/en/admin/profile/",
        profile_data(
            client,
            **{
                kind_field(IMPORT_FINISHED): EmailDelivery.NONE,
                kind_field(WAITING): EmailDelivery.IMMEDIATE,
                "notices-digest_hour": "15",
            },
        ),
    )
    assert response.status_code == 302
    choices = StaffNoticeSettings.objects.get(user=nurse)
    assert choices.deliveries[IMPORT_FINISHED.code] == EmailDelivery.NONE
    assert choices.deliveries[WAITING.code] == EmailDelivery.IMMEDIATE
    assert choices.digest_hour == 15
    assert choices.history.first().history_user == nurse
    assert not StaffNoticeSettings.objects.filter(user=viewer).exists()

    page = client.get("/en/admin/profile/")
    section = next(item["form"] for item in page.context["sections"] if item["section"].code == "notification-choices")
    assert section[kind_field(IMPORT_FINISHED).removeprefix("notices-")].value() == EmailDelivery.NONE


def test_a_notice_that_cannot_wait_is_not_offered_in_the_digest(client, nurse):
    client.force_login(nurse)
    page = client.post("/en/admin/profile/", profile_data(client, **{kind_field(ESCALATION): EmailDelivery.DIGEST}))
    assert page.status_code == 200
    assert not StaffNoticeSettings.objects.filter(user=nurse).exists()
    assert 'value="digest"' not in str(page.context["sections"][0]["form"][kind_field(ESCALATION)[8:]])


def test_an_invalid_part_saves_no_part(client, nurse):
    client.force_login(nurse)
    data = profile_data(client, **{"account-phone": "0501234567", "notices-digest_hour": "25"})
    assert client.post("/en/admin/profile/", data).status_code == 200
    nurse.refresh_from_db()
    assert nurse.phone == ""


def test_a_nurse_changes_her_password_with_the_old_one_and_it_is_audited(client, nurse):
    client.force_login(nurse)
    response = client.post(
        "/en/admin/profile/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/en/admin/profile/"
    assert User.objects.get(pk=nurse.pk).check_password(NEW_PASSWORD)
    # Still signed in on this device.
    assert client.get("/en/admin/profile/").status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_RESET)
    assert (event.actor, event.object_id, event.details) == (nurse, str(nurse.pk), {"usable": True, "own": True})
    assert NEW_PASSWORD not in str(event.details)


@pytest.mark.parametrize(
    "old, new, reason",
    [
        ("wrong-old-password", NEW_PASSWORD, "incorrect"),
        (PASSWORD, "short1", "too short"),
        (PASSWORD, "password1234", "too common"),
        (PASSWORD, "nurse_amal2026", "too similar"),
    ],
)
def test_the_password_rules_hold_on_the_profile(client, nurse, old, new, reason):
    client.force_login(nurse)
    page = client.post("/en/admin/profile/password/", {"old_password": old, "new_password1": new, "new_password2": new})
    assert page.status_code == 200
    assert reason in page.content.decode()
    assert User.objects.get(pk=nurse.pk).check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_RESET).exists()


def test_the_user_menu_leads_to_the_profile_and_the_inbox(client, viewer):
    client.force_login(viewer)
    text = client.get("/en/admin/").content.decode()
    assert 'href="/en/admin/profile/"' in text
    assert 'href="/en/admin/inbox/"' in text


def test_signed_out_visitors_are_sent_to_sign_in_and_the_sign_in_page_has_no_user_menu(client):
    for url in ("/en/admin/profile/", "/en/admin/profile/password/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    page = client.get("/en/admin/login/")
    assert page.status_code == 200
    assert "/admin/profile/" not in page.content.decode()
