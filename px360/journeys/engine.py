"""The journey engine: encounters move through their journey's stages.

Every stage change goes through :func:`stage_transition`, whoever causes it —
an HL7 or JSON event, an import, an analyst's reprocess — so the rules and the
history are the same for all. HIS events are applied by
:func:`apply_his_event`; imported encounters by :func:`sync_encounters`, in
batches with a constant number of queries per batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from px360.organizations.models import Department, Hospital, Patient, Physician
from px360.organizations.services import upsert_patient

from . import hooks
from .choices import EncounterSource, EncounterStatus, EncounterType
from .events import (
    ADMIT_EVENTS,
    CANCEL_EVENTS,
    CREATING_EVENTS,
    DISCHARGE_EVENTS,
    REGISTER_EVENTS,
    UPDATE_EVENTS,
    HISEvent,
)
from .models import (
    Encounter,
    JourneyInstance,
    JourneyStageInstance,
    JourneyStageTemplate,
    JourneyStatus,
    JourneyTemplate,
    StageStatus,
)

#: The event reference of stages an import completed: stored as this code,
#: whatever the language of the job, and worded in the reader's language when shown.
IMPORT_REFERENCE = "import"

logger = logging.getLogger(__name__)

DISCHARGE_EVENT = "A03"
ARRIVAL_EVENTS = ADMIT_EVENTS | REGISTER_EVENTS


class JourneyError(Exception):
    """An event that is well-formed but cannot be applied; the message says why."""


# --- templates --------------------------------------------------------------------


def template_for(*, hospital_id, journey_type: str, templates: list | None = None) -> JourneyTemplate | None:
    """The hospital's own active template, else the group-wide default."""
    candidates = templates
    if candidates is None:
        candidates = list(
            JourneyTemplate.objects.filter(journey_type=journey_type, is_active=True).filter(
                Q(hospital_id=hospital_id) | Q(hospital__isnull=True)
            )
        )
    own = [t for t in candidates if t.journey_type == journey_type and t.hospital_id == hospital_id]
    default = [t for t in candidates if t.journey_type == journey_type and t.hospital_id is None]
    return (own or default or [None])[0]


def _stage_copies(journey: JourneyInstance, stage_templates) -> list[JourneyStageInstance]:
    stages = []
    for stage in stage_templates:
        copy = JourneyStageInstance(
            journey=journey,
            stage_template=stage,
            order=stage.order,
            code=stage.code,
            name_ar=stage.name_ar or stage.name,
            name_en=stage.name_en or stage.name,
            completes_on=list(stage.completes_on or []),
            is_required=stage.is_required,
            survey_delay_hours=stage.survey_delay_hours,
        )
        if hasattr(stage, "survey_template_id") and hasattr(copy, "survey_template_id"):
            copy.survey_template_id = stage.survey_template_id
        stages.append(copy)
    return stages


# --- the one stage service ---------------------------------------------------------


def stage_transition(
    *,
    stage: JourneyStageInstance,
    status: str,
    at: datetime | None = None,
    event_type: str = "",
    reference: str = "",
    note: str = "",
) -> bool:
    """Move one stage to ``status``; returns False when nothing changed.

    Completing a stage may complete the journey and schedule the stage's
    survey; reverting one (a cancellation) reopens the journey.
    """
    if stage.status == status:
        return False
    stage.status = status
    stage.completed_at = at if status == StageStatus.COMPLETED else None
    stage.event_type = event_type
    stage.event_reference = reference[:120]
    stage.note = note[:200]
    stage.save()
    journey = stage.journey
    if status == StageStatus.COMPLETED:
        _after_stage_completed(stage)
    _update_journey_status(journey, at or timezone.now())
    return True


def _after_stage_completed(stage: JourneyStageInstance) -> None:
    for listener in hooks.listeners():
        listener.stage_completed(stage)


