"""ADT events beyond arrival and discharge: A08 updates, A12 cancels a transfer."""

import pytest

from px360.integrations.choices import EventStatus
from px360.integrations.models import InboundEvent
from px360.journeys.choices import EncounterStatus
from px360.journeys.models import Encounter

from ..factories import DepartmentFactory, PhysicianFactory
from .messages import adt

pytestmark = pytest.mark.django_db


def stage_statuses(encounter) -> dict:
    return dict(encounter.journeys.get().stages.values_list("code", "status"))


def test_a08_updates_the_patient_and_the_encounter_and_moves_no_stage(send, hospital_a):
    DepartmentFactory(hospital=hospital_a, code="CARD")
    PhysicianFactory(hospital=hospital_a, license_number="LIC00002")
    assert send(adt("A04", control_id="REG-8"), hl7=True).status_code == 202
    update = (
        adt("A08", control_id="UPD-8", point_of_care="CARD", attending="LIC00002", discharged="20261120110000")
        .replace("Al-Harbi^Mohammed", "Al-Harbi^Mohamed")
        .replace("0501234567", "0559876543")
        .replace("||ARA", "||ENG")
    )

    assert send(update, hl7=True).status_code == 202

    assert InboundEvent.objects.get(message_id="UPD-8").status == EventStatus.PROCESSED
    encounter = Encounter.objects.get(encounter_number="V1001")
    assert encounter.department.code == "CARD"
    assert encounter.attending_physician.license_number == "LIC00002"
    assert encounter.discharged_at is not None  # A08 carries corrections to the visit's times too
    patient = encounter.patient
    assert patient.name_en == "Mohamed Al-Harbi"
    assert patient.phone == "+966559876543"
    assert patient.preferred_language == "en"
    # An update is not the end of the visit: no stage moves, the visit stays open.
    assert stage_statuses(encounter) == {
        "registration": "completed",
        "consultation": "pending",
        "pharmacy": "pending",
        "end_of_visit": "pending",
    }
    assert encounter.status == EncounterStatus.ACTIVE


def test_a08_for_an_encounter_never_registered_is_kept_as_failed(send):
    assert send(adt("A08", control_id="UPD-0", visit="NEVER"), hl7=True).status_code == 202
    event = InboundEvent.objects.get(message_id="UPD-0")
    assert event.status == EventStatus.FAILED and "NEVER" in event.error
    assert not Encounter.objects.exists()


def test_a12_cancels_the_transfer_and_only_the_transfer(send):
    inpatient = {"patient_class": "I", "visit": "IP-1"}
    assert send(adt("A01", control_id="ADM-1", **inpatient), hl7=True).status_code == 202
    assert send(adt("A02", control_id="TRF-1", **inpatient), hl7=True).status_code == 202
    encounter = Encounter.objects.get(encounter_number="IP-1")
    assert stage_statuses(encounter) == {"admission": "completed", "transfer": "completed", "discharge": "pending"}

    assert send(adt("A12", control_id="CTR-1", **inpatient), hl7=True).status_code == 202

    assert InboundEvent.objects.get(message_id="CTR-1").status == EventStatus.PROCESSED
    assert stage_statuses(encounter) == {"admission": "completed", "transfer": "pending", "discharge": "pending"}
    transfer = encounter.journeys.get().stages.get(code="transfer")
    assert transfer.event_type == "A12" and transfer.completed_at is None
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.ACTIVE


def test_a_physician_of_another_hospital_is_neither_attached_nor_named(send, hospital_a, hospital_b):
    """Licences are looked up within the message's hospital, like an unknown licence."""
    PhysicianFactory(hospital=hospital_b, license_number="LIC0000B")
    assert send(adt("A04", control_id="REG-B", attending="LIC0000B"), hl7=True).status_code == 202
    assert send(adt("A04", control_id="REG-X", visit="V1002", attending="LIC0000X"), hl7=True).status_code == 202

    other, unknown = InboundEvent.objects.get(message_id="REG-B"), InboundEvent.objects.get(message_id="REG-X")
    assert other.status == unknown.status == EventStatus.FAILED
    assert other.error.replace("LIC0000B", "X") == unknown.error.replace("LIC0000X", "X")
    assert not Encounter.objects.filter(attending_physician__hospital=hospital_b).exists()
