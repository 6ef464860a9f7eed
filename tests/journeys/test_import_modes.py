"""All or nothing, valid rows only, idempotent re-import, formats, history and audit."""

import csv
import io

import pytest
from django.utils import timezone

from px360.core.models import AuditAction, AuditEvent
from px360.journeys.choices import EncounterStatus, ImportMode, JobStatus
from px360.journeys.models import Encounter
from px360.journeys.services import encounter_import
from px360.organizations.models import Patient

from .conftest import csv_bytes, row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def three_rows(**bad):
    return [
        row(encounter_number="E1", patient_mrn="M1"),
        row(encounter_number="E2", patient_mrn="M2", patient_national_id="", **bad),
        row(encounter_number="E3", patient_mrn="M1", discharged_at=""),
    ]


def test_all_or_nothing_saves_nothing_when_one_row_is_bad(importer, media):
    job = encounter_import(file=upload(csv_bytes(three_rows(encounter_type="BAD"))), user=importer)
    assert job.status == JobStatus.VALIDATED  # checked, cannot be confirmed
    assert not job.can_confirm
    assert (job.new_count, job.rejected_count) == (2, 1)
    assert Encounter.objects.count() == 0


def test_valid_rows_only_saves_the_good_rows_and_offers_the_rejected_ones(importer, media):
    job = encounter_import(
        file=upload(csv_bytes(three_rows(encounter_type="BAD"))), user=importer, mode=ImportMode.VALID_ROWS
    )
    assert job.status == JobStatus.DONE
    assert set(Encounter.objects.values_list("encounter_number", flat=True)) == {"E1", "E3"}
    with job.output_file.open("rb") as handle:
        text = handle.read().decode("utf-8")
    assert text.startswith("\ufeff")  # BOM: Excel shows Arabic
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert lines[0][:2] == ["hospital_code", "encounter_number"]
    assert lines[0][-1] and len(lines) == 2
    assert lines[1][1] == "E2" and "encounter_type" in lines[1][-1]


def test_reimporting_the_same_file_changes_nothing(importer, media):
    data = csv_bytes(three_rows())
    first = encounter_import(file=upload(data), user=importer)
    assert (first.new_count, first.updated_count, first.unchanged_count) == (3, 0, 0)
    assert Patient.objects.count() == 2  # M1 twice is one patient
    history_before = Encounter.history.count() + Patient.history.count()
    stamps = dict(Encounter.objects.values_list("pk", "updated_at"))

    second = encounter_import(file=upload(data), user=importer)
    assert second.status == JobStatus.DONE
    assert (second.new_count, second.updated_count, second.unchanged_count) == (0, 0, 3)
    assert second.summary["saved"]["patients"] == {"new": 0, "updated": 0, "unchanged": 2}
    assert Encounter.history.count() + Patient.history.count() == history_before
    assert dict(Encounter.objects.values_list("pk", "updated_at")) == stamps


def test_a_changed_row_updates_only_that_encounter_with_history(importer, media):
    encounter_import(file=upload(csv_bytes(three_rows())), user=importer)
    changed = three_rows()
    changed[2]["discharged_at"] = "05/11/2026 14:00"
    job = encounter_import(file=upload(csv_bytes(changed)), user=importer)
    assert (job.new_count, job.updated_count, job.unchanged_count) == (0, 1, 2)
    encounter = Encounter.objects.get(encounter_number="E3")
    assert encounter.status == EncounterStatus.DISCHARGED
    assert timezone.localtime(encounter.discharged_at).strftime("%Y-%m-%d %H:%M") == "2026-11-05 14:00"
    assert encounter.history.count() == 2
    assert encounter.import_job_id == job.pk
    assert job.sample and job.sample[0]["encounter_number"] == "E3"


def test_history_rows_name_the_importing_user_and_the_import_is_audited(importer, media):
    job = encounter_import(file=upload(csv_bytes(three_rows())), user=importer)
    assert Encounter.history.filter(history_type="+").count() == 3
    assert set(Encounter.history.values_list("history_user", flat=True)) == {importer.pk}
    assert set(Patient.history.values_list("history_user", flat=True)) == {importer.pk}
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert event.actor == importer
    assert event.details["new"] == 3 and event.details["unchanged"] == 0
    assert event.object_id == str(job.pk)


def test_patients_are_upserted_by_hospital_and_mrn(importer, media, hospital_a):
    existing = Patient.objects.create(hospital=hospital_a, mrn="M1", name_en="Old Name", email="keep@example.com")
    job = encounter_import(file=upload(csv_bytes([row(patient_email="")])), user=importer)
    assert job.status == JobStatus.DONE
    existing.refresh_from_db()
    assert existing.name_en == "Ahmed Al-Harbi"
    assert existing.email == "keep@example.com"  # an empty cell does not erase
    assert existing.phone == "+966501234567"
    assert existing.name_search.startswith("احمد الحربي")
    assert Encounter.objects.get().patient == existing


def test_windows_1256_csv(importer, media):
    job = encounter_import(file=upload(csv_bytes([row()], encoding="cp1256")), user=importer)
    assert job.status == JobStatus.DONE
    assert Patient.objects.get().name_ar == "أحمد الحربي"


def test_utf8_csv_with_bom_and_loose_headers(importer, media):
    header = [f"  {name.upper()} " for name in csv_bytes.__globals__["HEADER"]]
    data = b"\xef\xbb\xbf" + csv_bytes([row()], header=header)
    job = encounter_import(file=upload(data), user=importer)
    assert job.status == JobStatus.DONE, job.errors
    assert Patient.objects.get().name_ar == "أحمد الحربي"


def test_xlsx_with_title_rows_and_excel_dates(importer, media):
    from datetime import datetime

    rows = [row(admitted_at=datetime(2026, 11, 1, 8, 0), discharged_at="", patient_phone=501234567)]
    data = xlsx_bytes(rows, title_rows=[["تقرير الزيارات"], ["Exported 2026-11-02"], []])
    job = encounter_import(file=upload(data, "visits.xlsx"), user=importer)
    assert job.status == JobStatus.DONE, job.errors
    encounter = Encounter.objects.get()
    assert timezone.localtime(encounter.admitted_at).strftime("%Y-%m-%d %H:%M") == "2026-11-01 08:00"
    assert encounter.patient.phone == "+966501234567"


def test_xlsx_errors_use_spreadsheet_row_numbers(importer, media):
    data = xlsx_bytes([row(), row(encounter_number="E2", encounter_type="X")], title_rows=[["title"]])
    job = encounter_import(file=upload(data, "visits.xlsx"), user=importer)
    assert [(r, c) for r, c, *_problem in job.errors] == [(4, "encounter_type")]


def test_offsets_are_kept_and_naive_times_are_riyadh(importer, media):
    data = csv_bytes([row(admitted_at="2026-11-01T05:00:00+00:00", discharged_at="")])
    encounter_import(file=upload(data), user=importer)
    admitted = Encounter.objects.get().admitted_at
    assert timezone.localtime(admitted).strftime("%H:%M") == "08:00"


def test_dry_run_saves_nothing(importer, media):
    job = encounter_import(file=upload(csv_bytes(three_rows())), user=importer, dry_run=True)
    assert job.status == JobStatus.VALIDATED and job.new_count == 3
    assert not Encounter.objects.exists()
