"""Completing a stage schedules a survey; every contact rule suppresses with its reason."""

import datetime as dt

import pytest
from freezegun import freeze_time

from px360.surveys.choices import SuppressionReason, SurveyStatus
from px360.surveys.models import GuardianContact, SurveyInstance, SurveyPolicy
from px360.surveys.services import survey_cancel_pending, survey_schedule_for_stage, surveys_dispatch_due

from ..factories import DepartmentFactory
from .conftest import riyadh

pytestmark = pytest.mark.django_db


@freeze_time("2026-11-20T09:00:00+03:00")
def test_completing_a_stage_with_a_survey_schedules_one_invitation_after_the_delay(
    make_patient, complete_stage, opd_survey
):
    stage = complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0), delay_hours=2)

    instance = survey_schedule_for_stage(stage=stage)

    assert instance.status == SurveyStatus.SCHEDULED
    assert instance.scheduled_at == riyadh(2026, 11, 20, 12, 0)
    assert instance.template == opd_survey
    assert instance.language == "ar"
    assert len(instance.token) >= 22  # 128+ random bits


@freeze_time("2026-11-20T12:00:00+03:00")
def test_scheduling_twice_creates_nothing_new(make_patient, complete_stage, opd_survey):
    stage = complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    first = survey_schedule_for_stage(stage=stage)
    assert first.status == SurveyStatus.SCHEDULED
    second = survey_schedule_for_stage(stage=stage)
    assert first.pk == second.pk
    assert SurveyInstance.objects.count() == 1


def test_a_stage_without_a_survey_schedules_nothing(make_patient, complete_stage):
    stage = complete_stage(make_patient(), survey=None, at=riyadh(2026, 11, 20, 10, 0))
    assert survey_schedule_for_stage(stage=stage) is None
    assert not SurveyInstance.objects.exists()


def _suppressed(instance, reason):
    assert instance.status == SurveyStatus.SUPPRESSED, instance.status
    assert instance.suppression_reason == reason
    assert instance.scheduled_at is None


@freeze_time("2026-11-20T12:00:00+03:00")
def test_deceased_patients_are_not_surveyed(make_patient, complete_stage, opd_survey):
    stage = complete_stage(make_patient(is_deceased=True), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    _suppressed(survey_schedule_for_stage(stage=stage), SuppressionReason.DECEASED)


@freeze_time("2026-11-20T12:00:00+03:00")
def test_minors_are_not_surveyed_without_a_guardian_contact(make_patient, complete_stage, opd_survey):
    child = make_patient(birth_date=dt.date(2015, 1, 1))
    stage = complete_stage(child, survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    _suppressed(survey_schedule_for_stage(stage=stage), SuppressionReason.MINOR)


@freeze_time("2026-11-20T09:00:00+03:00")
def test_a_minor_with_a_guardian_contact_is_surveyed_through_the_guardian(make_patient, complete_stage, opd_survey):
    child = make_patient(birth_date=dt.date(2015, 1, 1), phone="", email="")
    GuardianContact.objects.create(patient=child, relationship="mother", phone="+966509999999")
    stage = complete_stage(child, survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0), delay_hours=0)

    instance = survey_schedule_for_stage(stage=stage)
    assert instance.status == SurveyStatus.SCHEDULED and instance.to_guardian
    with freeze_time("2026-11-20T10:05:00+03:00"):
        surveys_dispatch_due()
    notification = instance.notifications.get()
    assert notification.recipient == "+966509999999"


@freeze_time("2026-11-20T12:00:00+03:00")
def test_patients_opted_out_of_every_channel_are_not_surveyed(make_patient, complete_stage, opd_survey):
    patient = make_patient(opted_out_sms=True, opted_out_whatsapp=True, opted_out_email=True)
    stage = complete_stage(patient, survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    _suppressed(survey_schedule_for_stage(stage=stage), SuppressionReason.OPTED_OUT)


@freeze_time("2026-11-20T12:00:00+03:00")
def test_an_opted_out_channel_is_skipped_for_the_next_one(make_patient, complete_stage, opd_survey):
    patient = make_patient(opted_out_whatsapp=True)
    stage = complete_stage(patient, survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    assert survey_schedule_for_stage(stage=stage).channel == "sms"


@freeze_time("2026-11-20T12:00:00+03:00")
def test_patients_without_a_usable_contact_are_not_surveyed(make_patient, complete_stage, opd_survey):
    stage = complete_stage(make_patient(phone="", email=""), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    _suppressed(survey_schedule_for_stage(stage=stage), SuppressionReason.NO_CONTACT)


@freeze_time("2026-12-10T12:00:00+03:00")
def test_a_visit_that_ended_too_long_ago_is_not_surveyed(make_patient, complete_stage, opd_survey, hospital_a):
    # A back-loaded file, a late HIS message: 20 days after the visit, past the default 14.
    stage = complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    _suppressed(survey_schedule_for_stage(stage=stage), SuppressionReason.TOO_LATE)
    # The limit is the hospital's: at 30 days the same visit is surveyed.
    SurveyPolicy.objects.create(hospital=hospital_a, maximum_visit_age_days=30)
    later = complete_stage(make_patient(mrn="LATE2"), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    assert survey_schedule_for_stage(stage=later).status == SurveyStatus.SCHEDULED


@freeze_time("2026-11-20T12:00:00+03:00")
def test_cancelled_encounters_are_not_surveyed(make_patient, complete_stage, opd_survey):
    stage = complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0), status="cancelled")
    _suppressed(survey_schedule_for_stage(stage=stage), SuppressionReason.CANCELLED_ENCOUNTER)


@freeze_time("2026-11-20T12:00:00+03:00")
def test_excluded_departments_are_not_surveyed(make_patient, complete_stage, opd_survey, hospital_a):
    SurveyPolicy.objects.create(hospital=hospital_a, excluded_department_codes=["PSY"])
    psychiatry = DepartmentFactory(hospital=hospital_a, code="PSY")
    stage = complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0), department=psychiatry)
    _suppressed(survey_schedule_for_stage(stage=stage), SuppressionReason.EXCLUDED_DEPARTMENT)


@freeze_time("2026-11-20T09:00:00+03:00")
def test_a_cancellation_after_the_trigger_cancels_the_pending_invitation_and_its_messages(
    make_patient, complete_stage, opd_survey
):
    stage = complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 8, 0), delay_hours=0)
    instance = survey_schedule_for_stage(stage=stage)
    surveys_dispatch_due()
    assert instance.notifications.get().status == "queued"

    assert survey_cancel_pending(encounter=stage.journey.encounter, reason="A13") == 1

    instance.refresh_from_db()
    assert instance.status == SurveyStatus.CANCELLED and instance.cancel_reason == "A13"
    assert instance.notifications.get().status == "cancelled"
    # A second cancellation finds nothing left to cancel.
    assert survey_cancel_pending(encounter=stage.journey.encounter, reason="A13") == 0


