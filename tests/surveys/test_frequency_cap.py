"""One survey per patient per 30 days, across journeys and hospitals (DOMAIN.md, contact rules).

The period runs from the moment the earlier visit's stage ended (the earlier
invitation's trigger) to the moment a new invitation is decided. Within it a
new stage gets no invitation unless the earlier one is still waiting to be sent
and belongs to a lower-priority journey (inpatient over emergency over
outpatient), in which case the earlier one gives way. Invitations that were
scheduled, sent, opened, answered or left to expire all use up the period;
suppressed and cancelled ones never reached the patient and do not. The same
person is recognised in every hospital of the group by national ID.

Every decision here is taken at a frozen moment: each stage ends at ``at`` and is
decided an hour later, so the 14-day "visit too old" rule never interferes.
"""

import datetime as dt

import pytest
from django.http import QueryDict
from freezegun import freeze_time

from px360.surveys.choices import SuppressionReason, SurveyStatus
from px360.surveys.models import SurveyInstance, SurveyPolicy
from px360.surveys.services import (
    survey_cancel_pending,
    survey_open,
    survey_schedule_for_stage,
    survey_submit,
    surveys_dispatch_due,
    surveys_expire,
)

from ..factories import valid_national_id
from .conftest import riyadh

pytestmark = pytest.mark.django_db

FIRST_VISIT = riyadh(2026, 11, 1, 8, 0)


@pytest.fixture
def survey_at(complete_stage, library):
    """Complete a stage of ``journey_type`` at ``at`` and decide its invitation with the clock at ``decided``."""

    def survey(patient, at, *, journey_type="OPD", decided=None, status="discharged"):
        template = {"OPD": "nps-only", "EMS": "emergency-visit", "INPATIENT": "inpatient-stay"}[journey_type]
        with freeze_time(decided or at + dt.timedelta(hours=1)):
            stage = complete_stage(
                patient, survey=library[template], at=at, journey_type=journey_type, delay_hours=0, status=status
            )
            return survey_schedule_for_stage(stage=stage)

    return survey


def assert_scheduled(instance):
    assert (instance.status, instance.suppression_reason) == (SurveyStatus.SCHEDULED, ""), instance.suppression_reason
    assert instance.scheduled_at is not None


def assert_capped(instance):
    assert (instance.status, instance.suppression_reason) == (SurveyStatus.SUPPRESSED, SuppressionReason.FREQUENCY_CAP)
    assert instance.scheduled_at is None


# --- the length of the period -------------------------------------------------------------


@pytest.mark.parametrize(
    ("later", "outcome"),
    [
        (FIRST_VISIT + dt.timedelta(days=1), assert_capped),
        (FIRST_VISIT + dt.timedelta(days=29), assert_capped),
        (FIRST_VISIT + dt.timedelta(days=30), assert_scheduled),
        (FIRST_VISIT + dt.timedelta(days=31), assert_scheduled),
    ],
    ids=["1 day", "29 days", "30 days", "31 days"],
)
def test_a_second_visit_is_surveyed_only_30_days_after_the_first(make_patient, survey_at, later, outcome):
    patient = make_patient()
    assert_scheduled(survey_at(patient, FIRST_VISIT))
    outcome(survey_at(patient, later))


@pytest.mark.parametrize(
    ("decided", "outcome"),
    [
        (FIRST_VISIT + dt.timedelta(days=30, minutes=-1), assert_capped),
        (FIRST_VISIT + dt.timedelta(days=30, minutes=1), assert_scheduled),
    ],
    ids=["a minute before", "a minute after"],
)
def test_the_period_ends_30_days_to_the_minute_after_the_earlier_visit_ended(make_patient, survey_at, decided, outcome):
    patient = make_patient()
    survey_at(patient, FIRST_VISIT)
    outcome(survey_at(patient, decided, decided=decided))


def test_a_hospital_with_a_shorter_period_surveys_again_sooner(make_patient, survey_at, hospital_a):
    SurveyPolicy.objects.create(hospital=hospital_a, frequency_days=7)
    patient = make_patient()
    survey_at(patient, FIRST_VISIT)
    assert_capped(survey_at(patient, FIRST_VISIT + dt.timedelta(days=6)))
    assert_scheduled(survey_at(patient, FIRST_VISIT + dt.timedelta(days=8)))


def test_a_hospital_may_turn_the_cap_off(make_patient, survey_at, hospital_a):
    SurveyPolicy.objects.create(hospital=hospital_a, frequency_days=0)
    patient = make_patient()
    survey_at(patient, FIRST_VISIT)
    assert_scheduled(survey_at(patient, FIRST_VISIT + dt.timedelta(days=1)))


# --- the same person in another hospital ------------------------------------------------------


def test_the_same_person_in_another_hospital_is_the_same_patient_for_the_cap(make_patient, survey_at, hospital_b):
    national_id = valid_national_id(424242)
    in_a = make_patient(national_id=national_id, mrn="A-1")
    in_b = make_patient(hospital=hospital_b, national_id=national_id, mrn="B-77")
    assert_scheduled(survey_at(in_a, FIRST_VISIT))
    assert_capped(survey_at(in_b, FIRST_VISIT + dt.timedelta(days=10)))
    assert_scheduled(survey_at(in_b, FIRST_VISIT + dt.timedelta(days=31)))


