import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.core.masking import mask_national_id
from px360.organizations.models import Patient

from ..factories import PatientFactory, valid_national_id
from ..helpers import export_rows

pytestmark = pytest.mark.django_db


def test_patient_str_is_the_mrn_only(patient_a):
    assert str(patient_a) == patient_a.mrn
    assert patient_a.name_en not in str(patient_a) and patient_a.national_id not in str(patient_a)


def test_roles_below_hospital_admin_see_masked_national_ids(client, make_user, hospital_a, patient_a):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord")
    client.force_login(coordinator)
    listing = client.get(reverse("admin:organizations_patient_changelist")).content.decode()
    assert patient_a.national_id not in listing
    assert mask_national_id(patient_a.national_id) in listing
    change = client.get(reverse("admin:organizations_patient_change", args=[patient_a.pk])).content.decode()
    assert patient_a.national_id not in change
    _, rows = export_rows(client, Patient)
    cells = [cell for row in rows for cell in row]
    assert patient_a.national_id not in cells
    assert mask_national_id(patient_a.national_id) in cells


def test_hospital_admin_sees_full_national_ids(client, hospital_admin_a, patient_a):
    client.force_login(hospital_admin_a)
    listing = client.get(reverse("admin:organizations_patient_changelist")).content.decode()
    assert patient_a.national_id in listing


def test_masked_save_keeps_the_stored_national_id(client, make_user, hospital_a, patient_a):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord2")
    client.force_login(coordinator)
    response = client.post(
        reverse("admin:organizations_patient_change", args=[patient_a.pk]),
        {
            "hospital": str(hospital_a.pk),
            "mrn": patient_a.mrn,
            "name_ar": "اسم جديد",
            "name_en": "New Name",
            "gender": "F",
            "phone": "0501234567",
            "preferred_language": "ar",
            "preferred_channel": "sms",
        },
    )
    assert response.status_code == 302
    national_id = patient_a.national_id
    patient_a.refresh_from_db()
    assert patient_a.national_id == national_id
    assert patient_a.name_en == "New Name"
    assert patient_a.phone == "+966501234567"
    assert patient_a.history.first().history_user == coordinator


def test_an_invalid_national_id_is_refused(client, hospital_admin_a, hospital_a):
    client.force_login(hospital_admin_a)
    response = client.post(
        reverse("admin:organizations_patient_add"),
        {
            "hospital": str(hospital_a.pk),
            "mrn": "BAD1",
            "national_id": "1234567890",
            "gender": "U",
            "preferred_language": "ar",
            "preferred_channel": "sms",
        },
    )
    assert response.status_code == 200
    assert "national_id" in response.context["adminform"].form.errors
    assert not Patient.objects.filter(mrn="BAD1").exists()


def test_deleting_soft_deletes_and_a_px_admin_restores(client, hospital_admin_a, make_user, hospital_a):
    patient = PatientFactory(hospital=hospital_a, mrn="SOFT1")
    client.force_login(hospital_admin_a)
    response = client.post(reverse("admin:organizations_patient_delete", args=[patient.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert Patient.all_objects.get(pk=patient.pk).deleted_at is not None
    # Gone for the hospital admin, even by URL.
    assert client.get(reverse("admin:organizations_patient_change", args=[patient.pk])).status_code == 404

    px_admin = make_user(RoleCode.PX_ADMIN, hospital=hospital_a, username="pxadmin")
    client.force_login(px_admin)
    deleted = client.get(reverse("admin:organizations_patient_changelist"), {"deleted": "yes"})
    assert [p.mrn for p in deleted.context["cl"].result_list] == ["SOFT1"]
    client.post(
        reverse("admin:organizations_patient_changelist") + "?deleted=yes",
        {"action": "restore_selected", "_selected_action": [str(patient.pk)]},
    )
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_hospital_admin_cannot_list_deleted_rows(client, hospital_admin_a, hospital_a):
    patient = PatientFactory(hospital=hospital_a, mrn="SOFT2")
    patient.delete()
    client.force_login(hospital_admin_a)
    response = client.get(reverse("admin:organizations_patient_changelist"), {"deleted": "yes"})
    # Only a PX Admin's list declares the deletion filter: for anyone else it is an undeclared lookup.
    assert response.status_code == 400
    assert "SOFT2" not in response.content.decode()


def test_changelist_queries_do_not_grow_with_rows(client, hospital_admin_a, hospital_a, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(hospital_admin_a)
    url = reverse("admin:organizations_patient_changelist")
    PatientFactory.create_batch(3, hospital=hospital_a)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    PatientFactory.create_batch(40, hospital=hospital_a)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("role", [RoleCode.PX_COORDINATOR, None])
def test_history_cannot_revert_a_patient_to_an_older_version(client, make_user, superuser, hospital_a, role):
    """History is read-only: a revert would write back the masked national ID and more."""
    patient = PatientFactory(hospital=hospital_a, national_id=valid_national_id(101), name_en="First name")
    patient.national_id, patient.name_en = valid_national_id(202), "Second name"
    patient.save()
    user = superuser if role is None else make_user(role, hospital=hospital_a, username="coord3")
    client.force_login(user)
    oldest = patient.history.order_by("history_date").first()
    url = reverse("admin:organizations_patient_simple_history", args=[patient.pk, oldest.history_id])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # no revert button
    form = page.context["adminform"].form
    data = {name: "" if value is None else value for name, value in form.initial.items() if name in form.fields}
    data["hospital"] = str(hospital_a.pk)

    response = client.post(url, data)

    assert response.status_code == 403
    patient.refresh_from_db()
    assert (patient.name_en, patient.national_id) == ("Second name", valid_national_id(202))
