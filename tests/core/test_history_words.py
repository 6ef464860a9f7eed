"""A record's history reads in words: choice labels, linked records' names, none as "-".

The history page lists each change with its old and new values. Stored codes
(``active``, ``M``), a linked record's id or "None" are not what a
coordinator reads anywhere else; masked identifiers stay masked there too.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.core.choices import Gender
from px360.journeys.models import Encounter
from px360.organizations.models import Department

from ..factories import PatientFactory, valid_national_id

pytestmark = pytest.mark.django_db

RIYADH = ZoneInfo("Asia/Riyadh")


def history_page(client, model_name, pk, language):
    url = reverse(f"admin:{model_name}_history", args=[pk]).replace("/ar/", f"/{language}/", 1)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def changes_table(html: str) -> str:
    """The old and new values of the changes (the rows a click unfolds)."""
    return " ".join(re.findall(r"<table class=\"w-full\">(.*?)</table>", html, flags=re.S))


@pytest.fixture
def encounter(hospital_a, department_a):
    other = Department.objects.create(hospital=hospital_a, code="SURG", name_ar="الجراحة", name_en="Surgery")
    patient = PatientFactory(hospital=hospital_a)
    encounter = Encounter.objects.create(
        hospital=hospital_a,
        encounter_number="V-100",
        encounter_type="OPD",
        patient=patient,
        department=department_a,
        admitted_at=dt.datetime(2026, 11, 10, 8, 0, tzinfo=RIYADH),
    )
    encounter.status = "discharged"
    encounter.department = other
    encounter.discharged_at = dt.datetime(2026, 11, 10, 12, 30, tzinfo=RIYADH)
    encounter.save()
    return encounter


@pytest.mark.parametrize(
    ("language", "status_words", "department"),
    [("ar", ("نشط", "خرج"), "الجراحة"), ("en", ("Active", "Discharged"), "Surgery")],
)
def test_a_change_shows_choice_labels_and_linked_records_by_name(
    client, make_user, hospital_a, encounter, language, status_words, department
):
    client.force_login(make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a))
    changes = changes_table(history_page(client, "journeys_encounter", encounter.pk, language))
    for word in status_words:
        assert word in changes
    assert department in changes and '<bdi dir="ltr" class="px-ltr">SURG</bdi>' in changes
    # The old discharge time was none: "-", not "None"; the new one in Riyadh time.
    assert "None" not in changes and ">discharged<" not in changes and ">active<" not in changes
    assert "12:30" in changes


def test_masked_identifiers_stay_masked_in_history_and_choices_are_worded(client, make_user, hospital_a):
    patient = PatientFactory(hospital=hospital_a, gender=Gender.UNKNOWN)
    old_id = patient.national_id
    patient.national_id = valid_national_id(987)
    patient.gender = Gender.FEMALE
    patient.save()
    client.force_login(make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a))
    changes = changes_table(history_page(client, "organizations_patient", patient.pk, "en"))
    assert "Female" in changes and "Unknown" in changes
    assert old_id not in changes and patient.national_id not in changes
    assert patient.national_id[-4:] in changes and "•" in changes


def test_the_import_change_reason_is_worded_in_the_readers_language(client, make_user, hospital_a, encounter):
    encounter.history.filter(history_type="+").update(history_change_reason="import")
    client.force_login(make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a))
    arabic = history_page(client, "journeys_encounter", encounter.pk, "ar")
    assert re.search(r"<td>\s*استيراد\s*</td>", arabic)
    english = history_page(client, "journeys_encounter", encounter.pk, "en")
    assert re.search(r"<td>\s*import\s*</td>", english)


def test_stored_json_and_many_to_many_changes_read_as_data_and_names(client, superuser, hospital_a, make_user):
    from px360.accounts.models import Role
    from px360.surveys.models import SurveyPolicy

    policy = SurveyPolicy.objects.create(hospital=hospital_a, channel_order=["sms"])
    policy.channel_order = ["whatsapp", "sms"]
    policy.save()
    user = make_user(RoleCode.VIEWER, hospital=hospital_a)
    user.roles.add(Role.objects.get(code=RoleCode.PX_COORDINATOR))
    user.first_name = "ليلى"
    user.save()
    client.force_login(superuser)
    changes = changes_table(history_page(client, "surveys_surveypolicy", policy.pk, "ar"))
    assert '<code dir="ltr">[&quot;whatsapp&quot;, &quot;sms&quot;]</code>' in changes
    changes = changes_table(history_page(client, "accounts_user", user.pk, "ar"))
    assert "ليلى" in changes and "None" not in changes
