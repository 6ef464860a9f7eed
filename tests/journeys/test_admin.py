"""The encounter admin from the outside: import in two steps, jobs, exports, search, scale."""

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from px360.accounts.roles import RoleCode
from px360.core.models import AuditAction, AuditEvent
from px360.journeys import importer as importer_module
from px360.journeys.choices import JobStatus
from px360.journeys.models import Encounter, ImportJob

from ..factories import PatientFactory
from ..helpers import export_rows
from .conftest import csv_bytes, row, upload

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:journeys_encounter_import")
CONFIRM_URL = reverse("admin:journeys_encounter_process_import")


def post_file(client, data, name="encounters.csv", mode="all"):
    return client.post(IMPORT_URL, {"import_file": upload(data, name), "mode": mode})


def test_upload_checks_then_confirm_saves_without_reading_the_file_again(client, importer, media):
    client.force_login(importer)
    response = post_file(client, csv_bytes([row(), row(encounter_number="E2")]))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:journeys_importjob_change", args=[job.pk])
    page = client.get(response["Location"])
    content = page.content.decode()
    assert job.status == JobStatus.VALIDATED and job.new_count == 2
    assert (
        reverse("admin:journeys_importjob_confirm", args=[job.pk]) in content and "E2" in content
    )  # the sample of changes
    assert not Encounter.objects.exists()

    with mock.patch.object(importer_module, "build_plan", side_effect=AssertionError("re-read")):
        confirmed = client.post(CONFIRM_URL, {"job": str(job.pk)})
    assert confirmed.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert Encounter.objects.count() == 2


def test_confirm_page_shows_errors_and_refuses_all_or_nothing(client, importer, media):
    client.force_login(importer)
    post_file(client, csv_bytes([row(), row(encounter_number="E2", encounter_type="BAD")]))
    job = ImportJob.objects.get()
    content = client.get(reverse("admin:journeys_importjob_change", args=[job.pk])).content.decode()
    assert "encounter_type" in content and "BAD" in content
    client.post(CONFIRM_URL, {"job": str(job.pk)})
    assert not Encounter.objects.exists()
    # The importer may then choose to keep the valid rows.
    client.post(CONFIRM_URL, {"job": str(job.pk), "mode": "valid"})
    assert list(Encounter.objects.values_list("encounter_number", flat=True)) == ["E1"]


@pytest.mark.parametrize("role", [RoleCode.DEPARTMENT_MANAGER, RoleCode.NURSE, RoleCode.VIEWER])
def test_import_needs_the_import_permission(client, make_user, hospital_a, media, role):
    client.force_login(make_user(role, hospital=hospital_a))
    assert client.get(IMPORT_URL).status_code == 403
    assert post_file(client, csv_bytes([row()])).status_code == 403
    assert not ImportJob.objects.exists()


def test_the_service_refuses_a_user_without_permission(make_user, hospital_a, media):
    from django.core.exceptions import PermissionDenied

    from px360.journeys.services import encounter_import

    with pytest.raises(PermissionDenied):
        encounter_import(file=upload(csv_bytes([row()])), user=make_user(RoleCode.VIEWER, hospital=hospital_a))


def test_export_needs_the_export_permission_and_is_scoped(client, make_user, hospital_a, hospital_b, importer):
    theirs = PatientFactory(hospital=hospital_b, mrn="THEIRS")
    Encounter.objects.create(
        hospital=hospital_b, encounter_number="B1", encounter_type="OPD", patient=theirs, admitted_at=timezone.now()
    )
    ours = PatientFactory(hospital=hospital_a, mrn="OURS")
    Encounter.objects.create(
        hospital=hospital_a, encounter_number="A1", encounter_type="OPD", patient=ours, admitted_at=timezone.now()
    )
    client.force_login(make_user(RoleCode.VIEWER, hospital=hospital_a))
    assert export_rows(client, Encounter)[0] == 403
    client.force_login(importer)
    status, rows = export_rows(client, Encounter)
    assert status == 200
    numbers = [r[1] for r in rows[1:]]
    assert numbers == ["A1"]
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=importer).exists()