# --- frequency cap and journey priority ------------------------------------------------


def test_one_survey_per_patient_per_30_days(make_patient, complete_stage, opd_survey):
    patient = make_patient()
    with freeze_time("2026-11-01T09:00:00+03:00"):
        first = survey_schedule_for_stage(
            stage=complete_stage(patient, survey=opd_survey, at=riyadh(2026, 11, 1, 8, 0))
        )
    with freeze_time("2026-11-20T09:00:00+03:00"):
        second = survey_schedule_for_stage(
            stage=complete_stage(patient, survey=opd_survey, at=riyadh(2026, 11, 20, 8, 0))
        )
    with freeze_time("2026-12-05T09:00:00+03:00"):
        third = survey_schedule_for_stage(
            stage=complete_stage(patient, survey=opd_survey, at=riyadh(2026, 12, 5, 8, 0))
        )
    assert first.status == SurveyStatus.SCHEDULED
    _suppressed(second, SuppressionReason.FREQUENCY_CAP)
    assert third.status == SurveyStatus.SCHEDULED


def test_the_frequency_period_is_configurable_per_hospital(make_patient, complete_stage, opd_survey, hospital_a):
    SurveyPolicy.objects.create(hospital=hospital_a, frequency_days=7)
    patient = make_patient()
    with freeze_time("2026-11-01T09:00:00+03:00"):
        survey_schedule_for_stage(stage=complete_stage(patient, survey=opd_survey, at=riyadh(2026, 11, 1, 8, 0)))
    with freeze_time("2026-11-10T09:00:00+03:00"):
        later = survey_schedule_for_stage(
            stage=complete_stage(patient, survey=opd_survey, at=riyadh(2026, 11, 10, 8, 0))
        )
    assert later.status == SurveyStatus.SCHEDULED


@freeze_time("2026-11-20T09:00:00+03:00")
def test_an_admission_after_an_ed_visit_gets_only_the_inpatient_survey(make_patient, complete_stage, library):
    patient = make_patient()
    ed = survey_schedule_for_stage(
        stage=complete_stage(
            patient,
            survey=library["emergency-visit"],
            journey_type="EMS",
            at=riyadh(2026, 11, 20, 8, 0),
            delay_hours=24,
        )
    )
    inpatient = survey_schedule_for_stage(
        stage=complete_stage(
            patient, survey=library["inpatient-stay"], journey_type="INPATIENT", at=riyadh(2026, 11, 20, 8, 30)
        )
    )
    ed.refresh_from_db()
    _suppressed(ed, SuppressionReason.SUPERSEDED)
    assert inpatient.status == SurveyStatus.SCHEDULED


