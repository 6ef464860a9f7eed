"""The intake endpoint from the outside: what an HIS sends and what it gets back."""

import pytest
from django.core.management import call_command
from django.utils import translation

from px360.integrations.choices import EventStatus
from px360.integrations.models import ApiKey, InboundEvent, IntegrationSource
from px360.integrations.services import api_key_revoke, api_key_rotate
from px360.journeys.models import Encounter, JourneyInstance
from px360.organizations.models import Patient

from .messages import NATIONAL_ID, adt

pytestmark = pytest.mark.django_db


def json_event(**overrides):
    event = {
        "message_id": "J-1",
        "event_type": "A04",
        "occurred_at": "2026-11-20T08:30:00+03:00",
        "hospital_code": "HA",
        "encounter_number": "OPD-1",
        "encounter_type": "OPD",
        "department_code": "MED",
        "physician_license": "LIC00001",
        "admitted_at": "2026-11-20T08:30:00+03:00",
        "patient": {"mrn": "M-1", "national_id": NATIONAL_ID, "name_ar": "ريم", "name_en": "Reem", "language": "ar"},
    }
    event.update(overrides)
    return event


def test_a_json_event_is_stored_queued_and_processed(send):
    response = send(json_event())
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "accepted" and body["duplicate"] is False
    event = InboundEvent.objects.get(pk=body["event_id"])
    assert event.status == EventStatus.PROCESSED
    assert event.raw.startswith("{")
    encounter = Encounter.objects.get(encounter_number="OPD-1")
    assert event.encounter == encounter
    assert encounter.patient.mrn == "M-1" and encounter.patient.name_ar == "ريم"
    journey = JourneyInstance.objects.get(encounter=encounter)
    assert journey.stages.get(code="registration").status == "completed"


def test_an_hl7_message_gets_an_aa_ack_with_its_control_id(send):
    response = send(adt("A04", control_id="CTRL-1", facility="HA"), hl7=True)
    assert response.status_code == 202
    assert response["Content-Type"] == "application/hl7-v2"
    text = response.content.decode()
    assert "MSA|AA|CTRL-1|" in text
    assert InboundEvent.objects.get(message_id="CTRL-1").status == EventStatus.PROCESSED


def test_the_same_message_id_is_processed_once(send):
    first = send(adt("A04", control_id="DUP-1"), hl7=True)
    second = send(adt("A04", control_id="DUP-1"), hl7=True)
    third = send(json_event(message_id="DUP-J"))
    fourth = send(json_event(message_id="DUP-J"))
    assert (first.status_code, second.status_code) == (202, 200)
    assert "MSA|AA|DUP-1|" in second.content.decode()
    assert fourth.status_code == 200 and fourth.json()["duplicate"] is True
    assert fourth.json()["event_id"] == third.json()["event_id"]
    assert InboundEvent.objects.filter(message_id="DUP-1").count() == 1
    assert Encounter.objects.filter(encounter_number="V1001").count() == 1


def test_malformed_json_is_400_stored_as_rejected_and_changes_nothing(send):
    response = send("{not json")
    assert response.status_code == 400
    assert response.json()["problems"][0]["message"].startswith("The body is not valid JSON")
    event = InboundEvent.objects.get()
    assert event.status == EventStatus.REJECTED and event.raw == "{not json"
    # The source sends for hospital A only, so A's analysts can find it.
    assert event.hospital.code == "HA"
    assert not Encounter.objects.exists() and not Patient.objects.exists()


