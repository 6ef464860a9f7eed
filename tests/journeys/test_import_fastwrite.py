"""The import's raw-SQL write path (history rows) and its fast XLSX reader."""

import io
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape

import pytest
from django.utils import timezone

from px360.common import sheets
from px360.journeys.choices import JobStatus
from px360.journeys.importer import plan as import_plan
from px360.journeys.importer import write as import_write
from px360.journeys.importer.read import SheetReader
from px360.journeys.models import Encounter
from px360.journeys.services import encounter_import
from px360.organizations.models import Patient

from .conftest import HEADER, csv_bytes, row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def rows_for(count, **overrides):
    return [row(encounter_number=f"E{n}", patient_mrn=f"M{n % 3}", discharged_at="", **overrides) for n in range(count)]


def test_each_new_row_gets_one_created_history_row_naming_the_importer(importer, media, monkeypatch):
    # Several chunks, several statements.
    monkeypatch.setattr(import_plan, "CHUNK_ROWS", 2)
    monkeypatch.setattr(import_write, "CHUNK_ROWS", 2)
    before = timezone.now()
    job = encounter_import(file=upload(csv_bytes(rows_for(5))), user=importer)
    assert job.status == JobStatus.DONE and job.new_count == 5
    assert Encounter.history.count() == 5 and Patient.history.count() == 3
    for model in (Encounter, Patient):
        for record in model.objects.all():
            history = list(record.history.all())
            assert len(history) == 1
            entry = history[0]
            assert entry.history_type == "+"
            assert entry.history_user_id == importer.pk
            assert entry.history_change_reason == import_write.HISTORY_CHANGE_REASON
            assert before <= entry.history_date <= timezone.now()
            assert entry.created_at == record.created_at
    encounter = Encounter.objects.get(encounter_number="E4")
    entry = encounter.history.get()
    assert (entry.patient_id, entry.admitted_at, entry.import_job_id, entry.status) == (
        encounter.patient_id,
        encounter.admitted_at,
        job.pk,
        "active",
    )
    patient = Patient.objects.get(mrn="M1")
    assert patient.history.get().name_search == patient.name_search == "احمد الحربي | ahmed al-harbi"
    assert patient.phone == "+966501234567"


def test_a_changed_row_gets_one_changed_history_row_and_unchanged_rows_none(importer, media):
    encounter_import(file=upload(csv_bytes(rows_for(4))), user=importer)
    changed = rows_for(4)
    changed[1]["discharged_at"] = "2026-11-04 09:00"  # encounter E1 changes
    changed[2]["patient_name_en"] = "Ahmad Al-Harbi"  # patient M2 changes
    job = encounter_import(file=upload(csv_bytes(changed)), user=importer)
    assert (job.new_count, job.updated_count, job.unchanged_count) == (0, 1, 3)
    assert job.summary["saved"]["patients"] == {"new": 0, "updated": 1, "unchanged": 2}

    e1 = Encounter.objects.get(encounter_number="E1")
    assert [h.history_type for h in e1.history.order_by("history_date", "history_id")] == ["+", "~"]
    latest = e1.history.latest()
    assert latest.history_user_id == importer.pk
    assert latest.status == "discharged" and latest.discharged_at == e1.discharged_at
    assert latest.import_job_id == job.pk == e1.import_job_id
    assert Encounter.history.filter(history_type="~").count() == 1

    m2 = Patient.objects.get(mrn="M2")
    assert m2.name_en == "Ahmad Al-Harbi" and m2.name_search.endswith("ahmad al-harbi")
    assert m2.history.latest().history_type == "~" and m2.history.latest().name_search == m2.name_search
    assert Patient.history.filter(history_type="~").count() == 1

    # The same file once more: nothing written, no history.
    counts = (Encounter.history.count(), Patient.history.count())
    stamps = dict(Patient.objects.values_list("pk", "updated_at"))
    again = encounter_import(file=upload(csv_bytes(changed)), user=importer)
    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 0, 4)
    assert (Encounter.history.count(), Patient.history.count()) == counts
    assert dict(Patient.objects.values_list("pk", "updated_at")) == stamps


def test_no_history_rows_when_history_is_disabled(importer, media, settings):
    settings.SIMPLE_HISTORY_ENABLED = False
    job = encounter_import(file=upload(csv_bytes(rows_for(2))), user=importer)
    assert job.status == JobStatus.DONE and Encounter.objects.count() == 2
    assert Encounter.history.count() == 0 and Patient.history.count() == 0


# --- the fast XLSX reader --------------------------------------------------------