PAYLOADS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_formula_payloads_are_neutralised_in_exports(client, importer, hospital_a, file_format):
    for number, payload in enumerate(PAYLOADS):
        patient = PatientFactory(hospital=hospital_a, mrn=f"P{number}", name_en=payload, name_ar=payload)
        Encounter.objects.create(
            hospital=hospital_a,
            encounter_number=f"X{number}",
            encounter_type="OPD",
            patient=patient,
            admitted_at=timezone.now(),
        )
    client.force_login(importer)
    status, rows = export_rows(client, Encounter, file_format)
    assert status == 200
    header = list(rows[0])
    names = {str(r[header.index("patient_name_en")]) for r in rows[1:]}
    # XML (XLSX) stores a carriage return as a line feed; what matters is the apostrophe.
    expected = {"'" + payload for payload in PAYLOADS}
    if file_format == "xlsx":
        expected = {value.replace("\r", "\n") for value in expected}
        names = {value.replace("\r", "\n") for value in names}
    assert names == expected


def post_export(client, file_format):
    url = reverse("admin:journeys_encounter_export")
    form = client.get(url).context["form"]
    value = next(value for value, label in form.fields["format"].choices if str(label).lower() == file_format)
    data = {"format": str(value), "resource": "0"}
    for name, field in form.fields.items():
        if name not in ("format", "resource") and field.__class__.__name__ == "BooleanField":
            data[name] = "on"
    return client.post(url, data)


def test_csv_export_has_a_bom(client, importer, hospital_a):
    client.force_login(importer)
    response = post_export(client, "csv")
    assert response.status_code == 200, response.context["form"].errors
    assert response.content.startswith(b"\xef\xbb\xbf")


def test_background_import_shows_progress_and_offers_the_rejected_rows(
    client, importer, media, settings, django_capture_on_commit_callbacks
):
    settings.PX360_IMPORT_BACKGROUND_BYTES = 10  # every file is "large"
    client.force_login(importer)
    rows = [row(encounter_number=f"E{n}", patient_mrn=f"M{n}") for n in range(5)]
    rows.append(row(encounter_number="BAD", admitted_at="not a date"))
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, csv_bytes(rows), mode="valid")
    job = ImportJob.objects.get()
    assert job.background
    status = client.get(reverse("admin:journeys_importjob_status", args=[job.pk])).json()
    assert status["status"] == "validated" and status["progress"] == 100 and status["finished"]
    assert status["counts"] == {"new": 5, "updated": 0, "unchanged": 0, "rejected": 1}
    page = client.get(response["Location"]).content.decode()
    assert "progressbar" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CONFIRM_URL, {"job": str(job.pk)})
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Encounter.objects.count() == 5
    download = client.get(reverse("admin:journeys_importjob_download", args=[job.pk]))
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[1][1] == "BAD" and "admitted_at" in lines[1][-1]


@pytest.mark.django_db(transaction=True)  # on PostgreSQL progress goes through a second connection
def test_progress_counts_file_rows_while_checking_and_while_saving(client, importer, media):
    from px360.journeys.services import _Progress, encounter_import

    job = encounter_import(file=upload(csv_bytes([row()])), user=importer, dry_run=True)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.VALIDATING, total_rows=0, processed_rows=0)
    _Progress(job)(500, 2000)  # checking: rows read, of the reader's estimate
    job.refresh_from_db()
    assert (job.processed_rows, job.total_rows, job.progress) == (500, 2000, 25)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, total_rows=1000)
    _Progress(job, file_rows=1000)(800, 1600)  # saving: patients and encounters, shown as file rows
    job.refresh_from_db()
    assert (job.processed_rows, job.total_rows, job.progress) == (500, 1000, 50)
    client.force_login(importer)
    status = client.get(reverse("admin:journeys_importjob_status", args=[job.pk])).json()
    assert status["progress_text"] == "50% · 500 من 1000 صف"  # the page's words, in the user's language
    assert not status["finished"]


