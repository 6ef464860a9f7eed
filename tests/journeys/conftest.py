import csv
import io

import pytest
from django.core.files.base import ContentFile
from openpyxl import Workbook

from px360.accounts.roles import RoleCode

from ..factories import PhysicianFactory

HEADER = [
    "hospital_code",
    "encounter_number",
    "encounter_type",
    "patient_mrn",
    "patient_national_id",
    "patient_name_ar",
    "patient_name_en",
    "patient_phone",
    "patient_email",
    "patient_language",
    "patient_birth_date",
    "patient_gender",
    "department_code",
    "physician_license",
    "admitted_at",
    "discharged_at",
]

VALID_ID = "1000000008"  # a valid check digit


def row(**overrides):
    values = {
        "hospital_code": "HA",
        "encounter_number": "E1",
        "encounter_type": "INPATIENT",
        "patient_mrn": "M1",
        "patient_national_id": VALID_ID,
        "patient_name_ar": "أحمد الحربي",
        "patient_name_en": "Ahmed Al-Harbi",
        "patient_phone": "0501234567",
        "patient_email": "ahmed@example.com",
        "patient_language": "ar",
        "patient_birth_date": "1980-05-01",
        "patient_gender": "M",
        "department_code": "MED",
        "physician_license": "LICA1",
        "admitted_at": "2026-11-01 08:00",
        "discharged_at": "2026-11-03T10:30",
    }
    values.update(overrides)
    return values


def csv_bytes(rows, *, encoding="utf-8", header=HEADER, title_rows=()):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for title in title_rows:
        writer.writerow(title)
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(name, "") for name in HEADER])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, *, header=HEADER, title_rows=()):
    workbook = Workbook()
    sheet = workbook.active
    for title in title_rows:
        sheet.append(list(title))
    sheet.append(header)
    for values in rows:
        sheet.append([values.get(name, "") for name in HEADER])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(data: bytes, name="encounters.csv"):
    return ContentFile(data, name=name)


@pytest.fixture
def physician_a(hospital_a, department_a):
    return PhysicianFactory(hospital=hospital_a, department=department_a, license_number="LICA1")


@pytest.fixture
def importer(make_user, hospital_a, department_a, physician_a, hospital_b):
    """A Hospital Admin of hospital A (import permission, scope: hospital A)."""
    return make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="importer")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