def _update_journey_status(journey: JourneyInstance, at: datetime) -> None:
    if journey.status not in (JourneyStatus.ACTIVE, JourneyStatus.COMPLETED):
        return
    required = [stage for stage in journey.stages.all() if stage.is_required]
    done = all(stage.status in (StageStatus.COMPLETED, StageStatus.SKIPPED) for stage in required)
    if done and journey.status == JourneyStatus.ACTIVE:
        journey.status = JourneyStatus.COMPLETED
        journey.completed_at = at
        journey.save()
    elif not done and journey.status == JourneyStatus.COMPLETED:
        journey.status = JourneyStatus.ACTIVE
        journey.completed_at = None
        journey.save()


# --- journeys for one encounter ------------------------------------------------------


def journey_start(*, encounter: Encounter, at: datetime | None = None) -> JourneyInstance | None:
    """The encounter's active journey, started from the right template if it has none.

    When the encounter changed type (an ED visit admitted, A06), the old
    journey is closed as superseded and a journey of the new type starts.
    """
    active = (
        encounter.journeys.filter(status__in=[JourneyStatus.ACTIVE, JourneyStatus.COMPLETED])
        .order_by("-started_at")
        .first()
    )
    if active is not None and active.journey_type == encounter.encounter_type:
        return active
    template = template_for(hospital_id=encounter.hospital_id, journey_type=encounter.encounter_type)
    if template is None:
        return active
    if active is not None:
        active.status = JourneyStatus.SUPERSEDED
        active.save()
        for stage in active.stages.filter(status=StageStatus.PENDING):
            stage_transition(stage=stage, status=StageStatus.SKIPPED, note=_("Replaced by another journey"))
    journey = JourneyInstance.objects.create(
        encounter=encounter,
        template=template,
        journey_type=encounter.encounter_type,
        started_at=at or encounter.admitted_at or timezone.now(),
    )
    for stage in _stage_copies(journey, template.stages.order_by("order")):
        stage.save()
    return journey


def _complete_stages(journey: JourneyInstance, event_type: str, at, reference: str) -> list[JourneyStageInstance]:
    completed = []
    for stage in journey.stages.order_by("order"):
        if event_type in stage.completes_on and stage.status == StageStatus.PENDING:
            stage_transition(
                stage=stage, status=StageStatus.COMPLETED, at=at, event_type=event_type, reference=reference
            )
            completed.append(stage)
    return completed


def _revert_stages(journey: JourneyInstance, original_event: str, cancel_event: str, reference: str) -> None:
    for stage in journey.stages.order_by("-order"):
        if original_event in stage.completes_on and stage.status == StageStatus.COMPLETED:
            stage_transition(
                stage=stage,
                status=StageStatus.PENDING,
                event_type=cancel_event,
                reference=reference,
                note=_("Reverted by %(event)s") % {"event": cancel_event},
            )


# --- HIS events ----------------------------------------------------------------------


def _upsert_patient(hospital: Hospital, data) -> Patient:
    """The event's patient, cleaned by the rules every source shares (px360.organizations.services)."""
    raw = {
        "national_id": data.national_id,
        "name_ar": data.name_ar,
        "name_en": data.name_en,
        "phone": data.phone,
        "email": data.email,
        "birth_date": data.birth_date,
        "gender": data.gender,
        "preferred_language": data.language,
    }
    try:
        return upsert_patient(hospital, data.mrn, raw)
    except ValidationError as error:
        raise JourneyError(_patient_problem(error)) from None


def _patient_problem(error: ValidationError) -> str:
    """One line naming the patient field and what is wrong with it (never its value)."""
    fields = getattr(error, "error_dict", None)
    if not fields:
        return error.messages[0]
    name, errors = next(iter(fields.items()))
    label = Patient._meta.get_field(name).verbose_name if name != "mrn" else _("MRN")
    return _("Patient %(field)s: %(problem)s") % {"field": label, "problem": errors[0].messages[0]}