def test_jobs_and_their_files_are_scoped(client, importer, make_user, hospital_b, media):
    from px360.journeys.services import encounter_import

    job = encounter_import(
        file=upload(csv_bytes([row(), row(encounter_number="E2", encounter_type="X")])), user=importer, mode="valid"
    )
    client.force_login(make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_b))
    assert client.get(reverse("admin:journeys_importjob_change", args=[job.pk])).status_code == 404
    assert client.get(reverse("admin:journeys_importjob_download", args=[job.pk])).status_code == 404
    assert client.get(reverse("admin:journeys_importjob_status", args=[job.pk])).status_code == 404


def _encounters(hospital, count, department=None, prefix="Q"):
    now = timezone.now()
    for number in range(count):
        patient = PatientFactory(hospital=hospital)
        Encounter.objects.create(
            hospital=hospital,
            encounter_number=f"{prefix}{number}",
            encounter_type="OPD",
            patient=patient,
            department=department,
            admitted_at=now - timedelta(hours=number),
        )


@pytest.mark.parametrize("persona", ["superuser", "hospital_admin"])
def test_changelist_queries_do_not_grow_with_rows(client, superuser, importer, hospital_a, department_a, persona):
    client.force_login(superuser if persona == "superuser" else importer)
    url = reverse("admin:journeys_encounter_changelist")
    _encounters(hospital_a, 5, department_a)
    client.get(url)  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    _encounters(hospital_a, 45, department_a, prefix="R")
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 50
    assert len(fifty.captured_queries) == len(five.captured_queries)
    assert not any("COUNT(" in query["sql"].upper() and "journeys_encounter" in query["sql"] for query in fifty)


@pytest.mark.parametrize(
    "limits",
    [{}, {"NAME_MATCH_LIMIT": 0}, {"ENCOUNTER_MATCH_LIMIT": 0}],
    ids=["rare-name-by-id", "common-name-walks-the-page", "many-visits-by-patient"],
)
def test_search_finds_exact_numbers_and_names_in_any_arabic_spelling(
    client, importer, hospital_a, hospital_b, monkeypatch, limits
):
    from px360.journeys.admin import encounter as encounter_admin

    for name, value in limits.items():  # each of the search's plans gives the same rows
        monkeypatch.setattr(encounter_admin, name, value)
    client.force_login(importer)
    patient = PatientFactory(hospital=hospital_a, mrn="MRN77", name_ar="إسْماعيل عبدالله الزهرانى", name_en="Ismail")
    other = PatientFactory(hospital=hospital_b, mrn="MRN78", name_ar="اسماعيل", name_en="Ismail")
    for p, number in ((patient, "ENC1"), (other, "ENC2")):
        Encounter.objects.create(
            hospital=p.hospital, encounter_number=number, encounter_type="OPD", patient=p, admitted_at=timezone.now()
        )
    url = reverse("admin:journeys_encounter_changelist")

    def found(term):
        return [e.encounter_number for e in client.get(url, {"q": term}).context["cl"].result_list]

    assert found("ENC1") == ["ENC1"]
    assert found("ENC") == []  # numbers match exactly
    assert found("MRN77") == ["ENC1"]
    assert found(patient.national_id) == ["ENC1"]
    assert found("اسماعيل") == ["ENC1"]  # hamza, sukun; and hospital B is out of scope
    assert found("الزهراني") == ["ENC1"]  # alef maqsura / yaa
    assert found("ismail") == ["ENC1"]
    assert AuditEvent.objects.filter(action=AuditAction.SEARCH).exists()


def test_encounter_str_is_phi_free(hospital_a):
    patient = PatientFactory(hospital=hospital_a, name_en="Secret Name")
    encounter = Encounter.objects.create(
        hospital=hospital_a, encounter_number="N1", encounter_type="OPD", patient=patient, admitted_at=timezone.now()
    )
    assert str(encounter) == "N1"
