"""The encounter list narrowed by department, physician and admission dates, and searched by phone.

Department and physician filters offer and name only the user's own
hospital's; an id of another hospital's selects nothing.
"""

import datetime as dt

import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.journeys.models import Encounter

from ..factories import DepartmentFactory, PatientFactory, PhysicianFactory

pytestmark = pytest.mark.django_db

RIYADH = dt.timezone(dt.timedelta(hours=3))
URL = "admin:journeys_encounter_changelist"


@pytest.fixture
def visits(hospital_a, hospital_b):
    departments = {
        "a_car": DepartmentFactory(hospital=hospital_a, code="CAR", name_en="Cardiology A", name_ar="قلب أ"),
        "a_sur": DepartmentFactory(hospital=hospital_a, code="SUR", name_en="Surgery A", name_ar="جراحة أ"),
        "b_car": DepartmentFactory(hospital=hospital_b, code="CAR", name_en="Cardiology B", name_ar="قلب ب"),
    }
    doctors = {
        "a_one": PhysicianFactory(hospital=hospital_a, name_en="Dr. Alpha One"),
        "a_two": PhysicianFactory(hospital=hospital_a, name_en="Dr. Alpha Two"),
        "b_one": PhysicianFactory(hospital=hospital_b, name_en="Dr. Bravo One"),
    }
    patient = PatientFactory(hospital=hospital_a, mrn="E-1", name_ar="مُنيرة", phone="+966541234567")
    patient_b = PatientFactory(hospital=hospital_b, mrn="E-1", name_ar="منيرة", phone="+966541234567")
    day = dt.datetime(2026, 11, 10, 8, 0, tzinfo=RIYADH)

    def visit(number, hospital, patient, department, doctor, at):
        return Encounter.objects.create(
            hospital=hospital,
            encounter_number=number,
            encounter_type="OPD",
            patient=patient,
            department=department,
            attending_physician=doctor,
            admitted_at=at,
        )

    return {
        "departments": departments,
        "doctors": doctors,
        "v1": visit("V1", hospital_a, patient, departments["a_car"], doctors["a_one"], day),
        "v2": visit("V2", hospital_a, patient, departments["a_sur"], doctors["a_two"], day + dt.timedelta(days=3)),
        "v3": visit("V3", hospital_a, PatientFactory(hospital=hospital_a), departments["a_car"], doctors["a_two"], day),
        "b1": visit("B1", hospital_b, patient_b, departments["b_car"], doctors["b_one"], day),
    }


def listed(client, **params):
    response = client.get(reverse(URL), params)
    assert response.status_code == 200, params
    return {row.encounter_number for row in response.context["cl"].result_list}


@pytest.mark.parametrize("persona", [RoleCode.PX_COORDINATOR, RoleCode.HOSPITAL_ADMIN])
def test_department_physician_and_dates_narrow_the_list(client, visits, make_user, hospital_a, persona):
    client.force_login(make_user(persona, hospital=hospital_a, username=f"enc_{persona}"))
    departments, doctors = visits["departments"], visits["doctors"]
    assert listed(client) == {"V1", "V2", "V3"}
    assert listed(client, department__id__exact=departments["a_car"].pk) == {"V1", "V3"}
    assert listed(client, attending_physician__id__exact=doctors["a_two"].pk) == {"V2", "V3"}
    assert listed(
        client, department__id__exact=departments["a_car"].pk, attending_physician__id__exact=doctors["a_two"].pk
    ) == {"V3"}
    assert listed(client, admitted_at_from_0="2026-11-11", admitted_at_from_1="00:00") == {"V2"}
    assert listed(
        client,
        admitted_at_from_0="2026-11-10",
        admitted_at_from_1="00:00",
        admitted_at_to_0="2026-11-10",
        admitted_at_to_1="23:59",
    ) == {"V1", "V3"}
    # Filters and the patient search together.
    assert listed(client, q="0541234567", department__id__exact=departments["a_sur"].pk) == {"V2"}


def test_another_hospitals_department_or_physician_selects_nothing_and_is_not_named(
    client, visits, make_user, hospital_a
):
    client.force_login(make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="enc_coordinator"))
    for param, row in (
        ("department__id__exact", visits["departments"]["b_car"]),
        ("attending_physician__id__exact", visits["doctors"]["b_one"]),
    ):
        response = client.get(reverse(URL), {param: row.pk})
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == []
        assert row.name_en not in response.content.decode() and row.name_ar not in response.content.decode()


def test_the_department_filter_offers_only_the_users_hospital(client, visits, make_user, hospital_a):
    client.force_login(make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="enc_coordinator2"))
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "journeys", "model_name": "encounter", "field_name": "department", "term": "Cardiology"},
    )
    assert response.status_code == 200
    offered = {result["id"] for result in response.json()["results"]}
    assert offered == {str(visits["departments"]["a_car"].pk)}


def test_the_phone_number_finds_the_patients_visits_in_the_users_hospital_only(client, visits, make_user, hospital_a):
    client.force_login(make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="enc_coordinator3"))
    for term in ("0541234567", "+966541234567", "٠٥٤١٢٣٤٥٦٧", "منيرة", "E-1"):
        assert listed(client, q=term) == {"V1", "V2"}, term
    assert listed(client, q="B1") == set()
    assert listed(client, q="V1") == {"V1"}
