"""``manage.py import_encounters``: the exit code tells a scheduler whether the file was imported.

A nightly job runs the command and alerts on a non-zero exit; a command that exits 0 after saving
nothing (or after a dry run found problems) would hide a missed import.
"""

import django
import pytest
from django.core.management import base, execute_from_command_line
from django.utils import translation

from px360.journeys.models import Encounter

from .conftest import csv_bytes, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def encounter_file(tmp_path):
    def write(rows, name="encounters.csv"):
        path = tmp_path / name
        path.write_bytes(csv_bytes(rows))
        return str(path)

    return write


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    # manage.py closes every connection when a command ends; the test's
    # transaction lives on that connection (PostgreSQL would lose it).
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    # manage.py sets Django up again, which rebuilds the log handlers on the
    # stream capsys lends the test: it is closed when the test ends, and every
    # later log line (and the log tests' stream swap) would hit a closed file.
    monkeypatch.setattr(django, "setup", lambda *args, **kwargs: None)


def run(*arguments) -> int:
    """Run the command as ``manage.py`` does (here in English) and return its exit code."""
    try:
        with translation.override("en"):
            execute_from_command_line(["manage.py", "import_encounters", *arguments])
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


GOOD = [row(encounter_number="E1", patient_mrn="M1"), row(encounter_number="E2", patient_mrn="M2")]
BAD = [row(encounter_number="E1", patient_mrn="M1"), row(encounter_number="E2", encounter_type="BAD")]


def test_a_clean_file_is_imported_and_exits_0(importer, media, encounter_file, capsys):
    assert run(encounter_file(GOOD), "--user", "importer") == 0
    assert "2 new" in capsys.readouterr().out
    assert set(Encounter.objects.values_list("encounter_number", flat=True)) == {"E1", "E2"}


def test_a_file_with_problems_saves_nothing_and_exits_non_zero(importer, media, encounter_file, capsys):
    assert run(encounter_file(BAD), "--user", "importer") != 0
    errors = capsys.readouterr().err
    assert "row 3" in errors and "encounter_type" in errors
    assert not Encounter.objects.exists()


def test_valid_rows_only_saves_the_good_rows_and_exits_0(importer, media, encounter_file):
    assert run(encounter_file(BAD), "--user", "importer", "--valid-rows-only") == 0
    assert list(Encounter.objects.values_list("encounter_number", flat=True)) == ["E1"]


def test_a_dry_run_saves_nothing_and_exits_0_only_for_a_clean_file(importer, media, encounter_file, capsys):
    assert run(encounter_file(GOOD), "--user", "importer", "--dry-run") == 0
    assert "nothing saved" in capsys.readouterr().out
    assert run(encounter_file(BAD, name="bad.csv"), "--user", "importer", "--dry-run") != 0
    assert not Encounter.objects.exists()


def test_an_unknown_or_inactive_user_exits_non_zero(importer, media, encounter_file):
    path = encounter_file(GOOD)
    assert run(path, "--user", "nobody") != 0
    importer.is_active = False
    importer.save()
    assert run(path, "--user", "importer") != 0
    assert not Encounter.objects.exists()


def test_a_missing_file_exits_non_zero(importer, tmp_path):
    assert run(str(tmp_path / "missing.csv"), "--user", "importer") != 0


def test_a_user_without_the_import_permission_exits_non_zero(make_user, hospital_a, media, encounter_file):
    make_user("viewer", hospital=hospital_a, username="reader")
    assert run(encounter_file(GOOD), "--user", "reader") != 0
    assert not Encounter.objects.exists()
