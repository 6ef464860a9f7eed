"""Large workbooks are read in a separate process; whatever goes wrong there, the file is read here."""

import logging
import subprocess
import sys

import pytest
from django.utils import translation

from px360.common import sheets
from px360.journeys.choices import JobStatus
from px360.journeys.importer.read import SheetReader
from px360.journeys.models import Encounter
from px360.journeys.services import encounter_import

from .conftest import row, upload, xlsx_bytes
from .test_import_fastwrite import _excel_rows, _sheet, _workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_ahead(settings):
    """Every workbook is 'large': read in a separate process."""
    settings.PX360_IMPORT_READ_AHEAD_BYTES = 1
    return settings


@pytest.fixture
def spawned(monkeypatch):
    """The reading processes started, and whether each ended."""
    started = []
    original = subprocess.Popen

    def popen(*args, **kwargs):
        process = original(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(sheets.subprocess, "Popen", popen)
    return started


def rows(count):
    return [row(encounter_number=f"E{n}", patient_mrn=f"M{n % 4}", discharged_at="") for n in range(count)]


def test_the_rows_read_in_a_separate_process_are_the_rows_read_here(tmp_path, read_ahead, spawned):
    rows_xml, strings = _excel_rows()
    path = tmp_path / "excel.xlsx"
    path.write_bytes(_workbook(_sheet(rows_xml), strings))

    def read(ahead):
        with SheetReader(path, read_ahead=ahead) as reader:
            found = list(reader.rows())
            return found, reader.estimated_rows, reader.reader_peak_kb

    here, here_estimate, here_peak = read(False)
    there, there_estimate, there_peak = read(True)
    assert there == here and there_estimate == here_estimate == 5
    assert here_peak == 0 and there_peak > 0  # only the separate process reports a peak
    assert len(spawned) == 1 and spawned[0].returncode == 0


def test_a_large_workbook_imports_through_the_reading_process(importer, media, read_ahead, spawned, monkeypatch):
    monkeypatch.setattr(sheets, "READ_AHEAD_BATCH", 3)  # several messages
    data = xlsx_bytes(rows(10), title_rows=[["HIS export"], []])
    job = encounter_import(file=upload(data, "visits.xlsx"), user=importer)
    assert job.status == JobStatus.DONE, job.errors
    assert (job.new_count, job.total_rows) == (10, 10)
    assert job.summary["reader_peak_mb"] > 0
    assert Encounter.objects.count() == 10
    assert spawned and all(process.poll() is not None for process in spawned)


def test_rows_with_problems_are_reported_the_same_way(importer, media, read_ahead, spawned):
    bad = rows(3)
    bad[1]["encounter_type"] = "XRAY"
    job = encounter_import(file=upload(xlsx_bytes(bad), "visits.xlsx"), user=importer)
    assert spawned
    assert job.status == JobStatus.VALIDATED and job.rejected_count == 1
    assert job.errors == [[3, "encounter_type", "type_unknown", {"value": "XRAY"}]]
    assert Encounter.objects.count() == 0


@pytest.mark.parametrize(
    "executable",
    ["/nonexistent/python3", "/bin/false"],
    ids=["cannot-start", "ends-early"],
)
def test_when_the_reading_process_fails_the_file_is_read_here(
    importer, media, read_ahead, monkeypatch, caplog, executable
):
    monkeypatch.setattr(sheets, "python_executable", lambda: executable)
    with caplog.at_level(logging.WARNING, logger="px360.journeys.importer"):
        job = encounter_import(file=upload(xlsx_bytes(rows(4)), "visits.xlsx"), user=importer)
    assert job.status == JobStatus.DONE, job.errors
    assert job.new_count == 4 and "reader_peak_mb" not in job.summary
    assert "reading it here" in caplog.text


def test_an_unexpected_message_is_a_failure_of_the_reading_process(tmp_path, read_ahead, monkeypatch):
    path = tmp_path / "visits.xlsx"
    path.write_bytes(xlsx_bytes(rows(1)))
    # A process that writes something that is not the reader's protocol.
    monkeypatch.setattr(sheets.sys, "executable", sys.executable)
    monkeypatch.setattr(sheets, "__name__", "json.tool")  # `python -m json.tool FILE`: not a pickle
    with SheetReader(path, read_ahead=True) as reader, pytest.raises(sheets.ReadAheadFailed):
        list(reader.rows())


def test_a_damaged_workbook_gets_the_same_translated_error(importer, media, read_ahead, spawned):
    data = b"PK\x03\x04" + b"not really a zip archive" * 10
    job = encounter_import(file=upload(data, "visits.xlsx"), user=importer)
    assert spawned
    assert job.status == JobStatus.FAILED
    with translation.override("ar"):  # the importer's language
        assert job.failure_reason == translation.gettext("The file could not be read as an Excel workbook.")
    assert job.failure_reason != "The file could not be read as an Excel workbook."


def test_a_sheet_the_fast_reader_does_not_know_is_read_with_openpyxl(importer, media, read_ahead, spawned, tmp_path):
    rows_xml, strings = _excel_rows()
    # Cells out of column order: the fast reader gives up on the sheet, openpyxl places them.
    rows_xml = rows_xml.replace('<row r="5">', '<row r="5"><c r="Q5"><v>1</v></c>', 1)
    rows_xml = rows_xml.replace("</row>", '<c r="P1"><v>2</v></c></row>', 1)
    rows_xml = rows_xml.replace('<row r="1">', '<row r="1"><c r="C1"><v>3</v></c>', 1)
    data = _workbook(_sheet(rows_xml), strings)
    path = tmp_path / "odd.xlsx"
    path.write_bytes(data)
    with pytest.raises(sheets.UnsupportedSheet), SheetReader(path) as reader:
        list(reader.rows())
    job = encounter_import(file=upload(data, "odd.xlsx"), user=importer)
    assert spawned
    assert job.status == JobStatus.DONE, job.errors
    assert set(Encounter.objects.values_list("encounter_number", flat=True)) == {"X1", "X2"}


def test_a_file_without_a_header_stops_the_reading_process(importer, media, read_ahead, spawned):
    data = xlsx_bytes(rows(3), header=["something", "else"])
    job = encounter_import(file=upload(data, "visits.xlsx"), user=importer)
    assert job.status == JobStatus.FAILED and "hospital_code, encounter_number" in job.failure_reason
    assert spawned and all(process.poll() is not None for process in spawned)


def test_under_an_embedding_server_the_file_is_read_here(importer, media, read_ahead, spawned, monkeypatch):
    monkeypatch.setattr(sheets.sys, "executable", "/usr/bin/uwsgi")  # `uwsgi -m` is not Python
    job = encounter_import(file=upload(xlsx_bytes(rows(2)), "visits.xlsx"), user=importer)
    assert job.status == JobStatus.DONE and not spawned


def test_small_workbooks_are_read_here(importer, media, settings, spawned):
    settings.PX360_IMPORT_READ_AHEAD_BYTES = 10_000_000
    job = encounter_import(file=upload(xlsx_bytes(rows(2)), "visits.xlsx"), user=importer)
    assert job.status == JobStatus.DONE and not spawned
