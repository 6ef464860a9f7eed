"""Whoever confirmed a large import is told when the job cluster has saved it."""

import pytest
from django.urls import reverse

from px360.journeys.choices import JobStatus
from px360.journeys.models import ImportJob
from px360.notifications.models import StaffNotice

from .conftest import csv_bytes, row, upload

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:journeys_encounter_import")
CONFIRM_URL = reverse("admin:journeys_encounter_process_import")


def test_whoever_confirmed_a_background_import_is_told_when_it_is_in(
    client, importer, media, settings, django_capture_on_commit_callbacks
):
    settings.PX360_IMPORT_BACKGROUND_BYTES = 10  # every file goes to the job cluster
    client.force_login(importer)
    rows = [row(encounter_number="N-1"), row(encounter_number="N-2", patient_mrn="M-2")]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(IMPORT_URL, {"import_file": upload(csv_bytes(rows)), "mode": "all"})
    job = ImportJob.objects.get()
    assert not StaffNotice.objects.exists()  # checked, not yet saved: nothing to tell

    with django_capture_on_commit_callbacks(execute=True):
        client.post(CONFIRM_URL, {"job": str(job.pk)})

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    (notice,) = StaffNotice.objects.all()
    assert notice.user == importer and notice.kind == "journeys.import_finished"
    assert notice.params["new"] == 2 and notice.params["rejected"] == 0
    assert notice.link == reverse("admin:journeys_importjob_change", args=[job.pk])


def test_a_small_import_saved_while_the_user_watches_sends_no_notice(client, importer, media):
    client.force_login(importer)
    client.post(IMPORT_URL, {"import_file": upload(csv_bytes([row(encounter_number="S-1")])), "mode": "all"})
    client.post(CONFIRM_URL, {"job": str(ImportJob.objects.get().pk)})
    assert ImportJob.objects.get().status == JobStatus.DONE
    assert not StaffNotice.objects.exists()