def test_an_admission_in_another_hospital_replaces_a_pending_outpatient_survey(make_patient, survey_at, hospital_b):
    national_id = valid_national_id(515151)
    outpatient = survey_at(make_patient(national_id=national_id), FIRST_VISIT, decided=FIRST_VISIT)
    inpatient = survey_at(
        make_patient(hospital=hospital_b, national_id=national_id),
        FIRST_VISIT + dt.timedelta(minutes=30),
        journey_type="INPATIENT",
        decided=FIRST_VISIT + dt.timedelta(minutes=30),
    )
    assert_scheduled(inpatient)
    outpatient.refresh_from_db()
    assert (outpatient.status, outpatient.suppression_reason) == (SurveyStatus.SUPPRESSED, SuppressionReason.SUPERSEDED)


def test_other_people_do_not_use_up_a_patients_period(make_patient, survey_at, hospital_b):
    survey_at(make_patient(national_id=valid_national_id(111)), FIRST_VISIT)
    someone_else = make_patient(hospital=hospital_b, national_id=valid_national_id(222))
    assert_scheduled(survey_at(someone_else, FIRST_VISIT + dt.timedelta(days=2)))


def test_patients_without_a_national_id_are_not_taken_for_one_another(make_patient, survey_at, hospital_b):
    survey_at(make_patient(national_id="", mrn="NO-ID-1"), FIRST_VISIT)
    assert_scheduled(survey_at(make_patient(national_id="", mrn="NO-ID-2"), FIRST_VISIT + dt.timedelta(days=2)))
    assert_scheduled(
        survey_at(make_patient(hospital=hospital_b, national_id="", mrn="NO-ID-1"), FIRST_VISIT + dt.timedelta(days=3))
    )


# --- which earlier invitations use up the period ----------------------------------------------


def _earlier_invitation(patient, survey_at, status) -> SurveyInstance:
    """An earlier OPD invitation of ``patient`` brought to ``status`` the way it happens in production."""
    if status == SurveyStatus.SUPPRESSED:  # the encounter was cancelled before the trigger was decided
        instance = survey_at(patient, FIRST_VISIT, status="cancelled")
        assert instance.suppression_reason == SuppressionReason.CANCELLED_ENCOUNTER
        return instance
    instance = survey_at(patient, FIRST_VISIT)
    if status == SurveyStatus.CANCELLED:  # HL7 A13 before it was sent
        survey_cancel_pending(encounter=instance.encounter, reason="A13")
    elif status != SurveyStatus.SCHEDULED:
        with freeze_time(FIRST_VISIT + dt.timedelta(hours=2)):
            surveys_dispatch_due()
            instance.refresh_from_db()
            if status in (SurveyStatus.OPENED, SurveyStatus.COMPLETED):
                survey_open(instance=instance)
            if status == SurveyStatus.COMPLETED:
                survey_submit(instance=instance, data=QueryDict("q_recommend=9"))
        if status == SurveyStatus.EXPIRED:  # the link lasts 7 days by default
            with freeze_time(FIRST_VISIT + dt.timedelta(days=8)):
                assert surveys_expire() == 1
    instance.refresh_from_db()
    assert instance.status == status
    return instance


@pytest.mark.parametrize(
    ("earlier_status", "outcome"),
    [
        (SurveyStatus.SCHEDULED, assert_capped),
        (SurveyStatus.INVITED, assert_capped),
        (SurveyStatus.OPENED, assert_capped),
        (SurveyStatus.COMPLETED, assert_capped),
        (SurveyStatus.EXPIRED, assert_capped),
        (SurveyStatus.SUPPRESSED, assert_scheduled),
        (SurveyStatus.CANCELLED, assert_scheduled),
    ],
)
def test_what_an_earlier_invitation_became_decides_whether_it_uses_up_the_period(
    make_patient, survey_at, earlier_status, outcome
):
    """Answered and ignored (expired) invitations reached the patient and count; suppressed and
    cancelled ones never did and leave the patient free to be surveyed."""
    patient = make_patient()
    _earlier_invitation(patient, survey_at, earlier_status)
    outcome(survey_at(patient, FIRST_VISIT + dt.timedelta(days=12)))


# --- journey priority: inpatient over emergency over outpatient -------------------------------


@pytest.mark.parametrize(
    ("earlier_type", "later_type", "earlier_gives_way"),
    [
        ("OPD", "EMS", True),
        ("OPD", "INPATIENT", True),
        ("EMS", "INPATIENT", True),
        ("EMS", "OPD", False),
        ("INPATIENT", "OPD", False),
        ("INPATIENT", "EMS", False),
        ("OPD", "OPD", False),
        ("EMS", "EMS", False),
        ("INPATIENT", "INPATIENT", False),
    ],
)
def test_a_pending_invitation_gives_way_only_to_a_higher_priority_journey(
    make_patient, survey_at, earlier_type, later_type, earlier_gives_way
):
    patient = make_patient()
    earlier = survey_at(patient, FIRST_VISIT, journey_type=earlier_type, decided=FIRST_VISIT)
    later = survey_at(
        patient,
        FIRST_VISIT + dt.timedelta(hours=5),
        journey_type=later_type,
        decided=FIRST_VISIT + dt.timedelta(hours=5),
    )
    earlier.refresh_from_db()
    if earlier_gives_way:
        assert (earlier.status, earlier.suppression_reason) == (SurveyStatus.SUPPRESSED, SuppressionReason.SUPERSEDED)
        assert earlier.scheduled_at is None
        assert_scheduled(later)
    else:
        assert_scheduled(earlier)
        assert_capped(later)
