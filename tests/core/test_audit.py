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

    # A password typed in the username box is not kept in clear.
    client.post(reverse("admin:login"), {"username": "S3cret-pass!", "password": "x"})
    (typed,) = [event for event in events(AuditAction.LOGIN_FAILED) if event.actor_username != "ha_admin"]
    assert typed.actor_username.startswith("sha256:") and "S3cret" not in typed.actor_username

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


def test_patient_search_is_audited_with_identifiers_hashed_and_names_reduced_to_their_kind(
    client, hospital_admin_a, patient_a
):
    patient_a.phone = "+966501234567"
    patient_a.email = "salem@example.com"
    patient_a.save()
    client.force_login(hospital_admin_a)
    url = reverse("admin:organizations_patient_changelist")
    for term in (patient_a.national_id, patient_a.mrn, "050 123 4567", "Salem@Example.com", "Number"):
        client.get(url, {"q": term})
    searches = AuditEvent.objects.filter(action=AuditAction.SEARCH).order_by("id")
    assert [event.details["term"] for event in searches] == [
        {"kind": "national_id", "hash": hash_sensitive(patient_a.national_id)},
        {"kind": "identifier", "hash": hash_sensitive(patient_a.mrn)},
        # The same number however it was typed: an auditor matches it to the stored E.164 form.
        {"kind": "phone", "hash": hash_sensitive(patient_a.phone)},
        {"kind": "email", "hash": hash_sensitive(patient_a.email)},
        {"kind": "name", "length": 6},
    ]
    stored = str(list(searches.values()))
    for clear in (patient_a.national_id, patient_a.mrn, "501234567", "salem", "Number"):
        assert clear.lower() not in stored.lower()


def test_export_is_audited_with_row_count_and_filters(client, hospital_admin_a, hospital_a):
    PatientFactory.create_batch(3, hospital=hospital_a)
    client.force_login(hospital_admin_a)
    status, rows = export_rows(client, PatientFactory._meta.model, query="?gender__exact=U")
    assert status == 200 and len(rows) == 4  # header + 3
    (event,) = events(AuditAction.EXPORT)
    assert event.row_count == 3
    assert event.details["filters"] == {"gender__exact": "U"}
    assert event.details["format"] == "csv"


def test_export_filters_keep_ids_and_choices_and_protect_what_was_typed(client, hospital_admin_a, hospital_a):
    patient = PatientFactory(hospital=hospital_a)
    client.force_login(hospital_admin_a)
    query = f"?gender__exact=U&hospital__id__exact={hospital_a.pk}&q={patient.national_id}"
    status, rows = export_rows(client, PatientFactory._meta.model, query=query)
    assert status == 200 and len(rows) == 2  # header + the patient searched for
    (event,) = events(AuditAction.EXPORT)
    assert event.details["filters"] == {
        "gender__exact": "U",
        "hospital__id__exact": str(hospital_a.pk),
        "q": {"kind": "national_id", "hash": hash_sensitive(patient.national_id)},
    }
    assert patient.national_id not in str(list(AuditEvent.objects.values()))


def test_a_filtered_patient_list_is_audited_and_an_unfiltered_one_is_not(client, hospital_admin_a, hospital_a):
    client.force_login(hospital_admin_a)
    url = reverse("admin:organizations_patient_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"o": "1", "p": "1"}).status_code == 200  # sorting and paging select no rows
    assert events(AuditAction.FILTER) == []
    response = client.get(url, {"gender__exact": "F", "hospital__id__exact": str(hospital_a.pk)})
    assert response.status_code == 200
    (event,) = events(AuditAction.FILTER)
    assert event.details["filters"] == {"gender__exact": "F", "hospital__id__exact": str(hospital_a.pk)}
    assert event.actor == hospital_admin_a and event.content_type.model == "patient"


def test_a_filtered_list_of_a_model_without_personal_data_is_not_audited(client, hospital_admin_a, hospital_a):
    client.force_login(hospital_admin_a)
    response = client.get(reverse("admin:organizations_department_changelist"), {"hospital__id__exact": hospital_a.pk})
    assert response.status_code == 200
    assert events(AuditAction.FILTER) == []


def test_patient_history_pages_are_audited(client, hospital_admin_a, patient_a):
    client.force_login(hospital_admin_a)
    history = client.get(reverse("admin:organizations_patient_history", args=[patient_a.pk]))
    assert history.status_code == 200
    version = patient_a.history.latest()
    page = client.get(reverse("admin:organizations_patient_simple_history", args=[patient_a.pk, version.history_id]))
    assert page.status_code == 200
    views = AuditEvent.objects.filter(action=AuditAction.VIEW).order_by("id")
    assert [(e.object_id, e.details) for e in views] == [
        (str(patient_a.pk), {"via": "history"}),
        (str(patient_a.pk), {"via": "history", "version": str(version.history_id)}),
    ]


def test_an_import_preview_is_audited(client, hospital_admin_a, hospital_a):
    client.force_login(hospital_admin_a)
    content = f"hospital_code,mrn,national_id,name_ar,name_en\r\nHA,PRV1,{valid_national_id(4343)},سالم,Salem\r\n"
    upload = io.BytesIO(content.encode())
    upload.name = "patients.csv"
    page = client.post(
        reverse("admin:organizations_patient_import"),
        {"resource": "0", "format": "1", "import_file": upload},
    )
    assert page.status_code == 200 and "confirm_form" in page.context
    (event,) = events(AuditAction.IMPORT_PREVIEW)
    assert event.row_count == 1 and event.details["totals"]["new"] == 1 and event.details["errors"] is False
    assert events(AuditAction.IMPORT) == []


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
        assert change.status_code == 403
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
