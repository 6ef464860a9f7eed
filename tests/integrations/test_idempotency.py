"""A message the HIS sends twice is applied once, whoever runs it twice: the endpoint or the queue.

The HIS resends a message when it missed the ACK. If PX360 applied the resent discharge after the
discharge had been cancelled (A03, A13, then the same A03 again), the patient would be discharged a
second time and invited to a survey about a visit the hospital says has not ended.
"""

import pytest
from freezegun import freeze_time

from px360.integrations.choices import EventStatus
from px360.integrations.models import InboundEvent
from px360.integrations.tasks import process_inbound_event
from px360.journeys.choices import EncounterStatus
from px360.journeys.models import Encounter, JourneyStageTemplate
from px360.surveys.choices import SurveyStatus
from px360.surveys.library import load_library
from px360.surveys.models import SurveyInstance, SurveyTemplate

from .messages import adt

pytestmark = pytest.mark.django_db

NOW = "2026-11-20T12:00:00+03:00"


@pytest.fixture
def surveyed_end_of_visit(his):
    """The group OPD journey sends the outpatient survey when the visit ends (A03)."""
    load_library()
    stage = JourneyStageTemplate.objects.get(template__journey_type="OPD", code="end_of_visit")
    stage.survey_template = SurveyTemplate.objects.get(code="opd-visit")
    stage.save()
    return stage


def discharge_stage(encounter):
    return encounter.journeys.get().stages.get(code="end_of_visit")


def live_invitations(encounter):
    return SurveyInstance.objects.filter(encounter=encounter).exclude(status=SurveyStatus.CANCELLED)


def a_visit_discharged_then_cancelled(send):
    assert send(adt("A04", control_id="REG-1"), hl7=True).status_code == 202
    discharge = adt("A03", control_id="DIS-1", discharged="20261120110000")
    assert send(discharge, hl7=True).status_code == 202
    encounter = Encounter.objects.get(encounter_number="V1001")
    assert encounter.status == EncounterStatus.DISCHARGED
    assert live_invitations(encounter).count() == 1  # the survey was scheduled by the discharge
    assert send(adt("A13", control_id="CAN-1"), hl7=True).status_code == 202
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.ACTIVE and not live_invitations(encounter).exists()
    return encounter, discharge


@freeze_time(NOW)
def test_a_discharge_resent_after_its_cancellation_changes_nothing(send, surveyed_end_of_visit):
    encounter, discharge = a_visit_discharged_then_cancelled(send)

    again = send(discharge, hl7=True)

    assert again.status_code == 200 and "MSA|AA|DIS-1|" in again.content.decode()
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.ACTIVE and encounter.discharged_at is None
    stage = discharge_stage(encounter)
    assert stage.status == "pending"
    assert stage.history.filter(status="completed").count() == 1  # completed once, by the first A03
    assert not live_invitations(encounter).exists()
    assert SurveyInstance.objects.filter(encounter=encounter).count() == 1
    stored = InboundEvent.objects.get(message_id="DIS-1")
    assert stored.status == EventStatus.PROCESSED and stored.attempts == 1


@freeze_time(NOW)
def test_a_json_duplicate_is_flagged_and_not_applied_again(send, surveyed_end_of_visit):
    encounter, _discharge = a_visit_discharged_then_cancelled(send)
    event = {
        "message_id": "DIS-J",
        "event_type": "A03",
        "hospital_code": "HA",
        "encounter_number": "V1001",
        "discharged_at": "2026-11-20T11:30:00+03:00",
        "patient": {"mrn": "MRN7001"},
    }
    first = send(event)
    send(adt("A13", control_id="CAN-2"), hl7=True)
    second = send(event)
    assert first.status_code == 202 and second.status_code == 200
    assert second.json()["duplicate"] is True and second.json()["event_id"] == first.json()["event_id"]
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.ACTIVE
    assert not live_invitations(encounter).exists()
    assert InboundEvent.objects.filter(message_id="DIS-J").count() == 1


@freeze_time(NOW)
def test_the_queue_running_a_processed_event_again_changes_nothing(send, surveyed_end_of_visit):
    encounter, _discharge = a_visit_discharged_then_cancelled(send)
    stored = InboundEvent.objects.get(message_id="DIS-1")

    assert process_inbound_event(str(stored.pk)) == EventStatus.PROCESSED  # a retried task, or two workers

    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.ACTIVE and encounter.discharged_at is None
    assert discharge_stage(encounter).history.filter(status="completed").count() == 1
    assert not live_invitations(encounter).exists()
    stored.refresh_from_db()
    assert stored.attempts == 1
