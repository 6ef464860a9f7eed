"""The short roads of a large export give the file the long roads give.

- The XLSX writer builds each data row's XML in one string instead of calling
  XlsxWriter's cell API per cell (nine tenths of a large export's time): the
  same rows written both ways give the same worksheet, byte for byte (style
  numbers aside, which depend on the order formats are first used) and cell
  by cell as a spreadsheet reads them. These fail if an XlsxWriter upgrade
  changes the XML of a cell.
- Date-times are read as Riyadh wall-clock time by PostgreSQL itself
  (``AT TIME ZONE``): the same times Python's time-zone database gives, on
  either database.
- On PostgreSQL the export's cursor is planned for reading every row, and the
  connection's setting is put back afterwards.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from openpyxl import load_workbook

from px360.core.exports.columns import LocalDateTime, local_datetime_converter
from px360.core.exports.service import reading_every_row
from px360.core.exports.writers import XlsxWriter
from px360.journeys.models import Encounter

from .test_exports import encounter

RIYADH = zoneinfo.ZoneInfo("Asia/Riyadh")

HEADERS = ["Text", "Number", "Score", "Date", "Time", "Flag", "Other"]

ROWS = [
    ["plain", 1, Decimal("80.00"), dt.date(2026, 11, 21), dt.datetime(2026, 11, 21, 2, 30), True, "x"],
    ["عربي", -5, 3.25, dt.date(1900, 3, 1), dt.datetime(1900, 3, 1, 0, 0, 1), False, None],
    ["=HYPERLINK(1)", 0, Decimal("0.1"), None, dt.datetime(2026, 1, 1, 23, 59, 59, 999_999), None, ""],
    ["a & b < c > d", 10**15, 1e-7, dt.date(9999, 12, 31), None, None, None],
    [" edge spaces ", 2**53 + 1, 1.0 / 3, dt.date(1970, 1, 1), dt.datetime(1970, 1, 1), None, "\t"],
    ["line\nbreak", None, None, None, None, None, "tab\tinside"],
    ["control \x01 \x1f and _x0041_ literal", None, None, None, None, None, "\ufffe\uffff"],
    ["<r><t>rich?</t></r>", None, None, None, None, None, "<r>&</r>"],
    ["snake_case _x12_ _x0041", None, None, None, None, None, "_"],
    ["\u00a0no-break edges\u2003", None, None, None, None, None, "ends with a line break\n"],
    [None, None, None, None, None, None, None],
    ["", "", "", "", "", "", ""],
    ["يمين\u200f", 7, Decimal("-2.50"), dt.date(2000, 2, 29), dt.datetime(2000, 2, 29, 12, 0), True, "+966501234567"],
    # A row the short road leaves to the cell API (a date before March 1900), between two it writes.
    ["old", 1, None, dt.date(1900, 1, 1), dt.datetime(1900, 2, 28, 6, 0), None, None],
    ["after", 2, None, None, None, None, None],
    # Another type: written as its text, through the cell API.
    [dt.time(8, 30), 3, None, None, None, None, None],
    ["last", 4, None, None, None, None, None],
]


def write(path, rows, *, short_road: bool):
    writer = XlsxWriter(path, sheet_name="Rows", tmpdir=str(path.parent))
    writer.header(HEADERS, widths=[16] * len(HEADERS), number_formats=[None, None, "0.00", None, None, None, None])
    if not short_road:
        writer._fast = False
    for row in rows:
        writer.write_row(list(row))
    writer.details_sheet("About", [("Rows", len(rows)), ("At", dt.datetime(2026, 11, 21, 9, 0))])
    writer.close()
    return path


def sheet_xml(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def without_styles(xml: str) -> str:
    return re.sub(r' s="\d+"', "", xml)


def cells(path) -> list[list[tuple]]:
    sheet = load_workbook(path).worksheets[0]
    return [
        [(cell.coordinate, cell.value, cell.data_type, cell.number_format, cell.font.b) for cell in row]
        for row in sheet.iter_rows()
    ]


@pytest.fixture(params=[1, 40], ids=["once", "40 times"])
def both(request, tmp_path):
    # 40 times: rows built are written in batches, with rows through the cell API between them.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    short = write(tmp_path / "a" / "short.xlsx", ROWS * request.param, short_road=True)
    api = write(tmp_path / "b" / "api.xlsx", ROWS * request.param, short_road=False)
    return short, api


def test_the_rows_xml_is_xlsxwriters_except_for_rich_text_shaped_strings(both):
    short, api = both
    short_xml, api_xml = without_styles(sheet_xml(short)), without_styles(sheet_xml(api))
    # XlsxWriter writes a text shaped like rich-text XML into the sheet unescaped (a "<r>&</r>"
    # breaks the file); the writer escapes it: it is the reader's text.
    assert "<is><t>&lt;r&gt;&amp;&lt;/r&gt;</t></is>" in short_xml
    assert "<is><r>&</r></is>" in api_xml
    short_xml = short_xml.replace("<is><t>&lt;r&gt;&amp;&lt;/r&gt;</t></is>", "<is><r>&</r></is>")
    short_xml = short_xml.replace(
        "<is><t>&lt;r&gt;&lt;t&gt;rich?&lt;/t&gt;&lt;/r&gt;</t></is>", "<is><r><t>rich?</t></r></is>"
    )
    assert short_xml == api_xml


def test_a_spreadsheet_reads_the_same_cells_with_the_same_formats(tmp_path):
    rows = [row for row in ROWS if not any(isinstance(value, str) and value.startswith("<r>") for value in row)]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    short = cells(write(tmp_path / "a" / "short.xlsx", rows, short_road=True))
    api = cells(write(tmp_path / "b" / "api.xlsx", rows, short_road=False))
    assert short == api
    by_coordinate = {cell[0]: cell for row in short for cell in row}
    assert by_coordinate["A1"][4] is True, "the header row is bold"
    assert by_coordinate["C2"][1:4] == (80, "n", "0.00"), "a score is a number in its column's format"
    assert by_coordinate["D2"][1:4] == (dt.datetime(2026, 11, 21), "d", "yyyy-mm-dd")
    assert by_coordinate["E2"][1:4] == (dt.datetime(2026, 11, 21, 2, 30), "d", "yyyy-mm-dd hh:mm")
    assert by_coordinate["A4"][1:3] == ("=HYPERLINK(1)", "s"), "text, never a formula, no quote mark"
    assert by_coordinate["A6"][1] == " edge spaces "


def test_a_text_shaped_like_rich_text_reads_as_typed(tmp_path):
    path = write(tmp_path / "short.xlsx", ROWS, short_road=True)
    values = [row[0][1] for row in cells(path)]
    assert "<r><t>rich?</t></r>" in values
    assert "<r>&</r>" in [row[6][1] for row in cells(path)]


def test_the_sheet_keeps_its_dimension_filter_and_frozen_header(tmp_path):
    writer = XlsxWriter(tmp_path / "out.xlsx", sheet_name="Rows")
    writer.header(["A", "B"])
    for number in range(1, 2001):
        writer.write_row([f"row {number}", number])
    writer.close()
    xml = sheet_xml(tmp_path / "out.xlsx")
    assert '<dimension ref="A1:B2001"/>' in xml
    assert '<autoFilter ref="A1:B2001"/>' in xml
    sheet = load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(2001, 1).value == "row 2000" and sheet.cell(2001, 2).value == 2000


# --- date-times in Riyadh time, read by the database ------------------------------------------


@pytest.mark.django_db
def test_date_times_are_read_as_riyadh_wall_clock_time_on_either_database(hospital_a):
    instants = [
        dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 12, 31, 21, 0, 0, 123_456, tzinfo=dt.UTC),  # midnight of a new year in Riyadh
        dt.datetime(1940, 6, 1, 12, 0, tzinfo=dt.UTC),  # before 1947 Riyadh kept local mean time (+03:06:52)
        dt.datetime(2024, 3, 31, 1, 30, tzinfo=zoneinfo.ZoneInfo("Europe/London")),  # stored from another zone
    ]
    for number, instant in enumerate(instants):
        encounter(hospital_a, f"T-{number}", admitted=instant)
    convert = local_datetime_converter()
    read = dict(Encounter.objects.values_list("encounter_number", LocalDateTime("admitted_at")))
    for number, instant in enumerate(instants):
        assert convert(read[f"T-{number}"]) == instant.astimezone(RIYADH).replace(tzinfo=None)
    if connection.vendor == "postgresql":
        assert all(value.tzinfo is None for value in read.values()), "PostgreSQL returns the wall-clock time"


@pytest.mark.django_db(transaction=True)
def test_the_export_cursor_is_planned_for_every_row_and_the_setting_put_back():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")

    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SHOW cursor_tuple_fraction")
            return cursor.fetchone()[0]

    before = setting()
    with reading_every_row(Encounter.objects.all()):
        assert setting() == "1"
    assert setting() == before
    with pytest.raises(ZeroDivisionError), reading_every_row(Encounter.objects.all()):
        1 / 0  # noqa: B018
    assert setting() == before
