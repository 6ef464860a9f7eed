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


def test_an_imports_page_opens_the_encounters_it_saved_and_nothing_of_another_import(
    client, importer, media, make_user, hospital_b
):
    client.force_login(importer)
    client.post(IMPORT_URL, {"import_file": upload(csv_bytes([row(encounter_number="J-1")])), "mode": "all"})
    first = ImportJob.objects.get()
    client.post(CONFIRM_URL, {"job": str(first.pk)})
    client.post(IMPORT_URL, {"import_file": upload(csv_bytes([row(encounter_number="J-2")])), "mode": "all"})
    second = ImportJob.objects.exclude(pk=first.pk).get()
    client.post(CONFIRM_URL, {"job": str(second.pk)})

    page = client.get(reverse("admin:journeys_importjob_change", args=[first.pk])).content.decode()
    link = f"{reverse('admin:journeys_encounter_changelist')}?import_job__id__exact={first.pk}"
    assert link in page
    listed = client.get(link).context["cl"].result_list
    assert [encounter.encounter_number for encounter in listed] == ["J-1"]

    # Someone of another hospital following the same link sees nothing, and a bad id selects nothing.
    client.force_login(make_user("hospital_admin", hospital=hospital_b, username="admin-b"))
    assert list(client.get(link).context["cl"].result_list) == []
    client.force_login(importer)
    bad = client.get(f"{reverse('admin:journeys_encounter_changelist')}?import_job__id__exact=not-a-uuid")
    assert bad.status_code == 200 and list(bad.context["cl"].result_list) == []