def _workbook(sheet_xml: str, strings: list[str]) -> bytes:
    """A minimal workbook as Excel writes one: shared strings, a date style (numFmt 22)."""
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
            'Target="sharedStrings.xml"/>'
            '<Relationship Id="rId3" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<fonts count="1"><font><sz val="11"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" xfId="0"/><xf numFmtId="22" xfId="0" applyNumberFormat="1"/></cellXfs>'
            "</styleSheet>"
        ),
        "xl/sharedStrings.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + shared + "</sst>"
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _sheet(rows_xml: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    namespace = f'xmlns{":" + prefix if prefix else ""}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {namespace}><{p}dimension ref="A1:P5"/>'
        f"<{p}sheetData>{rows_xml}</{p}sheetData></{p}worksheet>"
    )


def _excel_rows(prefix: str = "") -> tuple[str, list[str]]:
    """A title row, the header and two encounter rows, strings shared, one admission as an Excel date."""
    p = f"{prefix}:" if prefix else ""
    strings: list[str] = []

    def shared(reference, text):
        if text not in strings:
            strings.append(text)
        return f'<{p}c r="{reference}" t="s"><{p}v>{strings.index(text)}</{p}v></{p}c>'

    columns = "ABCDEFGHIJKLMNOP"
    xml = f'<{p}row r="1">{shared("A1", "تقرير & زيارات <HIS>")}</{p}row>'
    xml += (
        f'<{p}row r="3">'
        + "".join(shared(f"{c}3", name) for c, name in zip(columns, HEADER, strict=True))
        + f"</{p}row>"
    )
    for number, values in ((4, row(encounter_number="X1")), (5, row(encounter_number="X2", patient_mrn="M2"))):
        cells = []
        for column, name in zip(columns, HEADER, strict=True):
            reference = f"{column}{number}"
            value = values[name]
            if name == "admitted_at" and number == 4:
                # 2026-11-01 08:00 as an Excel serial with a date style.
                cells.append(f'<{p}c r="{reference}" s="1"><{p}v>46327.333333333336</{p}v></{p}c>')
            elif name == "patient_phone" and number == 5:
                cells.append(f'<{p}c r="{reference}"><{p}v>501234567</{p}v></{p}c>')  # a number cell
            elif name == "patient_email" and number == 5:
                continue  # a missing cell
            elif name == "patient_name_en" and number == 5:
                cells.append(
                    f'<{p}c r="{reference}" t="inlineStr"><{p}is><{p}r><{p}t>Ahmed </{p}t></{p}r>'
                    f'<{p}r><{p}t xml:space="preserve">Al-Harbi</{p}t></{p}r></{p}is></{p}c>'
                )
            else:
                cells.append(shared(reference, str(value)))
        xml += f'<{p}row r="{number}" spans="1:16">' + "".join(cells) + f"</{p}row>"
    return xml, strings


@pytest.mark.parametrize("prefix", ["", "x"], ids=["plain", "prefixed"])
def test_the_fast_reader_gives_what_openpyxl_gives(tmp_path, prefix):
    rows_xml, strings = _excel_rows(prefix)
    path = tmp_path / "excel.xlsx"
    path.write_bytes(_workbook(_sheet(rows_xml, prefix), strings))

    def read(fast):
        with SheetReader(path, fast=fast) as reader:
            rows = [(n, cells) for n, cells in reader.rows() if any(c not in (None, "") for c in cells)]
            return [(n, list(cells[: len(HEADER)]) + [None] * (len(HEADER) - len(cells))) for n, cells in rows]

    fast, slow = read(True), read(False)
    assert fast == slow
    assert fast[0] == (1, ["تقرير & زيارات <HIS>"] + [None] * (len(HEADER) - 1))
    assert [n for n, _cells in fast] == [1, 3, 4, 5]
    assert fast[2][1][HEADER.index("admitted_at")] == datetime(2026, 11, 1, 8, 0)
    assert fast[3][1][HEADER.index("patient_name_en")] == "Ahmed Al-Harbi"


def test_an_excel_written_file_imports(importer, media, tmp_path):
    rows_xml, strings = _excel_rows()
    job = encounter_import(file=upload(_workbook(_sheet(rows_xml), strings), "his.xlsx"), user=importer)
    assert job.status == JobStatus.DONE, job.errors
    first = Encounter.objects.get(encounter_number="X1")
    assert timezone.localtime(first.admitted_at).strftime("%Y-%m-%d %H:%M") == "2026-11-01 08:00"
    assert Patient.objects.get(mrn="M2").phone == "+966501234567"


def test_a_sheet_the_fast_reader_does_not_know_is_read_with_openpyxl(importer, media, monkeypatch):
    calls = []
    original = sheets.FastSheet.rows

    def unsupported(self):
        calls.append(1)
        yield from original(self)
        raise sheets.UnsupportedSheet("test")

    monkeypatch.setattr(sheets.FastSheet, "rows", unsupported)
    data = xlsx_bytes([row()], title_rows=[["title"]])
    job = encounter_import(file=upload(data, "visits.xlsx"), user=importer)
    assert calls and job.status == JobStatus.DONE, job.errors
    assert Encounter.objects.count() == 1
