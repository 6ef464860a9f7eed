"""The column contract in one place, and a template that starts a new data team right.

The import page, the README and the downloadable template all come from (or are
checked against) the importer's column definitions. A PX Coordinator of
hospital A downloads the template: it holds hospital A's codes only, reads
right to left in Arabic, is safe to open in a spreadsheet, and imports cleanly
once filled in.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from px360.accounts.roles import RoleCode
from px360.journeys.importer import COLUMN_DEFINITIONS, COLUMNS, REQUIRED_HEADERS
from px360.journeys.models import Encounter, ImportJob

from ..factories import DepartmentFactory, PhysicianFactory
from .conftest import upload

pytestmark = pytest.mark.django_db


def template_url(file_format, language="en"):
    return f"/{language}/admin/journeys/importjob/template/{file_format}/"


@pytest.fixture
def coordinator_a(make_user, hospital_a, department_a, hospital_b, department_b):
    """A PX Coordinator of hospital A; hospital B has its own department and physician."""
    PhysicianFactory(hospital=hospital_a, department=department_a, license_number="LICA1", name_en="Dr A")
    PhysicianFactory(hospital=hospital_b, department=department_b, license_number="LICB1", name_en="Dr B")
    DepartmentFactory(hospital=hospital_b, code="BONLY", name_en="B only", name_ar="ب فقط")
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a")


def workbook_of(response):
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def csv_of(response):
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads Arabic CSV right
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def codes_in(rows):
    return {(row[1] or "", row[2]) for row in rows[1:]}


def test_the_readme_lists_exactly_the_columns_in_code():
    text = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = text.split("## Loading HIS data", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if re.match(r"^\| `\w+` \|", line)]
    names = [re.match(r"^\| `(\w+)` \|", line).group(1) for line in table]
    assert names == list(COLUMNS)
    required = [line.split("|")[2].strip() == "yes" for line in table]
    assert required == [column.required for column in COLUMN_DEFINITIONS]


def test_the_import_page_describes_every_column(client, coordinator_a):
    client.force_login(coordinator_a)
    page = client.get("/en/admin/journeys/encounter/import/").content.decode()
    listed = re.findall(r'<tr[^>]*data-column="(\w+)"', page)
    assert listed == list(COLUMNS)
    for column in COLUMN_DEFINITIONS:
        assert str(column.rule).replace("'", "&#x27;") in page
    for file_format in ("xlsx", "csv", "codes"):
        assert f'href="{template_url(file_format)}"' in page


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_xlsx_template_has_hospital_as_codes_only(client, coordinator_a, language):
    client.force_login(coordinator_a)
    workbook = workbook_of(client.get(template_url("xlsx", language)))
    sheet, explained, codes = workbook.worksheets
    rows = [[cell.value for cell in line] for line in sheet.iter_rows(min_row=1, max_row=2)]
    assert rows[1] == list(COLUMNS)  # the names the importer reads
    assert rows[0] != rows[1] and all(rows[0])  # a header people read, above them
    assert [line[0] for line in explained.iter_rows(min_row=2, values_only=True)] == list(COLUMNS)
    listed = codes_in([list(line) for line in codes.iter_rows(values_only=True)])
    assert {("", "HA"), ("HA", "MED"), ("HA", "LICA1"), ("", "OPD"), ("", "ar"), ("", "M")} <= listed
    assert not any("HB" in values or "LICB1" in values or "BONLY" in values for values in listed)
    # Right to left for an Arabic reader, every sheet.
    assert all(ws.sheet_view.rightToLeft == (language == "ar") for ws in workbook.worksheets)


def test_the_csv_template_and_codes_have_hospital_as_codes_only(client, coordinator_a):
    client.force_login(coordinator_a)
    template = csv_of(client.get(template_url("csv")))
    assert len(template) == 2 and template[1] == list(COLUMNS)
    assert template[0][0].startswith("Hospital code")
    codes = csv_of(client.get(template_url("codes")))
    assert codes[0] == ["kind", "hospital code", "code", "name"]
    listed = codes_in(codes)
    assert {("", "HA"), ("HA", "MED"), ("HA", "LICA1")} <= listed
    assert not any("HB" in values or "LICB1" in values or "BONLY" in values for values in listed)


def test_a_hospital_b_coordinator_sees_b_and_a_group_wide_user_sees_both(
    client, coordinator_a, make_user, hospital_b, superuser
):
    client.force_login(make_user(RoleCode.PX_COORDINATOR, hospital=hospital_b))
    listed = codes_in(csv_of(client.get(template_url("codes"))))
    assert ("HB", "BONLY") in listed and ("HA", "MED") not in listed
    client.force_login(make_user(RoleCode.PX_ADMIN, username="group"))
    listed = codes_in(csv_of(client.get(template_url("codes"))))
    assert {("HA", "MED"), ("HB", "BONLY")} <= listed


def test_names_that_look_like_formulas_stay_text(client, coordinator_a, hospital_a):
    DepartmentFactory(hospital=hospital_a, code="EVIL", name_en='=HYPERLINK("http://x","y")', name_ar="=1+1")
    client.force_login(coordinator_a)
    codes = csv_of(client.get(template_url("codes")))
    assert ["Department", "HA", "EVIL", '\'=HYPERLINK("http://x","y")'] in codes
    workbook = workbook_of(client.get(template_url("xlsx")))
    cell = next(line[3] for line in workbook.worksheets[2].iter_rows() if line[2].value == "EVIL")
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x","y")'


def test_only_who_may_import_gets_the_template(client, make_user, hospital_a, coordinator_a):
    client.force_login(make_user(RoleCode.VIEWER, hospital=hospital_a))
    assert client.get(template_url("xlsx")).status_code == 403
    client.force_login(coordinator_a)
    assert client.get(template_url("pdf")).status_code == 404


FILLED = {
    "hospital_code": "HA",
    "encounter_number": "T1",
    "encounter_type": "OPD",
    "patient_mrn": "MT1",
    "patient_national_id": "1000000008",
    "patient_name_ar": "سارة",
    "patient_name_en": "Sara",
    "patient_phone": "0501234567",
    "patient_email": "sara@example.com",
    "patient_language": "ar",
    "patient_birth_date": "1990-01-02",
    "patient_gender": "F",
    "department_code": "MED",
    "physician_license": "LICA1",
    "admitted_at": "01/11/2026 08:30",
    "discharged_at": "2026-11-01 11:00",
}


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_filled_xlsx_template_imports_cleanly(client, coordinator_a, media, language):
    client.force_login(coordinator_a)
    workbook = workbook_of(client.get(template_url("xlsx", language)))
    sheet = workbook.worksheets[0]
    for position, name in enumerate(COLUMNS, start=1):
        sheet.cell(row=3, column=position, value=FILLED[name])
        sheet.cell(row=4, column=position, value=FILLED[name] if name != "encounter_number" else "T2")
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.post(
        f"/{language}/admin/journeys/encounter/import/",
        {"import_file": upload(buffer.getvalue(), "filled.xlsx"), "mode": "all"},
    )
    job = ImportJob.objects.get()
    assert (job.status, job.rejected_count, job.new_count, job.errors) == ("validated", 0, 2, [])
    client.post(f"/{language}/admin/journeys/importjob/{job.pk}/confirm/")
    assert set(Encounter.objects.values_list("encounter_number", flat=True)) == {"T1", "T2"}


def test_a_filled_csv_template_imports_cleanly(client, coordinator_a, media):
    client.force_login(coordinator_a)
    lines = csv_of(client.get(template_url("csv", "ar")))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(lines)
    writer.writerow([FILLED[name] for name in lines[1]])
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    client.post("/ar/admin/journeys/encounter/import/", {"import_file": upload(data, "filled.csv"), "mode": "all"})
    job = ImportJob.objects.get()
    assert (job.status, job.rejected_count, job.new_count, job.errors) == ("validated", 0, 1, [])


def test_required_columns_come_from_the_definitions():
    assert REQUIRED_HEADERS == ("hospital_code", "encounter_number", "encounter_type", "patient_mrn", "admitted_at")