@freeze_time("2026-11-20T09:00:00+03:00")
def test_a_lower_priority_journey_never_replaces_a_higher_one(make_patient, complete_stage, library):
    patient = make_patient()
    inpatient = survey_schedule_for_stage(
        stage=complete_stage(
            patient, survey=library["inpatient-stay"], journey_type="INPATIENT", at=riyadh(2026, 11, 20, 8, 0)
        )
    )
    opd = survey_schedule_for_stage(
        stage=complete_stage(patient, survey=library["opd-visit"], journey_type="OPD", at=riyadh(2026, 11, 20, 8, 30))
    )
    assert SurveyInstance.objects.get(pk=inpatient.pk).status == SurveyStatus.SCHEDULED
    _suppressed(opd, SuppressionReason.FREQUENCY_CAP)


def test_an_invitation_already_sent_is_not_replaced_by_a_higher_priority_one(make_patient, complete_stage, library):
    patient = make_patient()
    with freeze_time("2026-11-20T09:00:00+03:00"):
        ed = survey_schedule_for_stage(
            stage=complete_stage(
                patient,
                survey=library["emergency-visit"],
                journey_type="EMS",
                at=riyadh(2026, 11, 20, 8, 0),
                delay_hours=0,
            )
        )
        surveys_dispatch_due()
    with freeze_time("2026-11-22T09:00:00+03:00"):
        inpatient = survey_schedule_for_stage(
            stage=complete_stage(
                patient, survey=library["inpatient-stay"], journey_type="INPATIENT", at=riyadh(2026, 11, 22, 8, 0)
            )
        )
    assert SurveyInstance.objects.get(pk=ed.pk).status == SurveyStatus.INVITED
    _suppressed(inpatient, SuppressionReason.FREQUENCY_CAP)


# --- quiet hours (Asia/Riyadh) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "delay", "expected"),
    [
        (riyadh(2026, 11, 20, 19, 30), 2, riyadh(2026, 11, 21, 8, 0)),  # 21:30 -> next morning
        (riyadh(2026, 11, 20, 23, 0), 4, riyadh(2026, 11, 21, 8, 0)),  # 03:00 -> this morning
        (riyadh(2026, 11, 20, 10, 0), 2, riyadh(2026, 11, 20, 12, 0)),  # daytime: unchanged
        (riyadh(2026, 11, 20, 18, 59), 2, riyadh(2026, 11, 20, 20, 59)),  # just before quiet hours
    ],
)
def test_quiet_hours_move_a_send_to_the_next_allowed_time(
    make_patient, complete_stage, opd_survey, completed, delay, expected
):
    with freeze_time("2026-11-20T06:00:00+03:00"):
        instance = survey_schedule_for_stage(
            stage=complete_stage(make_patient(), survey=opd_survey, at=completed, delay_hours=delay)
        )
    assert instance.scheduled_at == expected


@freeze_time("2026-11-20T06:00:00+03:00")
def test_quiet_hours_are_configurable_per_hospital(make_patient, complete_stage, opd_survey, hospital_a):
    SurveyPolicy.objects.create(hospital=hospital_a, quiet_hours_start=dt.time(22, 0), quiet_hours_end=dt.time(9, 30))
    instance = survey_schedule_for_stage(
        stage=complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 21, 0), delay_hours=2)
    )
    assert instance.scheduled_at == riyadh(2026, 11, 21, 9, 30)


@freeze_time("2026-11-20T09:00:00+03:00")
def test_rules_are_checked_again_when_the_invitation_is_due(make_patient, complete_stage, opd_survey):
    patient = make_patient()
    instance = survey_schedule_for_stage(
        stage=complete_stage(patient, survey=opd_survey, at=riyadh(2026, 11, 20, 8, 0), delay_hours=0)
    )
    patient.is_deceased = True
    patient.save()
    surveys_dispatch_due()
    instance.refresh_from_db()
    assert (instance.status, instance.suppression_reason) == (SurveyStatus.SUPPRESSED, SuppressionReason.DECEASED)
    assert not instance.notifications.exists()


@freeze_time("2026-11-20T12:00:00+03:00")
def test_a_batch_of_stages_gets_one_invitation_each_and_a_fresh_one_after_a_cancellation(
    make_patient, complete_stage, opd_survey
):
    from px360.surveys.services import survey_schedule_for_stages

    new = complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    live = complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    again = complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 10, 0))
    kept = survey_schedule_for_stage(stage=live)
    cancelled = survey_schedule_for_stage(stage=again)
    survey_cancel_pending(encounter=again.journey.encounter, reason="A13")

    assert survey_schedule_for_stages(stages=[new, live, again]) == 3
    assert SurveyInstance.objects.filter(journey_stage=new).get().trigger_key == f"stage:{new.pk}"
    assert list(SurveyInstance.objects.filter(journey_stage=live)) == [kept]  # nothing new for a live one
    fresh = SurveyInstance.objects.filter(journey_stage=again).exclude(pk=cancelled.pk).get()
    assert fresh.trigger_key == f"stage:{again.pk}:2" and fresh.status == SurveyStatus.SCHEDULED
    # Twice is harmless.
    survey_schedule_for_stages(stages=[new, live, again])
    assert SurveyInstance.objects.count() == 4
