"""django-guardian grants widen scope by exactly one object, granted through reinforced screens."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from px360.accounts.roles import RoleCode
from px360.core.models import AuditAction, AuditEvent

from ..factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator_a(make_user, hospital_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a")


def test_a_grant_widens_scope_by_exactly_one_object(client, coordinator_a, hospital_b):
    shared, other = (
        PatientFactory(hospital=hospital_b, mrn="SHARED1"),
        PatientFactory(hospital=hospital_b, mrn="OTHER1"),
    )
    assign_perm("organizations.view_patient", coordinator_a, shared)
    client.force_login(coordinator_a)

    listing = client.get(reverse("admin:organizations_patient_changelist"))
    mrns = {patient.mrn for patient in listing.context["cl"].result_list}
    assert "SHARED1" in mrns and "OTHER1" not in mrns
    assert client.get(reverse("admin:organizations_patient_change", args=[shared.pk])).status_code == 200
    assert client.get(reverse("admin:organizations_patient_change", args=[other.pk])).status_code == 404


def test_a_view_grant_does_not_allow_changes(client, coordinator_a, hospital_b):
    shared = PatientFactory(hospital=hospital_b, mrn="SHARED2", name_en="Before")
    assign_perm("organizations.view_patient", coordinator_a, shared)
    client.force_login(coordinator_a)
    response = client.post(
        reverse("admin:organizations_patient_change", args=[shared.pk]),
        {
            "hospital": str(hospital_b.pk),
            "mrn": "SHARED2",
            "name_en": "After",
            "gender": "U",
            "preferred_language": "ar",
            "preferred_channel": "sms",
        },
    )
    assert response.status_code == 403
    shared.refresh_from_db()
    assert shared.name_en == "Before"


def test_staff_with_a_grant_sees_the_module_and_the_one_object(client, make_user, hospital_a):
    staff = make_user(RoleCode.STAFF, hospital=hospital_a, username="staff_a")
    patient = PatientFactory(hospital=hospital_a, mrn="ASSIGNED1")
    PatientFactory(hospital=hospital_a, mrn="NOTASSIGNED")
    client.force_login(staff)
    assert client.get(reverse("admin:organizations_patient_changelist")).status_code == 403
    assign_perm("organizations.view_patient", staff, patient)
    listing = client.get(reverse("admin:organizations_patient_changelist"))
    assert listing.status_code == 200
    assert [p.mrn for p in listing.context["cl"].result_list] == ["ASSIGNED1"]


def test_hospital_admin_grants_through_the_admin_and_the_grant_is_audited(
    client, hospital_admin_a, make_user, hospital_a
):
    staff = make_user(RoleCode.STAFF, hospital=hospital_a, username="staff_grantee")
    patient = PatientFactory(hospital=hospital_a, mrn="GRANT1")
    client.force_login(hospital_admin_a)
    url = reverse("admin:organizations_patient_permissions_manage_user", args=[patient.pk, staff.pk])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"permissions": ["view_patient"]})
    assert response.status_code == 302
    assert staff.has_perm("organizations.view_patient", patient)
    event = AuditEvent.objects.get(action=AuditAction.PERMISSION_GRANTED)
    assert event.actor == hospital_admin_a
    assert event.details == {"user": "staff_grantee", "permission": "view_patient"}
    assert event.object_id == str(patient.pk)


def test_nobody_grants_more_than_they_hold(client, make_user, hospital_a, hospital_admin_a):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_granter")
    staff = make_user(RoleCode.STAFF, hospital=hospital_a, username="staff_target")
    patient = PatientFactory(hospital=hospital_a)
    client.force_login(coordinator)
    # Coordinators cannot see the user accounts to grant to: the screen does not exist for them.
    url = reverse("admin:organizations_patient_permissions_manage_user", args=[patient.pk, staff.pk])
    response = client.post(url, {"permissions": ["delete_patient"]})
    assert response.status_code == 404
    assert not staff.has_perm("organizations.delete_patient", patient)

    # A Hospital Admin may change and export their hospital, not delete it: only what they hold is offered.
    client.force_login(hospital_admin_a)
    url = reverse("admin:organizations_hospital_permissions_manage_user", args=[hospital_a.pk, staff.pk])
    offered = {code for code, _label in client.get(url).context["form"].fields["permissions"].choices}
    assert offered == {"view_hospital", "change_hospital", "export_hospital"}
    refused = client.post(url, {"permissions": ["delete_hospital", "change_hospital"]})
    assert refused.status_code == 200 and "permissions" in refused.context["form"].errors
    assert not staff.has_perm("organizations.delete_hospital", hospital_a)
    assert not staff.has_perm("organizations.change_hospital", hospital_a)
    assert client.post(url, {"permissions": ["change_hospital"]}).status_code == 302
    assert staff.has_perm("organizations.change_hospital", hospital_a)


def test_grant_screens_refuse_users_and_objects_of_another_hospital(client, hospital_admin_a, make_user, hospital_b):
    outsider = make_user(RoleCode.STAFF, hospital=hospital_b, username="staff_b")
    patient_b = PatientFactory(hospital=hospital_b)
    own_patient = PatientFactory(hospital=hospital_admin_a.hospital)
    client.force_login(hospital_admin_a)
    assert client.get(reverse("admin:organizations_patient_permissions", args=[patient_b.pk])).status_code == 404
    assert (
        client.get(
            reverse("admin:organizations_patient_permissions_manage_user", args=[own_patient.pk, outsider.pk])
        ).status_code
        == 404
    )
    # The user picker does not find users outside scope, nor the granter.
    for username in ("staff_b", hospital_admin_a.username):
        response = client.post(
            reverse("admin:organizations_patient_permissions", args=[own_patient.pk]),
            {"user": username, "submit_manage_user": "1"},
        )
        assert response.status_code == 200, username
        user_field = response.context["user_form"].fields["user"]
        assert response.context["user_form"].errors == {"user": [user_field.error_messages["does_not_exist"]]}
    # Someone in scope is found: the picker moves on to their permissions.
    insider = make_user(RoleCode.STAFF, hospital=hospital_admin_a.hospital, username="staff_a_in_scope")
    found = client.post(
        reverse("admin:organizations_patient_permissions", args=[own_patient.pk]),
        {"user": "staff_a_in_scope", "submit_manage_user": "1"},
    )
    assert found.status_code == 302
    assert found["Location"].endswith(f"/user-manage/{insider.pk}/")


def test_encounter_grants_use_the_direct_permission_table(coordinator_a, hospital_b):
    from django.utils import timezone

    from px360.core.access import restrict
    from px360.journeys.models import Encounter, EncounterUserObjectPermission

    patient = PatientFactory(hospital=hospital_b)
    shared = Encounter.objects.create(
        hospital=hospital_b, encounter_number="B-1", encounter_type="OPD", patient=patient, admitted_at=timezone.now()
    )
    Encounter.objects.create(
        hospital=hospital_b, encounter_number="B-2", encounter_type="OPD", patient=patient, admitted_at=timezone.now()
    )
    assign_perm("journeys.view_encounter", coordinator_a, shared)
    assert EncounterUserObjectPermission.objects.filter(content_object=shared, user=coordinator_a).exists()
    visible = restrict(Encounter.objects.filter(hospital=hospital_b), coordinator_a)
    assert list(visible.values_list("encounter_number", flat=True)) == ["B-1"]
