"""Whatever an HIS sends, the intake endpoint stores it and answers it: never a 500, never a lost message.

Each malformed message below is kept (status rejected, with the reason) and answered 400 with the
problems (JSON) or an ``MSA|AE`` ACK (HL7), on SQLite and on PostgreSQL alike (PostgreSQL refuses
over-long values and NUL characters that SQLite would store).
"""

import json

import pytest

from px360.integrations.choices import EventStatus
from px360.integrations.models import InboundEvent
from px360.journeys.models import Encounter

from .messages import adt
from .test_intake import json_event

pytestmark = pytest.mark.django_db


def the_rejected_event():
    event = InboundEvent.objects.get()
    assert event.status == EventStatus.REJECTED
    return event


def problem_text(response) -> str:
    return " ".join(problem["message"] for problem in response.json()["problems"])


# --- JSON ----------------------------------------------------------------------------------


def test_a_body_nested_too_deeply_is_stored_whole_and_answered_400(send):
    body = "[" * 200_000
    response = send(body)
    assert response.status_code == 400
    assert "nested too deeply" in problem_text(response)
    event = the_rejected_event()
    assert event.raw == body and response.json()["event_id"] == str(event.pk)


def test_a_number_too_long_to_read_is_a_problem_not_a_crash(send):
    body = '{"message_id": ' + "1" * 5000 + "}"
    response = send(body)
    assert response.status_code == 400
    assert "number is too long" in problem_text(response)
    assert the_rejected_event().raw == body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"occurred_at": "2026-02-30T10:00:00+03:00"}, "occurred_at"),
        ({"admitted_at": "2026-11-20T08:30:00+99:00"}, "admitted_at"),
    ],
)
def test_an_impossible_date_is_a_problem_not_a_crash(send, overrides, field):
    response = send(json_event(**overrides))
    assert response.status_code == 400
    assert field in {problem["field"] for problem in response.json()["problems"]}
    assert the_rejected_event().message_id == "J-1"


def test_a_bad_birth_date_is_a_problem_not_a_crash(send):
    event = json_event()
    event["patient"]["birth_date"] = "1980-02-30"
    response = send(event)
    assert response.status_code == 400
    assert {problem["field"] for problem in response.json()["problems"]} == {"patient.birth_date"}


def test_values_longer_than_their_columns_are_refused_before_anything_is_written(send):
    event = json_event(encounter_number="E" * 41, department_code="D" * 31)
    event["patient"]["mrn"] = "M" * 31
    response = send(event)
    assert response.status_code == 400
    assert {problem["field"] for problem in response.json()["problems"]} == {
        "encounter_number",
        "department_code",
        "patient.mrn",
    }
    assert the_rejected_event().message_id == "J-1"
    assert not Encounter.objects.exists()


def test_an_over_long_message_id_is_rejected_and_stored_without_it(send):
    response = send(json_event(message_id="X" * 101))
    assert response.status_code == 400
    assert {problem["field"] for problem in response.json()["problems"]} == {"message_id"}
    event = the_rejected_event()
    assert event.message_id == "" and '"' + "X" * 101 + '"' in event.raw


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
def test_text_no_database_stores_is_rejected_and_the_body_kept(send, escape):
    body = json.dumps(json_event()).replace('"Reem"', f'"Re{escape}em"')
    response = send(body)
    assert response.status_code == 400
    assert "cannot be stored" in problem_text(response)
    event = the_rejected_event()
    assert event.raw == body and event.message_id == "J-1"
    assert not Encounter.objects.exists()


def test_a_nul_character_in_the_body_is_rejected_and_the_rest_kept(send):
    body = json.dumps(json_event()).replace("Reem", "Re\x00em")
    response = send(body)
    assert response.status_code == 400
    assert "NUL" in problem_text(response)
    event = the_rejected_event()
    assert len(event.raw) == len(body) and "Re\ufffdem" in event.raw


# --- HL7 -----------------------------------------------------------------------------------


