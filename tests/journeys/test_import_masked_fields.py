"""Masked fields are read-only in the encounter import, as on screen, to whom they are masked."""

import pytest

from px360.accounts.roles import RoleCode
from px360.core.masking import mask_national_id
from px360.journeys.choices import JobStatus
from px360.journeys.services import encounter_import
from px360.organizations.models import Patient

from ..factories import PatientFactory, valid_national_id
from .conftest import VALID_ID, csv_bytes, row, upload

pytestmark = pytest.mark.django_db

STORED = valid_national_id(1111)


@pytest.fixture
def stored_patient(hospital_a):
    return PatientFactory(hospital=hospital_a, mrn="M1", national_id=STORED, name_en="Old Name")


@pytest.fixture
def coordinator(make_user, hospital_a, department_a, physician_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coordinator_import")


@pytest.mark.parametrize("cell", [VALID_ID, mask_national_id(STORED)], ids=["another-id", "the-masked-id"])
def test_a_coordinators_file_never_changes_a_stored_national_id(coordinator, stored_patient, media, cell):
    job = encounter_import(file=upload(csv_bytes([row(patient_national_id=cell)])), user=coordinator)

    assert job.status == JobStatus.DONE, job.errors
    stored_patient.refresh_from_db()
    assert stored_patient.national_id == STORED
    assert stored_patient.name_en == "Ahmed Al-Harbi"  # the other fields are the file's


def test_a_coordinators_file_gives_a_new_patient_its_national_id(coordinator, media, hospital_a):
    job = encounter_import(file=upload(csv_bytes([row(patient_mrn="NEW1")])), user=coordinator)

    assert job.status == JobStatus.DONE, job.errors
    assert Patient.objects.get(hospital=hospital_a, mrn="NEW1").national_id == VALID_ID


def test_a_hospital_admins_file_corrects_a_stored_national_id_and_a_masked_one_changes_nothing(
    importer, stored_patient, media
):
    masked = encounter_import(
        file=upload(csv_bytes([row(patient_national_id=mask_national_id(STORED))])), user=importer
    )
    assert masked.status == JobStatus.DONE, masked.errors
    stored_patient.refresh_from_db()
    assert stored_patient.national_id == STORED

    corrected = encounter_import(file=upload(csv_bytes([row(encounter_number="E2")])), user=importer)
    assert corrected.status == JobStatus.DONE, corrected.errors
    stored_patient.refresh_from_db()
    assert stored_patient.national_id == VALID_ID
