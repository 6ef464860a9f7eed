"""The import job page follows a background job to its end, and a checked file is confirmed once.

A data team member uploads a large file (checked by the job cluster), reads the
result, confirms, and watches it being saved. The page's status address says
where the job is at every step; the confirm button goes away the moment the
import is confirmed, and a second confirmation (a double click, a second tab) is
refused by the server, so the file is queued once.
"""

import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.journeys.choices import JobStatus
from px360.journeys.models import Encounter, ImportJob

from .conftest import csv_bytes, row, upload

pytestmark = pytest.mark.django_db

ROWS = [row(encounter_number=f"E{n}", patient_mrn=f"M{n}") for n in range(4)]


def status_of(client, job, language="en"):
    response = client.get(f"/{language}/admin/journeys/importjob/{job.pk}/status/")
    assert response.status_code == 200
    return response.json()


def page_of(client, job, language="en"):
    response = client.get(f"/{language}/admin/journeys/importjob/{job.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def confirm_url(job, language="en"):
    return f"/{language}/admin/journeys/importjob/{job.pk}/confirm/"


@pytest.fixture
def background(settings):
    settings.PX360_IMPORT_BACKGROUND_BYTES = 10  # every file is "large"


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """Tasks queued by a request, held back as the job cluster would until it gets to them."""

    class Queue:
        def __init__(self):
            self.held = []

        def request(self, call, *args, **kwargs):
            with django_capture_on_commit_callbacks() as callbacks:
                response = call(*args, **kwargs)
            self.held.extend(callbacks)
            return response

        def run(self):
            held, self.held = self.held, []
            for callback in held:
                callback()
            return len(held)

    return Queue()


def test_the_page_follows_a_background_import_from_upload_to_saved(client, importer, media, background, queued):
    client.force_login(importer)
    response = queued.request(
        client.post, "/en/admin/journeys/encounter/import/", {"import_file": upload(csv_bytes(ROWS)), "mode": "all"}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302

    # Waiting for the job cluster to check the file.
    status = status_of(client, job)
    assert (status["phase"], status["finished"], status["can_confirm"]) == ("pending", False, False)
    page = page_of(client, job)
    assert "This page updates by itself while the job runs." in page and 'id="px-job-confirm"' not in page

    assert queued.run() == 1  # the check
    status = status_of(client, job)
    assert (status["phase"], status["finished"], status["can_confirm"]) == ("validated", True, True)
    assert status["status_display"] == "Checked, waiting for confirmation"
    assert status["counts"] == {"new": 4, "updated": 0, "unchanged": 0, "rejected": 0}
    page = page_of(client, job)
    assert f'action="{confirm_url(job)}"' in page and "Confirm import" in page

    # Confirmed: queued for the job cluster. The button is gone and the page keeps following the job.
    response = queued.request(client.post, confirm_url(job))
    assert response.status_code == 302 and response["Location"].endswith(f"/importjob/{job.pk}/change/")
    job.refresh_from_db()
    assert job.status == JobStatus.VALIDATED and job.confirmed_at is not None
    status = status_of(client, job)
    assert (status["phase"], status["finished"], status["can_confirm"]) == ("confirmed", False, False)
    assert status["status_display"] == "Confirmed, waiting to be saved"
    page = page_of(client, job)
    assert 'id="px-job-confirm"' not in page and "Confirm import" not in page
    assert 'id="px-job-confirmed"' in page and 'data-running="1"' in page
    assert not Encounter.objects.exists()

    assert queued.run() == 1  # the save
    status = status_of(client, job)
    assert (status["phase"], status["finished"], status["progress"]) == ("done", True, 100)
    assert status["counts"]["new"] == 4
    page = page_of(client, job)
    assert 'id="px-job-result"' in page and "4 new, 0 updated, 0 unchanged, 0 rejected." in page
    assert 'data-running=""' in page
    assert Encounter.objects.count() == 4


def test_a_second_confirmation_is_refused_and_the_file_is_queued_once(client, importer, media, background, queued):
    client.force_login(importer)
    queued.request(
        client.post, "/en/admin/journeys/encounter/import/", {"import_file": upload(csv_bytes(ROWS)), "mode": "all"}
    )
    queued.run()
    job = ImportJob.objects.get()
    queued.request(client.post, confirm_url(job))
    again = queued.request(client.post, confirm_url(job), follow=True)
    assert "This import was already confirmed; it is not saved twice." in again.content.decode()
    # The encounter admin's own confirm address refuses it too.
    queued.request(client.post, reverse("admin:journeys_encounter_process_import"), {"job": str(job.pk)})
    assert queued.run() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Encounter.objects.count() == 4


def test_a_small_file_is_saved_at_once_when_confirmed(client, importer, media):
    client.force_login(importer)
    client.post("/en/admin/journeys/encounter/import/", {"import_file": upload(csv_bytes(ROWS)), "mode": "all"})
    job = ImportJob.objects.get()
    page = client.post(confirm_url(job), follow=True).content.decode()
    assert "Import finished: 4 new, 0 updated, 0 unchanged, 0 rejected." in page
    assert status_of(client, job)["phase"] == "done"
    assert client.post(confirm_url(job)).status_code == 302  # refused, nothing more
    assert Encounter.objects.count() == 4


def test_a_refused_confirmation_leaves_the_import_confirmable_in_the_other_mode(client, importer, media):
    client.force_login(importer)
    rows = [*ROWS, row(encounter_number="BAD", encounter_type="X")]
    client.post("/en/admin/journeys/encounter/import/", {"import_file": upload(csv_bytes(rows)), "mode": "all"})
    job = ImportJob.objects.get()
    refused = client.post(confirm_url(job), follow=True).content.decode()
    assert "1 rows have problems" in refused
    job.refresh_from_db()
    assert job.confirmed_at is None and job.status == JobStatus.VALIDATED
    client.post(confirm_url(job), {"mode": "valid"})
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Encounter.objects.count() == 4


def test_confirming_takes_a_post_by_the_importer(client, importer, make_user, hospital_a, media):
    client.force_login(importer)
    client.post("/en/admin/journeys/encounter/import/", {"import_file": upload(csv_bytes(ROWS)), "mode": "all"})
    job = ImportJob.objects.get()
    assert client.get(confirm_url(job)).status_code == 405
    colleague = make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="colleague")
    client.force_login(colleague)
    assert status_of(client, job)["can_confirm"] is False
    assert client.post(confirm_url(job)).status_code == 403
    job.refresh_from_db()
    assert job.confirmed_at is None and not Encounter.objects.exists()


@pytest.mark.parametrize(
    "outsider",
    ["hospital_admin_of_b", "coordinator_of_b", "viewer_of_a"],
)
def test_the_status_and_confirm_addresses_of_a_job_are_404_to_whom_may_not_see_it(
    client, importer, make_user, hospital_a, hospital_b, media, outsider
):
    job = ImportJob.objects.create(user=importer, hospital=hospital_a, status=JobStatus.VALIDATED, new_count=3)
    role, hospital = {
        "hospital_admin_of_b": (RoleCode.HOSPITAL_ADMIN, hospital_b),
        "coordinator_of_b": (RoleCode.PX_COORDINATOR, hospital_b),
        "viewer_of_a": (RoleCode.VIEWER, hospital_a),
    }[outsider]
    client.force_login(make_user(role, hospital=hospital))
    assert client.get(f"/en/admin/journeys/importjob/{job.pk}/status/").status_code == 404
    assert client.post(confirm_url(job)).status_code in (403, 404)
    assert client.get(f"/en/admin/journeys/importjob/{job.pk}/change/").status_code in (403, 404)
    job.refresh_from_db()
    assert job.confirmed_at is None


def test_a_failed_job_stops_the_page_following_it(client, importer, media):
    job = ImportJob.objects.create(
        user=importer, hospital=importer.hospital, status=JobStatus.FAILED, failure_reason="The file broke."
    )
    client.force_login(importer)
    status = status_of(client, job)
    assert (status["phase"], status["finished"]) == ("failed", True)
    page = page_of(client, job)
    assert 'id="px-job-failed"' in page and 'data-running=""' in page


def test_a_saved_import_links_to_its_encounters_when_the_encounter_list_offers_that_filter(client, importer, media):
    from unittest import mock

    from px360.journeys.admin.encounter import EncounterAdmin

    client.force_login(importer)
    client.post("/en/admin/journeys/encounter/import/", {"import_file": upload(csv_bytes(ROWS)), "mode": "all"})
    job = ImportJob.objects.get()
    client.post(confirm_url(job))
    with mock.patch.object(EncounterAdmin, "lookup_allowed", return_value=True):
        page = page_of(client, job)
    assert f"/en/admin/journeys/encounter/?import_job__id__exact={job.pk}" in page
    with mock.patch.object(EncounterAdmin, "lookup_allowed", return_value=False):
        page = page_of(client, job)
    assert 'id="px-job-rows"' not in page and 'id="px-job-result"' in page
