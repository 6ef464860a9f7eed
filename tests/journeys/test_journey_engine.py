"""Journeys driven by HIS events: the original acceptance and the ADT sequences."""

import pytest

from px360.integrations.choices import EventStatus
from px360.integrations.models import InboundEvent
from px360.journeys.journey_models import JourneyStageTemplate, JourneyTemplate
from px360.journeys.models import Encounter, JourneyInstance

from ..integrations.messages import adt

pytestmark = pytest.mark.django_db


def stages(encounter_number):
    journey = (
        JourneyInstance.objects.filter(encounter__encounter_number=encounter_number).order_by("-started_at").first()
    )
    return journey, {stage.code: stage.status for stage in journey.stages.all()}


def test_original_acceptance_opd_template_instance_and_stage_completion(send, hospital_a):
    template = JourneyTemplate.objects.create(
        journey_type="OPD", hospital=hospital_a, name="OPD A", name_ar="عيادات أ", name_en="OPD A"
    )
    JourneyStageTemplate.objects.create(
        template=template, order=1, code="check_in", name_ar="تسجيل", name_en="Check-in", completes_on=["A04"]
    )
    JourneyStageTemplate.objects.create(
        template=template, order=2, code="done", name_ar="انتهاء", name_en="Done", completes_on=["A03"]
    )
    send(adt("A04", control_id="ACC-1", visit="ACC"), hl7=True)
    journey, status = stages("ACC")
    assert journey.template == template  # the hospital's own template wins over the group default
    assert status == {"check_in": "completed", "done": "pending"}
    send(adt("A03", control_id="ACC-2", visit="ACC", discharged="20261120113000"), hl7=True)
    journey, status = stages("ACC")
    assert status == {"check_in": "completed", "done": "completed"}
    assert journey.status == "completed"


def test_outpatient_a04_then_a03(send):
    send(adt("A04", control_id="O-1", visit="OPD-9"), hl7=True)
    journey, status = stages("OPD-9")
    assert journey.journey_type == "OPD"
    assert status["registration"] == "completed" and status["end_of_visit"] == "pending"
    send(adt("A03", control_id="O-2", visit="OPD-9", discharged="20261120120000"), hl7=True)
    journey, status = stages("OPD-9")
    assert status["end_of_visit"] == "completed" and journey.status == "completed"
    encounter = Encounter.objects.get(encounter_number="OPD-9")
    assert encounter.status == "discharged" and encounter.discharged_at is not None
    stage = journey.stages.get(code="end_of_visit")
    assert stage.event_type == "A03" and stage.event_reference == "A03 O-2"


def test_inpatient_a01_a02_a03(send):
    send(adt("A01", control_id="I-1", visit="IP-1", patient_class="I"), hl7=True)
    send(adt("A02", control_id="I-2", visit="IP-1", patient_class="I"), hl7=True)
    journey, status = stages("IP-1")
    assert journey.journey_type == "INPATIENT"
    assert status == {"admission": "completed", "transfer": "completed", "discharge": "pending"}
    send(adt("A03", control_id="I-3", visit="IP-1", patient_class="I", discharged="20261125100000"), hl7=True)
    journey, status = stages("IP-1")
    assert status["discharge"] == "completed" and journey.status == "completed"


def test_a13_after_a03_reverts_the_discharge(send):
    send(adt("A01", control_id="C-1", visit="IP-2", patient_class="I"), hl7=True)
    send(adt("A03", control_id="C-2", visit="IP-2", patient_class="I", discharged="20261125100000"), hl7=True)
    send(adt("A13", control_id="C-3", visit="IP-2", patient_class="I"), hl7=True)
    journey, status = stages("IP-2")
    assert status["discharge"] == "pending" and journey.status == "active"
    discharge = journey.stages.get(code="discharge")
    assert discharge.event_type == "A13" and "A13" in discharge.note
    encounter = Encounter.objects.get(encounter_number="IP-2")
    assert encounter.discharged_at is None and encounter.status == "active"
    # The reversal is in the stage's history.
    assert [h.status for h in discharge.history.order_by("history_date")] == ["pending", "completed", "pending"]


def test_a11_cancels_the_journey(send):
    send(adt("A01", control_id="X-1", visit="IP-3", patient_class="I"), hl7=True)
    send(adt("A11", control_id="X-2", visit="IP-3", patient_class="I"), hl7=True)
    journey, status = stages("IP-3")
    assert journey.status == "cancelled"
    assert status == {"admission": "cancelled", "transfer": "cancelled", "discharge": "cancelled"}
    assert Encounter.objects.get(encounter_number="IP-3").status == "cancelled"


def test_an_event_for_an_unknown_encounter(send):
    send(adt("A03", control_id="U-1", visit="NEVER"), hl7=True)
    event = InboundEvent.objects.get(message_id="U-1")
    assert event.status == EventStatus.FAILED
    assert "NEVER" in event.error and "A01" in event.error
    assert not Encounter.objects.filter(encounter_number="NEVER").exists()
    send(adt("A01", control_id="U-2", visit="NEW-1", patient_class="I"), hl7=True)
    assert Encounter.objects.filter(encounter_number="NEW-1").exists()


def test_out_of_order_events_still_complete_their_stages(send):
    send(adt("A01", control_id="OO-1", visit="IP-4", patient_class="I"), hl7=True)
    send(adt("A03", control_id="OO-3", visit="IP-4", patient_class="I", discharged="20261125100000"), hl7=True)
    send(adt("A02", control_id="OO-2", visit="IP-4", patient_class="I"), hl7=True)  # the transfer arrives late
    _journey, status = stages("IP-4")
    assert status == {"admission": "completed", "transfer": "completed", "discharge": "completed"}


def test_editing_a_template_does_not_rewrite_running_journeys(send):
    send(adt("A01", control_id="T-1", visit="IP-5", patient_class="I"), hl7=True)
    template = JourneyTemplate.objects.get(journey_type="INPATIENT", hospital__isnull=True)
    template.stages.filter(code="transfer").delete()
    JourneyStageTemplate.objects.create(
        template=template, order=9, code="follow_up", name_ar="متابعة", name_en="Follow-up"
    )
    _journey, status = stages("IP-5")
    assert set(status) == {"admission", "transfer", "discharge"}


def test_a06_moves_an_outpatient_visit_to_an_inpatient_journey(send):
    send(adt("A04", control_id="S-1", visit="V-6"), hl7=True)
    send(adt("A06", control_id="S-2", visit="V-6", patient_class="I"), hl7=True)
    journeys = list(
        JourneyInstance.objects.filter(encounter__encounter_number="V-6").order_by("started_at", "created_at")
    )
    assert [j.journey_type for j in journeys] == ["OPD", "INPATIENT"]
    assert journeys[0].status == "superseded"
    assert {s.code: s.status for s in journeys[1].stages.all()}["admission"] == "completed"


def test_a_failed_event_can_be_retried_after_the_cause_is_fixed(send, hospital_a, django_capture_on_commit_callbacks):
    from px360.integrations.services import event_retry

    send(adt("A04", control_id="F-1", visit="F-1", point_of_care="CARD"), hl7=True)
    event = InboundEvent.objects.get(message_id="F-1")
    assert event.status == EventStatus.FAILED and "CARD" in event.error
    from ..factories import DepartmentFactory

    DepartmentFactory(hospital=hospital_a, code="CARD")
    with django_capture_on_commit_callbacks(execute=True):
        event_retry(event=event)
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    assert Encounter.objects.get(encounter_number="F-1").department.code == "CARD"