def _encounter_values(hospital: Hospital, event: HISEvent) -> dict:
    values = {}
    if event.encounter_type:
        values["encounter_type"] = event.encounter_type
    if event.department_code:
        department = Department.objects.filter(hospital=hospital, code=event.department_code).first()
        if department is None:
            raise JourneyError(
                _("Unknown department code “%(code)s” in hospital “%(hospital)s”.")
                % {"code": event.department_code, "hospital": hospital.code}
            )
        values["department"] = department
    if event.physician_license:
        physician = Physician.objects.filter(hospital=hospital, license_number=event.physician_license).first()
        if physician is None:
            raise JourneyError(
                _("Unknown physician licence “%(licence)s” in hospital “%(hospital)s”.")
                % {"licence": event.physician_license, "hospital": hospital.code}
            )
        values["attending_physician"] = physician
    if event.admitted_at:
        values["admitted_at"] = event.admitted_at
    if event.discharged_at:
        values["discharged_at"] = event.discharged_at
    return values


def apply_his_event(*, his_event: HISEvent, inbound_event=None) -> Encounter:
    """Apply one ADT event: upsert patient and encounter, move the journey.

    Raises :class:`JourneyError` with a translated reason when the event
    cannot be applied; nothing is then changed (the caller's transaction).
    """
    return _apply(his_event, inbound_event)


def _apply(event: HISEvent, inbound_event) -> Encounter:
    hospital = Hospital.objects.filter(code=event.hospital_code).first()
    if hospital is None:
        raise JourneyError(_("Unknown hospital code “%(code)s”.") % {"code": event.hospital_code})
    at = event.occurred_at or timezone.now()
    reference = f"{event.event_type} {event.message_id}"
    source = EncounterSource.HL7 if getattr(inbound_event, "format", "") == "hl7" else EncounterSource.API

    encounter = (
        Encounter.objects.select_for_update().filter(hospital=hospital, encounter_number=event.encounter_number).first()
    )
    if encounter is None:
        if event.event_type not in CREATING_EVENTS:
            raise JourneyError(
                _("Encounter “%(number)s” is unknown; only A01 and A04 may start one.")
                % {"number": event.encounter_number}
            )
        if not event.encounter_type:
            raise JourneyError(_("A new encounter needs its type (PV1-2 or encounter_type)."))
        patient = _upsert_patient(hospital, event.patient)
        values = _encounter_values(hospital, event)
        values.setdefault("admitted_at", at)
        encounter = Encounter(
            hospital=hospital, encounter_number=event.encounter_number, patient=patient, source=source, **values
        )
    else:
        if event.patient.mrn and event.patient.mrn != encounter.patient.mrn:
            raise JourneyError(
                _("Encounter “%(number)s” belongs to another patient (MRN %(mrn)s).")
                % {"number": encounter.encounter_number, "mrn": encounter.patient.mrn}
            )
        if event.patient.mrn:
            _upsert_patient(hospital, event.patient)
        values = _encounter_values(hospital, event)
        if event.event_type in ADMIT_EVENTS:
            values["encounter_type"] = (
                EncounterType.INPATIENT
                if event.event_type == "A06"
                else values.get("encounter_type", EncounterType.INPATIENT)
            )
        if event.event_type not in DISCHARGE_EVENTS and event.event_type not in UPDATE_EVENTS:
            values.pop("discharged_at", None)
        for key, value in values.items():
            setattr(encounter, key, value)

    if event.event_type in DISCHARGE_EVENTS:
        encounter.discharged_at = encounter.discharged_at or event.discharged_at or at
        encounter.status = EncounterStatus.DISCHARGED
    elif event.event_type == "A13":
        encounter.discharged_at = None
        encounter.status = EncounterStatus.ACTIVE
    elif event.event_type == "A11":
        encounter.status = EncounterStatus.CANCELLED
    if encounter.discharged_at and encounter.admitted_at and encounter.discharged_at < encounter.admitted_at:
        raise JourneyError(_("The discharge time is before the admission time."))
    encounter.save()

    if event.event_type in CANCEL_EVENTS:
        _apply_cancellation(encounter, event, reference)
        return encounter
    if event.event_type in UPDATE_EVENTS:
        journey_start(encounter=encounter, at=at)
        return encounter
    journey = journey_start(encounter=encounter, at=at)
    if journey is not None:
        _complete_stages(journey, event.event_type, at, reference)
    return encounter


