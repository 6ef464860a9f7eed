"""Imported encounters reach the journey engine after the import commits."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from px360.journeys.engine import sync_encounters
from px360.journeys.library import load_journey_templates
from px360.journeys.models import Encounter, JourneyInstance
from px360.journeys.services import encounter_import

from ..factories import valid_national_id
from .conftest import csv_bytes, row, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates(db):
    load_journey_templates()


def test_an_imported_discharge_completes_the_discharge_stage_like_an_a03(
    importer, media, templates, django_capture_on_commit_callbacks
):
    rows = [
        row(encounter_number="IN-1", encounter_type="INPATIENT", discharged_at="2026-11-03T10:30"),
        row(encounter_number="IN-2", encounter_type="INPATIENT", discharged_at="", patient_mrn="M2"),
        row(encounter_number="OP-1", encounter_type="OPD", discharged_at="2026-11-01T11:00", patient_mrn="M3"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        job = encounter_import(file=upload(csv_bytes(rows)), user=importer)
    assert job.status == "done"
    journeys = {j.encounter.encounter_number: j for j in JourneyInstance.objects.select_related("encounter")}
    assert set(journeys) == {"IN-1", "IN-2", "OP-1"}
    discharge = journeys["IN-1"].stages.get(code="discharge")
    assert discharge.status == "completed" and discharge.event_type == "A03"
    assert discharge.completed_at == Encounter.objects.get(encounter_number="IN-1").discharged_at
    assert journeys["IN-2"].stages.get(code="discharge").status == "pending"
    assert journeys["OP-1"].stages.get(code="end_of_visit").status == "completed"
    # An encounter in the file has arrived: its admission stage is done at admission time.
    admission = journeys["IN-1"].stages.get(code="admission")
    assert admission.status == "completed" and admission.event_type == "A01"
    assert admission.completed_at == Encounter.objects.get(encounter_number="IN-1").admitted_at
    assert journeys["IN-1"].status == "completed"
    assert journeys["IN-2"].status == "active"


def test_reimporting_the_same_file_starts_nothing_new(importer, media, templates, django_capture_on_commit_callbacks):
    data = csv_bytes([row(encounter_number="R-1")])
    with django_capture_on_commit_callbacks(execute=True):
        encounter_import(file=upload(data), user=importer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        encounter_import(file=upload(data), user=importer)
    assert JourneyInstance.objects.count() == 1
    assert not any("journeys" in repr(callback) for callback in callbacks)


def test_journey_sync_queries_do_not_grow_per_encounter(importer, media, templates):
    def load(prefix, count):
        rows = [row(encounter_number=f"{prefix}{n}", patient_mrn=f"{prefix}M{n}") for n in range(count)]
        job = encounter_import(file=upload(csv_bytes(rows), name=f"{prefix}.csv"), user=importer)
        return list(Encounter.objects.filter(import_job=job).values_list("pk", flat=True))

    small, large = load("S", 10), load("L", 60)
    with CaptureQueriesContext(connection) as few:
        sync_encounters(encounter_ids=small)
    with CaptureQueriesContext(connection) as many:
        sync_encounters(encounter_ids=large)

    def reads_and_updates(context):
        return [
            q["sql"][:30]
            for q in context.captured_queries
            if not q["sql"].startswith(("INSERT", "SAVEPOINT", "RELEASE"))
        ]

    # Reads and updates are per batch; inserts are bulk, split only by the
    # database's parameter limit.
    assert reads_and_updates(many) == reads_and_updates(few)
    assert len(many.captured_queries) <= len(few.captured_queries) + 10
    assert JourneyInstance.objects.count() == 70


@pytest.fixture
def surveyed_templates(db):
    """The shipped journeys, with the shipped surveys on their last stages (as in the demo)."""
    from px360.surveys.demo import load_surveys

    load_journey_templates()
    load_surveys()


# The visits ended at 11:00 and the import runs that afternoon: recent enough to survey
# (a hospital surveys visits up to 14 days old), so each stage gets a scheduled invitation.
VISITS_ENDED = "2026-11-01T11:00"
IMPORTED_AT = "2026-11-01T15:00:00+03:00"


def _discharged_visits(count):
    """Visits of ``count`` different people (one survey per person per 30 days)."""
    return [
        row(
            encounter_number=f"V-{n}",
            encounter_type="OPD",
            patient_mrn=f"VM{n}",
            patient_national_id=valid_national_id(7000 + n),
            discharged_at=VISITS_ENDED,
        )
        for n in range(count)
    ]


def _scheduled_invitations(job):
    from px360.surveys.models import SurveyInstance

    invitations = SurveyInstance.objects.filter(journey_stage__journey__encounter__import_job=job)
    return sorted(
        (i.journey_stage.journey.encounter.encounter_number, i.status, i.suppression_reason) for i in invitations
    )


@freeze_time(IMPORTED_AT)
@pytest.mark.django_db(transaction=True)
def test_surveys_of_imported_stages_are_decided_after_the_batch_commits(
    importer, media, surveyed_templates, monkeypatch
):
    # On SQLite a batch-long write transaction locked the web server out: each
    # invitation is decided in a transaction of its own, after the batch's.
    from px360.journeys import services as journey_services
    from px360.surveys import services as survey_services

    depths = []
    original = survey_services.survey_create

    def spy(**kwargs):
        depths.append(len(connection.atomic_blocks))
        return original(**kwargs)

    monkeypatch.setattr(survey_services, "survey_create", spy)
    monkeypatch.setattr(journey_services, "_queue_journeys", lambda job: None)  # run it here instead
    job = encounter_import(file=upload(csv_bytes(_discharged_visits(3))), user=importer)
    totals = journey_services.journeys_for_import(job=job)
    assert totals["journeys_started"] == 3 and totals["surveys_recovered"] == 0
    assert depths == [0, 0, 0]
    assert _scheduled_invitations(job) == [(f"V-{n}", "scheduled", "") for n in range(3)]


@freeze_time(IMPORTED_AT)
def test_a_retried_journey_batch_schedules_the_surveys_a_stopped_worker_missed(importer, media, surveyed_templates):
    from px360.journeys import engine
    from px360.journeys import services as journey_services
    from px360.surveys.models import SurveyInstance

    job = encounter_import(file=upload(csv_bytes(_discharged_visits(2))), user=importer)
    original = engine.schedule_stage_surveys

    def stopped(**kwargs):
        raise RuntimeError("the worker stopped after the batch committed")

    engine.schedule_stage_surveys = stopped
    try:
        with pytest.raises(RuntimeError):
            journey_services.journeys_for_import(job=job)
    finally:
        engine.schedule_stage_surveys = original
    assert JourneyInstance.objects.count() == 2 and not SurveyInstance.objects.exists()
    totals = journey_services.journeys_for_import(job=job)  # the task, retried
    assert totals["journeys_started"] == 0 and totals["surveys_recovered"] == 2
    assert _scheduled_invitations(job) == [("V-0", "scheduled", ""), ("V-1", "scheduled", "")]
    # Nothing is left to recover: a third run changes nothing.
    assert journey_services.journeys_for_import(job=job)["surveys_recovered"] == 0
    assert SurveyInstance.objects.count() == 2
