"""The audit log: every audited action leaves an event; nobody can alter one."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from px360.accounts.models import Role
from px360.accounts.roles import RoleCode
from px360.core.models import AuditAction, AuditEvent
from px360.core.services import hash_sensitive

from ..factories import PatientFactory, valid_national_id
from ..helpers import export_rows

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def events(action):
    return list(AuditEvent.objects.filter(action=action))


def test_login_logout_and_failed_login_are_audited(client, hospital_admin_a):
    client.post(reverse("admin:login"), {"username": "ha_admin", "password": "wrong"})
    failed = events(AuditAction.LOGIN_FAILED)
    assert len(failed) == 1 and failed[0].actor_username == "ha_admin"
    assert "wrong" not in str(failed[0].details)

    client.post(reverse("admin:login"), {"username": "ha_admin", "password": PASSWORD})
    assert events(AuditAction.LOGIN)[0].actor == hospital_admin_a

    client.post(reverse("admin:logout"))
    assert events(AuditAction.LOGOUT)[0].actor == hospital_admin_a


def test_opening_a_patient_is_audited(client, hospital_admin_a, patient_a):
    client.force_login(hospital_admin_a)
    client.get(reverse("admin:organizations_patient_change", args=[patient_a.pk]))
    (event,) = events(AuditAction.VIEW)
    assert event.actor == hospital_admin_a
    assert event.object_id == str(patient_a.pk)
    assert event.object_repr == patient_a.mrn
    assert event.hospital_id == patient_a.hospital_id


def test_patient_search_is_audited_and_national_ids_are_hashed(client, hospital_admin_a, patient_a):
    client.force_login(hospital_admin_a)
    url = reverse("admin:organizations_patient_changelist")
    client.get(url, {"q": patient_a.national_id})
    client.get(url, {"q": "Number"})
    searches = AuditEvent.objects.filter(action=AuditAction.SEARCH).order_by("id")
    assert [event.details["term"] for event in searches] == [hash_sensitive(patient_a.national_id), "Number"]
    assert patient_a.national_id not in str(list(searches.values()))


def test_export_is_audited_with_row_count_and_filters(client, hospital_admin_a, hospital_a):
    PatientFactory.create_batch(3, hospital=hospital_a)
    client.force_login(hospital_admin_a)
    status, rows = export_rows(client, PatientFactory._meta.model, query="?gender__exact=U")
    assert status == 200 and len(rows) == 4  # header + 3
    (event,) = events(AuditAction.EXPORT)
    assert event.row_count == 3
    assert event.details["filters"] == {"gender__exact": "U"}
    assert event.details["format"] == "csv"


def test_import_is_audited(client, hospital_admin_a, hospital_a):
    client.force_login(hospital_admin_a)
    national_id = valid_national_id(4242)
    content = f"hospital_code,mrn,national_id,name_ar,name_en\r\nHA,IMP1,{national_id},سالم,Salem\r\n".encode()
    upload = io.BytesIO(content)
    upload.name = "patients.csv"
    page = client.post(
        reverse("admin:organizations_patient_import"),
        {"resource": "0", "format": "1", "import_file": upload},
    )
    assert page.status_code == 200
    confirm = page.context["confirm_form"]
    response = client.post(reverse("admin:organizations_patient_process_import"), confirm.initial)
    assert response.status_code == 302
    (event,) = events(AuditAction.IMPORT)
    assert event.row_count == 1
    assert event.details["totals"]["new"] == 1


def test_role_changes_are_audited(client, roles, superuser, make_user, hospital_a):
    user = make_user(RoleCode.STAFF, hospital=hospital_a, username="promoted")
    AuditEvent.objects.all()._prune()
    client.force_login(superuser)
    nurse = Role.objects.get(code=RoleCode.NURSE)
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "username": "promoted",
            "first_name": "",
            "last_name": "",
            "email": "",
            "hospital": str(hospital_a.pk),
            "phone": "",
            "preferred_language": "ar",
            "roles": [str(nurse.pk)],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    role_events = AuditEvent.objects.filter(action__in=[AuditAction.ROLE_ASSIGNED, AuditAction.ROLE_REMOVED])
    assert sorted((e.action, e.details["role"], e.actor_id) for e in role_events) == [
        (AuditAction.ROLE_ASSIGNED, "nurse", superuser.pk),
        (AuditAction.ROLE_REMOVED, "staff", superuser.pk),
    ]
    assert set(user.roles.values_list("code", flat=True)) == {"nurse"}
    assert set(user.groups.values_list("name", flat=True)) == {"role:nurse"}


def test_audit_events_cannot_be_changed_or_deleted_in_the_admin(client, superuser, hospital_admin_a):
    client.force_login(hospital_admin_a)
    from px360.core.services import audit_record

    event = audit_record(action=AuditAction.LOGIN, actor=hospital_admin_a)
    for user in (superuser, hospital_admin_a):
        client.force_login(user)
        change = client.post(reverse("admin:core_auditevent_change", args=[event.pk]), {"action": "logout"})
        assert change.status_code in (403, 200)
        delete = client.post(reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"})
        assert delete.status_code == 403
        assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.action == AuditAction.LOGIN


def test_audit_events_are_append_only_in_code(hospital_admin_a):
    from px360.core.services import audit_record

    event = audit_record(action=AuditAction.LOGIN, actor=hospital_admin_a)
    event.action = AuditAction.LOGOUT
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="logout")


def test_audit_log_is_scoped_and_filterable(client, hospital_admin_a, hospital_b, make_user):
    from px360.core.services import audit_record

    outsider = make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_b, username="ha_b")
    audit_record(action=AuditAction.LOGIN, actor=hospital_admin_a)
    audit_record(action=AuditAction.LOGIN, actor=outsider)
    client.force_login(hospital_admin_a)
    url = reverse("admin:core_auditevent_changelist")
    logins = {e.actor_username for e in client.get(url, {"action__exact": "login"}).context["cl"].result_list}
    assert logins == {"ha_admin"}
    filtered = client.get(url, {"action__exact": "logout"})
    assert list(filtered.context["cl"].result_list) == []


def test_prune_audit_refuses_less_than_a_year_and_prunes_older_events(hospital_admin_a):
    from px360.core.services import audit_record

    with pytest.raises(CommandError):
        call_command("prune_audit", "--days", "364")
    old = AuditEvent.objects.create(action=AuditAction.LOGIN, occurred_at=timezone.now() - timedelta(days=400))
    recent = audit_record(action=AuditAction.LOGIN, actor=hospital_admin_a)
    call_command("prune_audit", "--days", "365", stdout=io.StringIO())
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert recent.pk in remaining and old.pk not in remaining