def test_an_over_long_control_id_is_answered_ae_and_stored_without_it(send):
    control_id = "C" * 150
    response = send(adt("A04", control_id=control_id), hl7=True)
    assert response.status_code == 400
    text = response.content.decode()
    assert f"MSA|AE|{control_id}|" in text and "MSH-10" in text
    event = the_rejected_event()
    assert event.message_id == "" and control_id in event.raw
    assert not Encounter.objects.exists()


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"visit": "V" * 41}, "PV1-19"),
        ({"mrn": "M" * 31}, "PID-3"),
        ({"point_of_care": "P" * 31}, "PV1-3"),
        ({"attending": "L" * 31}, "PV1-7"),
        ({"facility": "F" * 21}, "MSH-4"),
    ],
)
def test_over_long_fields_are_answered_ae_naming_the_field(send, fields, named):
    response = send(adt("A04", control_id="LONG-1", **fields), hl7=True)
    assert response.status_code == 400
    text = response.content.decode()
    assert "MSA|AE|LONG-1|" in text and named in text
    assert the_rejected_event().message_id == "LONG-1"
    assert not Encounter.objects.exists()


def test_an_unsupported_trigger_is_refused_at_once_not_acknowledged(send):
    response = send(adt("A99", control_id="TRIG-1"), hl7=True)
    assert response.status_code == 400
    text = response.content.decode()
    assert "MSA|AE|TRIG-1|" in text and "A99" in text
    event = the_rejected_event()
    assert event.message_id == "TRIG-1" and "A99" in event.problems[0]["message"]
    assert not Encounter.objects.exists()


def test_a_nul_character_in_an_hl7_message_is_answered_ae(send):
    message = adt("A04", control_id="NUL-1").replace("Mohammed", "Moh\x00ammed")
    response = send(message, hl7=True)
    assert response.status_code == 400
    assert "MSA|AE|" in response.content.decode()
    assert "Moh\ufffdammed" in the_rejected_event().raw


def test_a_body_that_is_not_utf8_is_answered_ae_and_kept(send):
    response = send(adt("A04", control_id="ENC-1").encode("utf-8") + b"\xff\xfe", hl7=True)
    assert response.status_code == 400
    assert "MSA|AE|" in response.content.decode()
    assert "ENC-1" in the_rejected_event().raw


# --- the same bad message twice -------------------------------------------------------------


def test_a_rejected_message_sent_again_is_answered_the_same_and_stored_once(send):
    message = adt("A04", control_id="AGAIN-1", visit="V" * 41)
    first = send(message, hl7=True)
    second = send(message, hl7=True)
    assert (first.status_code, second.status_code) == (400, 400)
    assert "MSA|AE|AGAIN-1|" in second.content.decode()
    assert InboundEvent.objects.filter(message_id="AGAIN-1").count() == 1
    body = json_event(message_id="AGAIN-J", encounter_number="E" * 41)
    assert send(body).json()["event_id"] == send(body).json()["event_id"]


def test_a_corrected_message_with_the_rejected_id_is_accepted(send):
    send(adt("A04", control_id="FIX-1", visit="V" * 41), hl7=True)
    fixed = send(adt("A04", control_id="FIX-1", visit="V1001"), hl7=True)
    assert fixed.status_code == 202 and "MSA|AA|FIX-1|" in fixed.content.decode()
    statuses = sorted(InboundEvent.objects.filter(message_id="FIX-1").values_list("status", flat=True))
    assert statuses == [EventStatus.PROCESSED, EventStatus.REJECTED]
    assert Encounter.objects.filter(encounter_number="V1001").exists()


def test_different_bad_messages_with_one_id_are_each_kept(send):
    send(adt("A04", control_id="TWO-1", visit="V" * 41), hl7=True)
    send(adt("A04", control_id="TWO-1", visit="W" * 41), hl7=True)
    assert InboundEvent.objects.filter(message_id="TWO-1").count() == 2
