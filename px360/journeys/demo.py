"""Demo encounters for the demo patients, loaded through the real import path."""

import csv
import io
import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from px360.accounts.models import User
from px360.organizations.models import Patient, Physician

from .importer.columns import COLUMNS
from .models import Encounter
from .services import encounter_import, journeys_for_import

DEPARTMENT_BY_TYPE = {"OPD": "OPD", "INPATIENT": "WARD3", "EMS": "ED"}


def load_demo_encounters(*, password=None) -> list:
    patients = list(Patient.objects.filter(hospital__code__in=["RYD", "JED"]).select_related("hospital"))
    if not patients or Encounter.objects.filter(hospital__code__in=["RYD", "JED"]).exists():
        return []
    _import_demo_encounters(patients)
    return []


def _import_demo_encounters(patients) -> None:
    """Visits of the last 12 days: inside the survey window (14 days by default), so
    their completed stages get real invitations; one in ten is three weeks old and,
    as a back-loaded visit would be, not surveyed ("too late")."""
    admin = User.objects.filter(is_superuser=True).order_by("date_joined").first()
    rng = random.Random(360)
    licences = {}
    for physician in Physician.objects.filter(hospital__code__in=["RYD", "JED"]):
        licences.setdefault(physician.hospital.code, []).append(physician.license_number)
    now = timezone.localtime()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for number, patient in enumerate(patients[:50], start=1):
        kind = rng.choice(["OPD", "OPD", "INPATIENT", "EMS"])
        days = rng.randint(1, 12)
        if number % 10 == 7:
            # A back-loaded old visit: too late to survey, listed among the suppressed surveys.
            days = rng.randint(20, 22)
        admitted = now - timedelta(days=days, hours=rng.randint(0, 8))
        stay = timedelta(hours=rng.randint(1, 4)) if kind != "INPATIENT" else timedelta(days=rng.randint(1, 6))
        discharged = admitted + stay if admitted + stay < now and number % 5 else None
        writer.writerow(
            [
                patient.hospital.code,
                f"{patient.hospital.code}-{kind[:3]}-{number:05d}",
                kind,
                patient.mrn,
                patient.national_id,
                patient.name_ar,
                patient.name_en,
                patient.phone,
                patient.email,
                patient.preferred_language,
                patient.birth_date.isoformat() if patient.birth_date else "",
                patient.gender,
                DEPARTMENT_BY_TYPE[kind],
                rng.choice(licences.get(patient.hospital.code, [""])),
                admitted.strftime("%Y-%m-%d %H:%M"),
                discharged.strftime("%Y-%m-%d %H:%M") if discharged else "",
            ]
        )
    upload = ContentFile(buffer.getvalue().encode("utf-8-sig"), name="demo-encounters.csv")
    job = encounter_import(file=upload, user=admin)
    if job.status == "done":
        journeys_for_import(job=job)
