"""History rows written by a background job name the person who started it."""

import pytest

from px360.core.history import acting_user, history_user
from px360.journeys.journey_models import JourneyInstance, JourneyStageInstance
from px360.journeys.library import load_journey_templates
from px360.journeys.models import Encounter
from px360.journeys.services import encounter_import

from .conftest import csv_bytes, row, upload

pytestmark = pytest.mark.django_db


def test_the_journeys_an_import_starts_name_who_ran_the_import(importer, media, django_capture_on_commit_callbacks):
    load_journey_templates()
    rows = [row(encounter_number="H-1", encounter_type="INPATIENT", discharged_at="2026-11-03T10:30")]
    with django_capture_on_commit_callbacks(execute=True):
        job = encounter_import(file=upload(csv_bytes(rows)), user=importer)
    assert job.status == "done"
    encounter = Encounter.objects.get(encounter_number="H-1")
    journey = JourneyInstance.objects.get(encounter=encounter)
    journey_rows = list(journey.history.all())
    stage_rows = list(JourneyStageInstance.history.filter(journey_id=journey.pk))
    assert journey_rows and stage_rows
    assert {entry.history_user for entry in journey_rows + stage_rows} == {importer}
    assert {entry.history_user for entry in encounter.history.all()} == {importer}


def test_outside_a_job_and_a_request_nobody_is_named(importer):
    assert history_user() is None
    with acting_user(importer):
        assert history_user() == importer
        with acting_user(None):
            assert history_user() is None
        assert history_user() == importer
    assert history_user() is None