def _apply_cancellation(encounter: Encounter, event: HISEvent, reference: str) -> None:
    original = CANCEL_EVENTS[event.event_type]
    journey = encounter.journeys.filter(status__in=[JourneyStatus.ACTIVE, JourneyStatus.COMPLETED]).first()
    if journey is not None:
        _revert_stages(journey, original, event.event_type, reference)
        if event.event_type == "A11":
            for stage in journey.stages.filter(status=StageStatus.PENDING):
                stage_transition(
                    stage=stage,
                    status=StageStatus.CANCELLED,
                    event_type="A11",
                    reference=reference,
                    note=_("Admission cancelled"),
                )
            journey.status = JourneyStatus.CANCELLED
            journey.save()
    if event.event_type in ("A11", "A13"):
        for listener in hooks.listeners():
            listener.encounter_cancelled(encounter, reason=event.event_type)


def _bulk_complete_discharge(discharged: dict, reference: str) -> list:
    """Complete the pending discharge stages of these encounters in a few queries; returns them."""
    stages = list(
        JourneyStageInstance.objects.select_related("journey").filter(
            journey__encounter_id__in=list(discharged),
            journey__status=JourneyStatus.ACTIVE,
            status=StageStatus.PENDING,
        )
    )
    completing = [stage for stage in stages if DISCHARGE_EVENT in stage.completes_on]
    if not completing:
        return []
    for stage in completing:
        stage.status = StageStatus.COMPLETED
        stage.completed_at = discharged[stage.journey.encounter_id].discharged_at
        stage.event_type = DISCHARGE_EVENT
        stage.event_reference = reference[:120]
    bulk_update_with_history(
        completing, JourneyStageInstance, ["status", "completed_at", "event_type", "event_reference"], batch_size=500
    )
    # Journeys whose required stages are now all done are complete.
    journey_ids = {stage.journey_id for stage in completing}
    open_required = set(
        JourneyStageInstance.objects.filter(
            journey_id__in=journey_ids, is_required=True, status=StageStatus.PENDING
        ).values_list("journey_id", flat=True)
    )
    finished = [stage.journey for stage in completing if stage.journey_id not in open_required]
    finished = list({journey.pk: journey for journey in finished}.values())
    for journey in finished:
        journey.status = JourneyStatus.COMPLETED
        journey.completed_at = discharged[journey.encounter_id].discharged_at
    if finished:
        bulk_update_with_history(finished, JourneyInstance, ["status", "completed_at"], batch_size=500)
    return completing


# --- imported encounters, in batches ---------------------------------------------------