def test_problems_are_in_the_senders_language_arabic_by_default(send):
    arabic = send("{not json", HTTP_ACCEPT_LANGUAGE="ar")
    assert arabic.json()["problems"][0]["message"].startswith("محتوى الطلب ليس JSON صالحًا")
    english = send("{not json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["problems"][0]["message"].startswith("The body is not valid JSON")


def test_an_intake_request_leaves_the_active_language_unchanged(send):
    """The endpoint follows Accept-Language; what runs next on the thread must not speak it."""
    with translation.override("ar"):
        accepted = send(json_event(), HTTP_ACCEPT_LANGUAGE="en")
        assert translation.get_language() == "ar"
        rejected = send("{not json", HTTP_ACCEPT_LANGUAGE="en")
        assert translation.get_language() == "ar"
        unknown_key = send(json_event(), key="px360_deadbeef_nope", HTTP_ACCEPT_LANGUAGE="en")
        assert translation.get_language() == "ar"
    assert (accepted.status_code, rejected.status_code, unknown_key.status_code) == (202, 400, 401)
    assert rejected["Content-Language"] == "en"
    assert rejected.json()["problems"][0]["message"].startswith("The body is not valid JSON")


def test_schema_problems_are_listed_field_by_field(send):
    response = send(json_event(event_type="Z99", encounter_number="", admitted_at="yesterday", extra=1))
    assert response.status_code == 400
    fields = {problem["field"] for problem in response.json()["problems"]}
    assert {"event_type", "encounter_number", "admitted_at", "extra"} <= fields
    assert not Encounter.objects.exists()


def test_malformed_hl7_is_answered_with_ae_and_stored(send):
    response = send("MSH|^~\\&|HIS|HA|PX360|PX360|20261120||ADT^A04|BAD-1|P|2.5\rEVN|A04\r", hl7=True)
    assert response.status_code == 400
    text = response.content.decode()
    assert "MSA|AE|BAD-1|" in text and "PV1" in text
    assert InboundEvent.objects.get(message_id="BAD-1").status == EventStatus.REJECTED
    assert not Encounter.objects.exists()


def test_garbage_hl7_is_rejected_without_a_control_id(send):
    response = send("hello", hl7=True)
    assert response.status_code == 400
    assert "MSA|AE||" in response.content.decode()


def test_unknown_key_is_401(send):
    response = send(json_event(), key="px360_deadbeef_nope")
    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


def test_a_revoked_key_is_401(send, his):
    api_key_revoke(api_key=his["api_key"])
    assert send(json_event()).status_code == 401


def test_rotation_revokes_the_old_key(send, his):
    _new, key = api_key_rotate(source=his["source"])
    assert send(json_event(), key=his["key"]).status_code == 401
    assert send(json_event(), key=key).status_code == 202


def test_a_hospital_outside_the_keys_scope_is_403_and_kept_for_the_analyst(send, hospital_b):
    response = send(json_event(hospital_code=hospital_b.code, message_id="OTHER-H"))
    assert response.status_code == 403
    event = InboundEvent.objects.get(message_id="OTHER-H")
    assert event.status == EventStatus.REJECTED and "not one this key may send" in event.problems[0]["message"]
    hl7 = send(adt("A04", control_id="OTHER-H7", facility=hospital_b.code), hl7=True)
    assert hl7.status_code == 403 and "MSA|AR|OTHER-H7|" in hl7.content.decode()
    assert not Encounter.objects.exists()


def test_too_large_is_413(send, settings):
    settings.PX360_INTAKE_MAX_BYTES = 2048
    response = send(json_event(padding="x" * 4000))
    assert response.status_code == 413
    assert not InboundEvent.objects.exists()


def test_over_the_rate_limit_is_429(send, his):
    from django.core.cache import cache
    from django.utils import timezone
    from freezegun import freeze_time

    cache.clear()
    IntegrationSource.objects.filter(pk=his["source"].pk).update(rate_limit_per_minute=2)
    # The limit counts per clock minute: the clock stands still so the three requests share one.
    with freeze_time(timezone.now()):
        statuses = [send(json_event(message_id=f"R-{n}")).status_code for n in range(3)]
    assert statuses == [202, 202, 429]
    cache.clear()


def test_keys_are_stored_hashed_and_used_is_recorded(send, his):
    api_key = ApiKey.objects.get(pk=his["api_key"].pk)
    assert his["key"] not in (api_key.key_hash, api_key.prefix)
    assert api_key.last_used_at is None
    send(json_event())
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_openapi_description_is_served(client):
    document = client.get("/api/integrations/openapi.json").json()
    assert document["openapi"].startswith("3.")
    event = document["components"]["schemas"]["Event"]
    assert {"message_id", "event_type", "hospital_code", "encounter_number", "patient"} <= set(event["required"])


def test_create_api_key_command_prints_a_working_key(client, hospital_a, capsys):
    call_command("create_api_key", "lab-his", "--hospitals", "HA")
    key = capsys.readouterr().out.strip()
    source = IntegrationSource.objects.get(code="lab-his")
    assert list(source.hospitals.values_list("code", flat=True)) == ["HA"]
    response = client.post(
        "/api/integrations/events/", data="{}", content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )
    assert response.status_code == 400  # authenticated, then the body is checked


def test_create_api_key_refuses_unknown_hospitals(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_key", "x", "--hospitals", "NOPE")
