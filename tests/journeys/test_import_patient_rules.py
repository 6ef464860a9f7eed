"""The encounter file import refuses a bad patient as the HIS intake and the admin form do.

The same values the other paths are sent (tests/organizations/test_patient_rules.py)
come in a file: each row is refused with the shared rules' message, and nothing
of the file is saved.
"""

import datetime as dt

import pytest
from django.utils import timezone, translation

from px360.journeys.importer import problem_text
from px360.journeys.models import Encounter, ImportJob
from px360.organizations.models import Patient
from px360.organizations.services import PatientRules

from .conftest import csv_bytes, row, upload

pytestmark = pytest.mark.django_db

FUTURE = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
BAD = {
    "birth_date": ("patient_birth_date", FUTURE),
    "email": ("patient_email", "reem@@example"),
    "phone": ("patient_phone", "0520000000"),
    "national_id": ("patient_national_id", "1234567890"),
    "gender": ("patient_gender", "X"),
    "preferred_language": ("patient_language", "fr"),
}


@pytest.mark.parametrize("field", sorted(BAD))
@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_file_row_is_refused_with_the_shared_rules_message(client, importer, media, field, language):
    column, value = BAD[field]
    client.force_login(importer)
    client.post(
        f"/{language}/admin/journeys/encounter/import/",
        {"import_file": upload(csv_bytes([row(**{column: value})])), "mode": "all"},
    )
    job = ImportJob.objects.get()
    problems = [entry for entry in job.errors if entry[1] == column]
    assert len(problems) == 1
    with translation.override(language):
        shared = PatientRules().clean({field: value}).errors[field].messages[0]
        assert problem_text(problems[0][2], problems[0][3]) == shared
    page = client.get(f"/{language}/admin/journeys/importjob/{job.pk}/change/").content.decode()
    assert shared.replace("“", "&ldquo;")[:20] in page or shared[:20] in page
    assert not Encounter.objects.exists() and not Patient.objects.filter(mrn="M1").exists()


def test_the_words_hospitals_write_for_gender_are_read_the_same_everywhere(client, importer, media):
    client.force_login(importer)
    rows = [
        row(encounter_number="G1", patient_mrn="G1", patient_gender="أنثى"),
        row(encounter_number="G2", patient_mrn="G2", patient_gender="male"),
    ]
    client.post("/en/admin/journeys/encounter/import/", {"import_file": upload(csv_bytes(rows)), "mode": "all"})
    client.post(
        f"/en/admin/journeys/importjob/{ImportJob.objects.get().pk}/confirm/", {"job": str(ImportJob.objects.get().pk)}
    )
    assert dict(Patient.objects.values_list("mrn", "gender")) == {"G1": "F", "G2": "M"}
    assert PatientRules().clean_field("gender", "أنثى") == "F"