def sync_encounters(*, encounter_ids: list, reference: str = "") -> dict:
    """Give each imported encounter its journey and complete discharge stages.

    A discharge time in the file completes the discharge stage just as an
    A03 would. Queries per batch are constant: templates, existing journeys
    and stages are read once, new journeys and stages written in bulk.

    The surveys of the stages it completes are scheduled after the batch
    commits, one short transaction each (:func:`schedule_stage_surveys`): on
    SQLite a batch-long write transaction would lock the web server out.
    """
    counts = {"journeys_started": 0, "stages_completed": 0}
    completed: list = []  # stages completed here, for their surveys
    encounters = list(Encounter.objects.filter(pk__in=encounter_ids))
    if not encounters:
        return counts
    hospital_ids = {e.hospital_id for e in encounters}
    templates = list(
        JourneyTemplate.objects.filter(is_active=True).filter(
            Q(hospital_id__in=hospital_ids) | Q(hospital__isnull=True)
        )
    )
    stage_templates = defaultdict(list)
    for stage in JourneyStageTemplate.objects.filter(template__in=templates).order_by("order"):
        stage_templates[stage.template_id].append(stage)
    existing = {
        journey.encounter_id: journey
        for journey in JourneyInstance.objects.filter(
            encounter_id__in=[e.pk for e in encounters], status__in=[JourneyStatus.ACTIVE, JourneyStatus.COMPLETED]
        )
    }
    new_journeys, changed_type = [], []
    now = timezone.now()
    for encounter in encounters:
        journey = existing.get(encounter.pk)
        if journey is not None and journey.journey_type == encounter.encounter_type:
            continue
        if journey is not None:
            changed_type.append(encounter)  # rare: handled one by one below
            continue
        if encounter.status == EncounterStatus.CANCELLED:
            continue
        template = template_for(
            hospital_id=encounter.hospital_id, journey_type=encounter.encounter_type, templates=templates
        )
        if template is None:
            continue
        new_journeys.append(
            JourneyInstance(
                encounter=encounter,
                template=template,
                journey_type=encounter.encounter_type,
                started_at=encounter.admitted_at or now,
            )
        )
    with transaction.atomic():
        if new_journeys:
            bulk_create_with_history(new_journeys, JourneyInstance, batch_size=500)
            stages, arrived = [], []
            by_pk = {encounter.pk: encounter for encounter in encounters}
            for journey in new_journeys:
                for stage in _stage_copies(journey, stage_templates[journey.template_id]):
                    # An encounter in the file has arrived: the stage an A01/A04/A06
                    # would complete is done at its admission time.
                    arrival = [event for event in stage.completes_on if event in ARRIVAL_EVENTS]
                    if arrival:
                        stage.status = StageStatus.COMPLETED
                        stage.completed_at = by_pk[journey.encounter_id].admitted_at
                        stage.event_type = arrival[0]
                        stage.event_reference = (reference or IMPORT_REFERENCE)[:120]
                        arrived.append(stage)
                    stages.append(stage)
            bulk_create_with_history(stages, JourneyStageInstance, batch_size=1000)
            completed.extend(arrived)
            counts["journeys_started"] = len(new_journeys)
            counts["stages_completed"] += len(arrived)
        for encounter in changed_type:
            journey_start(encounter=encounter)

        discharged = {e.pk: e for e in encounters if e.discharged_at and e.status != EncounterStatus.CANCELLED}
        if discharged:
            finished = _bulk_complete_discharge(discharged, reference or IMPORT_REFERENCE)
            completed.extend(finished)
            counts["stages_completed"] += len(finished)
    schedule_stage_surveys(stage_ids=[stage.pk for stage in completed if stage.survey_template_id])
    return counts


def schedule_stage_surveys(*, stage_ids: list) -> int:
    """Hand these completed stages to the listeners (the surveys app invites or suppresses).

    Stages, journeys, encounters and patients are read in one query; each
    listener decides in its own short transactions. Returns how many stages
    the listeners acted on.
    """
    listeners = hooks.listeners()
    if not listeners or not stage_ids:
        return 0
    stages = list(
        JourneyStageInstance.objects.filter(pk__in=stage_ids, status=StageStatus.COMPLETED)
        .select_related("journey__encounter__patient", "journey__encounter__department")
        .order_by("completed_at", "pk")
    )
    return sum(listener.stages_completed(stages) for listener in listeners)


def schedule_missing_surveys(*, encounter_ids: list) -> int:
    """What the listeners missed for completed stages of these encounters.

    A retried batch finds its stages already completed; this picks up the
    invitations a stopped worker did not get to.
    """
    completed = JourneyStageInstance.objects.filter(
        journey__encounter_id__in=encounter_ids, status=StageStatus.COMPLETED
    )
    acted = 0
    for listener in hooks.listeners():
        stage_ids = list(listener.stages_missing_follow_up(completed).values_list("pk", flat=True))
        if stage_ids:
            stages = list(
                JourneyStageInstance.objects.filter(pk__in=stage_ids)
                .select_related("journey__encounter__patient", "journey__encounter__department")
                .order_by("completed_at", "pk")
            )
            acted += listener.stages_completed(stages)
    return acted
