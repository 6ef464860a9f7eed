"""Every class of problem in an encounter file is reported with row, column and reason, and nothing is saved."""

import pytest

from px360.journeys.choices import ImportMode, JobStatus
from px360.journeys.importer import worded_problems
from px360.journeys.models import Encounter
from px360.journeys.services import encounter_import
from px360.organizations.models import Patient

from ..factories import PhysicianFactory
from .conftest import csv_bytes, row, upload

pytestmark = pytest.mark.django_db


def problems(job):
    return [(r, column) for r, column, _reason in worded_problems(job.errors)]


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"hospital_code": "NOPE"}, "hospital_code"),
        ({"department_code": "NOPE"}, "department_code"),
        ({"physician_license": "NOPE"}, "physician_license"),
        ({"admitted_at": "31/02/2026"}, "admitted_at"),
        ({"admitted_at": "yesterday"}, "admitted_at"),
        ({"discharged_at": "2026-10-01 08:00"}, "discharged_at"),  # before admission
        ({"patient_national_id": "1234567890"}, "patient_national_id"),
        ({"encounter_type": "WALKIN"}, "encounter_type"),
        ({"patient_mrn": ""}, "patient_mrn"),
        ({"encounter_number": ""}, "encounter_number"),
        ({"hospital_code": "HB"}, "hospital_code"),  # outside the importer's hospitals
    ],
    ids=[
        "unknown-hospital",
        "unknown-department",
        "unknown-physician",
        "impossible-date",
        "not-a-date",
        "discharge-before-admission",
        "invalid-national-id",
        "bad-type",
        "missing-mrn",
        "missing-encounter-number",
        "other-hospital",
    ],
)
def test_each_error_class_is_reported_and_nothing_is_saved(importer, media, overrides, column):
    data = csv_bytes([row(encounter_number="OK1", patient_mrn="MOK"), row(**overrides)])
    job = encounter_import(file=upload(data), user=importer)
    assert job.status == JobStatus.VALIDATED
    assert (3, column) in problems(job)  # header is row 1, the bad row is row 3
    assert all(reason for _r, _c, reason in worded_problems(job.errors))
    assert job.rejected_count == 1
    assert not Encounter.objects.exists()
    assert not Patient.objects.exists()


def test_the_same_encounter_twice_with_different_values_rejects_both_rows(importer, media):
    data = csv_bytes([row(), row(encounter_type="OPD"), row(encounter_number="E2")])
    job = encounter_import(file=upload(data), user=importer, mode=ImportMode.VALID_ROWS)
    assert {(2, "encounter_number"), (3, "encounter_number")} <= set(problems(job))
    assert job.rejected_count == 2
    assert list(Encounter.objects.values_list("encounter_number", flat=True)) == ["E2"]


def test_the_same_row_twice_is_harmless(importer, media):
    job = encounter_import(file=upload(csv_bytes([row(), row()])), user=importer)
    assert job.status == JobStatus.DONE
    assert (job.new_count, job.unchanged_count, job.rejected_count) == (1, 1, 0)


def test_every_problem_of_a_row_is_listed(importer, media):
    data = csv_bytes([row(encounter_type="X", admitted_at="nope", patient_national_id="99")])
    job = encounter_import(file=upload(data), user=importer)
    assert {"encounter_type", "admitted_at", "patient_national_id"} <= {column for _r, column in problems(job)}
    assert job.rejected_count == 1


def test_a_file_without_the_header_row_fails_with_a_reason(importer, media):
    job = encounter_import(file=upload(b"a,b,c\n1,2,3\n"), user=importer)
    assert job.status == JobStatus.FAILED
    assert "hospital_code" in job.failure_reason


def test_a_physician_of_another_hospital_reads_exactly_like_an_unknown_licence(importer, media, hospital_b):
    """Licences are looked up within the row's hospital: another hospital's record is neither used nor named."""
    PhysicianFactory(hospital=hospital_b, license_number="JEDLIC1")
    other = encounter_import(file=upload(csv_bytes([row(physician_license="JEDLIC1")])), user=importer)
    unknown = encounter_import(file=upload(csv_bytes([row(physician_license="NOPE")])), user=importer)
    assert [(r, c, reason.replace("JEDLIC1", "X")) for r, c, reason in worded_problems(other.errors)] == [
        (r, c, reason.replace("NOPE", "X")) for r, c, reason in worded_problems(unknown.errors)
    ]
    assert problems(other) == [(2, "physician_license")]
    assert not Encounter.objects.exists()
