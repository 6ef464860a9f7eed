"""One set of patient rules, whichever way the data arrives.

The same bad patient is sent down every path PX360 takes patient data from —
the HIS intake as JSON and as HL7 v2, the admin form and the encounter file
import — and is refused everywhere, with the same message, and nothing of it
is stored.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from px360.integrations.choices import EventStatus
from px360.integrations.models import InboundEvent
from px360.organizations.models import Patient
from px360.organizations.services import PatientRules, is_minor, upsert_patient

from ..integrations.messages import NATIONAL_ID, adt

pytestmark = pytest.mark.django_db

FUTURE = (timezone.localdate() + dt.timedelta(days=30)).isoformat()

# field, bad value, the value as HL7 carries it, the one message every path gives.
BAD = {
    "birth_date": (FUTURE, FUTURE.replace("-", ""), "The birth date is in the future."),
    "email": ("reem@@example", None, "Enter a valid email address."),
    "phone": ("0520000000", "0520000000", "Enter a valid Saudi phone number."),
    "national_id": ("1234567890", "1234567890", "Enter a valid Saudi national ID or iqama number"),
}


def the_rules_message(field, value, language):
    """What the shared rules say about this value, in ``language``."""
    with translation.override(language):
        return PatientRules().clean({field: value}).errors[field].messages[0]


def says_the_same(stored: str, field: str, value: str) -> bool:
    """A stored problem gives the rules' message (in the language the job ran in)."""
    return any(the_rules_message(field, value, language) in stored for language in ("ar", "en"))


def json_event(field, value):
    patient = {"mrn": "M-BAD", "name_en": "Reem", "language": "ar", field: value}
    return {
        "message_id": f"J-{field}",
        "event_type": "A04",
        "hospital_code": "HA",
        "encounter_number": f"OPD-{field}",
        "encounter_type": "OPD",
        "admitted_at": "2026-11-20T08:30:00+03:00",
        "patient": patient,
    }


def hl7_message(field, value):
    message = adt("A04", control_id=f"H-{field}", mrn="M-BAD")
    if field == "birth_date":
        return message.replace("||19800531|", f"||{value}|")
    if field == "phone":
        return message.replace("0501234567", value)
    return message.replace(NATIONAL_ID, value)


@pytest.mark.parametrize("field", ["birth_date", "email", "phone", "national_id"])
def test_the_his_intake_as_json_refuses_a_bad_patient_with_the_shared_message(send, field):
    value, _hl7, message = BAD[field]
    with translation.override("en"):
        send(json_event(field, value))
        event = InboundEvent.objects.get(message_id=f"J-{field}")
    assert event.status == EventStatus.FAILED
    assert message in the_rules_message(field, value, "en")
    assert says_the_same(event.error, field, value)
    assert not Patient.objects.filter(mrn="M-BAD").exists()


@pytest.mark.parametrize("field", ["birth_date", "phone", "national_id"])
def test_the_his_intake_as_hl7_refuses_a_bad_patient_with_the_shared_message(send, field):
    _value, value, message = BAD[field]
    with translation.override("en"):
        send(hl7_message(field, value), hl7=True)
    event = InboundEvent.objects.get(message_id=f"H-{field}")
    assert event.status == EventStatus.FAILED
    assert message in the_rules_message(field, _value, "en")
    assert says_the_same(event.error, field, _value)
    assert not Patient.objects.filter(mrn="M-BAD").exists()


@pytest.mark.parametrize("field", ["birth_date", "email", "phone", "national_id"])
def test_the_admin_form_refuses_a_bad_patient_with_the_shared_message(client, hospital_admin_a, hospital_a, field):
    value, _hl7, message = BAD[field]
    client.force_login(hospital_admin_a)
    data = {
        "hospital": hospital_a.pk,
        "mrn": "M-BAD",
        "name_ar": "ريم",
        "gender": "F",
        "preferred_language": "ar",
        "preferred_channel": "sms",
        field: value,
    }
    with translation.override("en"):
        response = client.post(reverse("admin:organizations_patient_add"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in the_rules_message(field, value, "en")
    assert says_the_same(" ".join(errors.get(field, [])), field, value)
    assert not Patient.objects.filter(mrn="M-BAD").exists()


def test_the_rules_clean_what_every_source_writes_differently():
    rules = PatientRules(today=dt.date(2026, 11, 27))
    cleaned = rules.clean(
        {
            "national_id": NATIONAL_ID,
            "phone": "٠٥٠١٢٣٤٥٦٧",
            "email": "Reem@Example.SA",
            "birth_date": "1980-05-31",
            "gender": "f",
            "preferred_language": "EN",
            "name_en": "  Reem   Al-Harbi ",
        }
    )
    assert cleaned.ok
    assert cleaned.values == {
        "national_id": NATIONAL_ID,
        "phone": "+966501234567",
        "email": "Reem@example.sa",
        "birth_date": dt.date(1980, 5, 31),
        "gender": "F",
        "preferred_language": "en",
        "name_en": "Reem Al-Harbi",
    }


def test_an_expatriates_number_is_valid_and_a_wrong_one_is_not():
    rules = PatientRules()
    assert rules.clean_field("phone", "+20 100 123 4567") == "+201001234567"
    assert rules.clean_field("phone", "0092 300 1234567") == "+923001234567"
    assert not rules.clean({"phone": "+20 100"}).ok


def test_each_distinct_value_is_checked_once(monkeypatch):
    rules = PatientRules()
    calls = []
    original = PatientRules.clean_phone
    monkeypatch.setattr(PatientRules, "clean_phone", lambda self, value: calls.append(value) or original(self, value))
    for _row in range(1000):
        rules.clean({"phone": "0501234567"})
        rules.clean({"phone": "0520000000"})
    assert calls == ["0501234567", "0520000000"]


def test_upsert_changes_only_what_is_given_and_writes_nothing_when_a_detail_is_bad(hospital_a):
    patient = upsert_patient(hospital_a, "M-9", {"email": "old@example.sa", "phone": "0501234567"})
    upsert_patient(hospital_a, "M-9", {"phone": "0559876543", "email": ""})
    patient.refresh_from_db()
    assert patient.phone == "+966559876543" and patient.email == "old@example.sa"
    with pytest.raises(ValidationError) as refused:
        upsert_patient(hospital_a, "M-9", {"phone": "0501111111", "birth_date": FUTURE})
    assert set(refused.value.error_dict) == {"birth_date"}
    patient.refresh_from_db()
    assert patient.phone == "+966559876543"


def test_a_minor_is_under_18_on_the_day():
    assert is_minor(dt.date(2010, 11, 28), on=dt.date(2028, 11, 27))
    assert not is_minor(dt.date(2010, 11, 27), on=dt.date(2028, 11, 27))
    assert not is_minor(None)
