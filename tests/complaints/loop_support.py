"""Helpers for the 937 import, survey-comment and closing-the-loop tests."""

import csv
import importlib
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import Permission
from django.http import QueryDict
from django.utils import timezone

from px360.accounts.models import User
from px360.journeys.models import Encounter
from px360.surveys.models import SurveyInstance
from px360.surveys.services import survey_submit, surveys_dispatch_due

TAXONOMY_AND_SERVICE_LEVELS = "px360.complaints.migrations.0002_taxonomy_and_service_levels"


def with_permissions(user, *codenames: str) -> User:
    """``user`` holding these complaints permissions too (whatever their role gives), read afresh."""
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="complaints", codename__in=codenames))
    return User.objects.get(pk=user.pk)


def complaint_setup() -> None:
    """The HCAT categories and the group's service levels, as the complaints migrations install them.

    Installed again here because a test that empties the database (a
    transactional one) also removes what migrations put in it; both steps
    leave existing rows alone.
    """
    migration = importlib.import_module(TAXONOMY_AND_SERVICE_LEVELS)
    migration.load_taxonomy(apps, None)
    migration.create_policies(apps, None)


def write_csv(path: Path, header: list[str], rows: list[dict], *, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(name, "") for name in header])
    return path


def visit(patient, *, department=None, number: str = "V-1") -> Encounter:
    """A finished outpatient visit of ``patient`` (yesterday)."""
    ended = timezone.now() - timedelta(days=1)
    return Encounter.objects.create(
        hospital=patient.hospital,
        encounter_number=number,
        encounter_type="OPD",
        patient=patient,
        department=department,
        admitted_at=ended - timedelta(hours=2),
        discharged_at=ended,
        status="discharged",
    )


def answer(instance, answers: dict):
    """Send the invitation if it is still scheduled, then submit ``answers`` (question code → value) as the patient."""
    surveys_dispatch_due(now=timezone.now())
    instance = SurveyInstance.objects.select_related("version", "template").get(pk=instance.pk)
    data = QueryDict(mutable=True)
    for code, value in answers.items():
        data[f"q_{code}"] = str(value)
    return survey_submit(instance=instance, data=data)
