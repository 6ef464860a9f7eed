"""All or nothing when the confirm step has to check the file again.

The admin checks an upload, stores the result (the plan) and writes it when the
importer confirms. If the stored plan cannot be used at confirm time (it is gone,
its signature no longer matches after a key rotation, it was stored by an earlier
version, or the upload changed), the file is checked again against the database
as it is *now*. Rows that were valid at upload time may have become bad in
between (their department or physician was deleted); in "all or nothing" mode
the job then fails with a reason the importer can read, and nothing at all is
written: no patients, no encounters, no history rows.
"""

import hashlib
import hmac
import pickle

import pytest
from django.urls import reverse

from px360.journeys.choices import JobStatus
from px360.journeys.importer.records import Plan
from px360.journeys.models import Encounter, ImportJob
from px360.organizations.models import Patient

from ..factories import DepartmentFactory, PhysicianFactory
from .conftest import csv_bytes, row, upload

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:journeys_encounter_import")
CONFIRM_URL = reverse("admin:journeys_encounter_process_import")
# The importer's language is the site default (Arabic): the reason is shown in it.
REASON_AR = "ظهرت في الملف مشكلات لم تكن موجودة عند فحصه."


@pytest.fixture
def surgery(hospital_a):
    return DepartmentFactory(hospital=hospital_a, code="SURG", name_en="Surgery", name_ar="الجراحة")


@pytest.fixture
def surgeon(hospital_a, surgery):
    return PhysicianFactory(hospital=hospital_a, department=surgery, license_number="LICS1")


def two_good_rows():
    """Two rows valid at upload time; the second depends on Surgery and its surgeon."""
    return [
        row(encounter_number="E1", patient_mrn="M1"),
        row(
            encounter_number="E2",
            patient_mrn="M2",
            patient_national_id="",
            department_code="SURG",
            physician_license="LICS1",
        ),
    ]


def _delete_department(surgery, surgeon):
    surgery.delete()


def _delete_physician(surgery, surgeon):
    surgeon.delete()


def _keep_the_plan(job, settings):
    """The stored check result is intact; what it points at changed."""


def _lose_the_plan(job, settings):
    """The stored check result is gone (media cleaned up, another worker's disk)."""
    (settings.MEDIA_ROOT / job.plan_path).unlink()


def _rotate_the_secret_key(job, settings):
    """The plan's signature was made with the old key: it is not trusted any more."""
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 50


class _PlanOfAnEarlierShape:
    """A plan as the import pickled it before it had named records: attributes in a dict, rows as plain tuples."""

    def __init__(self, hospital_id):
        self.state = {"encounters": [(2, hospital_id, "E1", "OPD", "M1", None, None, None, None)], "patients": {}}

    def __reduce__(self):
        return (object.__new__, (Plan,), self.state)


def _store_a_plan_of_an_earlier_shape(job, settings):
    """The stored plan is signed but was pickled by an earlier version: it is not used."""
    data = pickle.dumps(_PlanOfAnEarlierShape(job.hospital_id), protocol=pickle.HIGHEST_PROTOCOL)
    (settings.MEDIA_ROOT / job.plan_path).write_bytes(data)
    digest = hmac.new(settings.SECRET_KEY.encode(), data, hashlib.sha256).hexdigest()
    ImportJob.objects.filter(pk=job.pk).update(plan_digest=digest)


def _replace_the_upload(job, settings):
    """The stored upload no longer has the checksum it was checked with."""
    path = settings.MEDIA_ROOT / job.file.name
    path.write_bytes(path.read_bytes() + b"\n")


def assert_nothing_written():
    assert not Encounter.all_objects.exists()
    assert not Patient.all_objects.exists()
    assert not Encounter.history.exists()
    assert not Patient.history.exists()


@pytest.mark.parametrize("change", [_delete_department, _delete_physician], ids=["department", "physician"])
@pytest.mark.parametrize(
    "stored_plan",
    [_keep_the_plan, _lose_the_plan, _rotate_the_secret_key, _store_a_plan_of_an_earlier_shape, _replace_the_upload],
    ids=["kept", "lost", "key", "shape", "file"],
)
def test_a_row_that_turned_bad_between_check_and_confirm_fails_the_whole_import(
    client, importer, media, settings, surgery, surgeon, change, stored_plan
):
    client.force_login(importer)
    client.post(IMPORT_URL, {"import_file": upload(csv_bytes(two_good_rows())), "mode": "all"})
    job = ImportJob.objects.get()
    assert (job.status, job.new_count, job.rejected_count) == (JobStatus.VALIDATED, 2, 0)
    assert job.can_confirm

    change(surgery, surgeon)
    stored_plan(job, settings)
    response = client.post(CONFIRM_URL, {"job": str(job.pk)}, follow=True)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.failure_reason == REASON_AR
    assert REASON_AR in response.content.decode()
    assert_nothing_written()


def test_a_background_import_that_turned_bad_before_it_ran_fails_and_writes_nothing(
    client, importer, media, settings, surgery, surgeon, django_capture_on_commit_callbacks
):
    settings.PX360_IMPORT_BACKGROUND_BYTES = 10  # every file is checked and written by the job cluster
    client.force_login(importer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(IMPORT_URL, {"import_file": upload(csv_bytes(two_good_rows())), "mode": "all"})
    job = ImportJob.objects.get()
    assert job.background and job.status == JobStatus.VALIDATED and job.can_confirm

    surgery.delete()
    _lose_the_plan(job, settings)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CONFIRM_URL, {"job": str(job.pk)})

    job.refresh_from_db()
    assert (job.status, job.failure_reason) == (JobStatus.FAILED, REASON_AR)
    status = client.get(reverse("admin:journeys_importjob_status", args=[job.pk])).json()
    assert status["status"] == "failed" and status["finished"]
    assert_nothing_written()


def test_the_same_re_check_still_writes_a_file_that_is_still_good(client, importer, media, settings, surgery, surgeon):
    """The guard refuses only what turned bad: a lost plan alone does not stop an import."""
    client.force_login(importer)
    client.post(IMPORT_URL, {"import_file": upload(csv_bytes(two_good_rows())), "mode": "all"})
    job = ImportJob.objects.get()

    _lose_the_plan(job, settings)
    client.post(CONFIRM_URL, {"job": str(job.pk)})

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert set(Encounter.objects.values_list("encounter_number", "department__code")) == {("E1", "MED"), ("E2", "SURG")}


def test_a_background_import_whose_importer_lost_the_hospital_before_it_ran_writes_nothing(
    client, importer, media, settings, surgery, surgeon, hospital_b, django_capture_on_commit_callbacks
):
    settings.PX360_IMPORT_BACKGROUND_BYTES = 10
    client.force_login(importer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(IMPORT_URL, {"import_file": upload(csv_bytes(two_good_rows())), "mode": "all"})
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks() as queued:
        client.post(CONFIRM_URL, {"job": str(job.pk)})
    assert len(queued) == 1  # the write waits for the job cluster

    importer.hospital = hospital_b  # moved before the job cluster got to the file
    importer.save()
    for callback in queued:
        callback()

    job.refresh_from_db()
    assert (job.status, job.failure_reason) == (JobStatus.FAILED, REASON_AR)
    assert_nothing_written()
