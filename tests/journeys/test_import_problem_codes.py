"""Import problems are stored as codes and worded when read, in the reader's language.

A data team member checks a file with the admin in Arabic; a colleague opens the
same job in English (and the other way round). Each reads every problem in their
own language, ordered by row and then by column as the file has them, on the job
page, in the downloaded rejected-rows file and on the command line.
"""

import csv
import html
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from px360.accounts.roles import RoleCode
from px360.journeys import importer as importer_module
from px360.journeys.models import ImportJob

from .conftest import csv_bytes, row

pytestmark = pytest.mark.django_db

# Row 2 and row 4 are the same encounter with different values; row 3 has three bad cells.
FILE_ROWS = [
    row(encounter_number="E1", patient_mrn="M1"),
    row(encounter_number="E2", patient_mrn="M2", encounter_type="XRAY", patient_gender="Q", patient_language="fr"),
    row(encounter_number="E1", patient_mrn="M1", encounter_type="OPD"),
]

EXPECTED = {
    "en": [
        (2, "encounter_number", "Encounter “E1” is also in row 4, with different values."),
        (3, "encounter_type", "Unknown encounter type “XRAY”: use EMS, INPATIENT or OPD."),
        (3, "patient_language", "Unknown language: use ar or en."),
        (3, "patient_gender", "Unknown gender: use M, F or U."),
        (4, "encounter_number", "Encounter “E1” is also in row 2, with different values."),
    ],
    "ar": [
        (2, "encounter_number", "الزيارة «E1» موجودة أيضًا في الصف 4 بقيم مختلفة."),
        (3, "encounter_type", "نوع الزيارة «XRAY» غير معروف: استخدم EMS أو INPATIENT أو OPD."),
        (3, "patient_language", "لغة غير معروفة: استخدم ar أو en."),
        (3, "patient_gender", "جنس غير معروف: استخدم M أو F أو U."),
        (4, "encounter_number", "الزيارة «E1» موجودة أيضًا في الصف 2 بقيم مختلفة."),
    ],
}


def page_problems(content: str) -> list[tuple]:
    """The job page's problem table as (row, column, reason) in reading order, tags removed."""
    table = content.split('id="px-job-problems"', 1)[1].split("</table>", 1)[0]
    rows = []
    for cells in re.findall(r"<tr class[^>]*>(.*?)</tr>", table, re.S):
        values = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
        rows.append((int(values[0]), values[1], values[2]))
    return rows


def file_problems(response) -> list[tuple]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    return lines[0], [(int(line[-2]), line[-1]) for line in lines[1:]]


@pytest.fixture
def colleagues(make_user, importer, hospital_a):
    """The importer (hospital A) and a Hospital Admin colleague of the same hospital who reads the job."""
    reader = make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="reader")
    return importer, reader


@pytest.mark.parametrize(("checked_in", "read_in"), [("ar", "en"), ("en", "ar")])
def test_a_reader_sees_the_problems_in_their_language_in_row_then_column_order(
    client, colleagues, media, checked_in, read_in
):
    checker, reader = colleagues
    checker.preferred_language = checked_in
    checker.save()
    reader.preferred_language = read_in
    reader.save()
    client.force_login(checker)
    upload = io.BytesIO(csv_bytes(FILE_ROWS))
    upload.name = "visits.csv"
    client.post(f"/{checked_in}/admin/journeys/encounter/import/", {"import_file": upload, "mode": "valid"})
    job = ImportJob.objects.get()
    assert job.error_count == 5
    # What the checker saw: their own language.
    own_page = client.get(f"/{checked_in}/admin/journeys/importjob/{job.pk}/change/").content.decode()
    assert page_problems(own_page) == EXPECTED[checked_in]

    client.force_login(reader)
    page = client.get(f"/{read_in}/admin/journeys/importjob/{job.pk}/change/")
    assert page.status_code == 200
    assert page_problems(page.content.decode()) == EXPECTED[read_in]

    download = client.get(f"/{read_in}/admin/journeys/importjob/{job.pk}/download/")
    header, rejected = file_problems(download)
    assert header[-2:] == (["row", "reason"] if read_in == "en" else ["الصف", "السبب"])
    expected_file = {}
    for number, column, reason in EXPECTED[read_in]:
        expected_file.setdefault(number, []).append(f"{column}: {reason}")
    assert rejected == [(number, "; ".join(reasons)) for number, reasons in sorted(expected_file.items())]


def test_values_from_the_file_are_isolated_on_the_page(client, importer, media):
    """Codes and values inside an Arabic sentence keep their own direction (<bdi>)."""
    client.force_login(importer)
    upload = io.BytesIO(csv_bytes([row(admitted_at="31/02/2026")]))
    upload.name = "visits.csv"
    client.post("/ar/admin/journeys/encounter/import/", {"import_file": upload, "mode": "all"})
    job = ImportJob.objects.get()
    content = client.get(f"/ar/admin/journeys/importjob/{job.pk}/change/").content.decode()
    problems = content.split('id="px-job-problems"', 1)[1]
    # The value and both accepted formats, each isolated.
    assert "<bdi>31/02/2026</bdi>" in problems
    assert "<bdi>YYYY-MM-DD[THH:MM[+03:00]]</bdi>" in problems and "<bdi>DD/MM/YYYY [HH:MM]</bdi>" in problems


def test_a_value_cannot_inject_markup_into_the_page(client, importer, media):
    client.force_login(importer)
    upload = io.BytesIO(csv_bytes([row(encounter_type="<script>alert(1)</script>")]))
    upload.name = "visits.csv"
    client.post("/en/admin/journeys/encounter/import/", {"import_file": upload, "mode": "all"})
    job = ImportJob.objects.get()
    content = client.get(f"/en/admin/journeys/importjob/{job.pk}/change/").content.decode()
    # The type is read upper-cased; either way it is text on the page, never markup.
    assert "<script>alert(1)</script>" not in content.lower()
    assert "<bdi>&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;</bdi>" in content


def test_an_unknown_code_or_broken_parameters_read_as_a_generic_problem_and_old_text_problems_still_show(
    client, importer, media
):
    job = ImportJob.objects.create(
        user=importer,
        hospital=importer.hospital,
        status="validated",
        rejected_count=3,
        error_count=4,
        errors=[
            [5, "patient_mrn", "type_unknown", {}],  # a parameter missing
            [2, "encounter_type", "no_such_problem", {"value": "X"}],
            [3, "hospital_code", "نص قديم بالعربية"],  # stored as text before problems had codes
            [2, "hospital_code", "hospital_unknown", {"code": "ZZ"}],
        ],
    )
    client.force_login(importer)
    page = client.get(f"/en/admin/journeys/importjob/{job.pk}/change/")
    assert page.status_code == 200
    assert page_problems(page.content.decode()) == [
        (2, "hospital_code", "Unknown hospital code “ZZ”."),
        (2, "encounter_type", "This value was refused (problem “no_such_problem”)."),
        (3, "hospital_code", "نص قديم بالعربية"),
        (5, "patient_mrn", "This value was refused (problem “type_unknown”)."),
    ]
    with translation.override("en"):
        assert (
            importer_module.problem_text("no_such_problem", None)
            == "This value was refused (problem “no_such_problem”)."
        )


def test_every_problem_code_has_a_message_in_both_languages():
    for code in importer_module.PROBLEMS:
        params = {"value": "V", "code": "C", "hospital": "H", "licence": "L", "number": "N", "row": 7, "error": "E"}
        with translation.override("en"):
            english = importer_module.problem_text(code, params)
        with translation.override("ar"):
            arabic = importer_module.problem_text(code, params)
        assert english and "problem “" not in english, code
        assert re.search(r"[\u0600-\u06FF]", arabic), f"{code} has no Arabic message: {arabic}"


def test_a_rejected_rows_file_stored_before_codes_downloads_as_it_was(client, importer, media):
    from django.core.files.base import ContentFile

    job = ImportJob.objects.create(user=importer, hospital=importer.hospital, status="validated", rejected_count=1)
    old = "\ufeffhospital_code,encounter_number,الصف,السبب\r\nHA,E9,2,encounter_type: نص قديم\r\n"
    job.output_file.save("rejected-rows.csv", ContentFile(old.encode("utf-8")), save=True)
    client.force_login(importer)
    response = client.get(f"/en/admin/journeys/importjob/{job.pk}/download/")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["hospital_code", "encounter_number", "الصف", "السبب"],
        ["HA", "E9", "2", "encounter_type: نص قديم"],
    ]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_command_line_words_the_problems_in_its_language(importer, media, tmp_path, capsys, language):
    importer.preferred_language = "ar" if language == "en" else "en"  # the user's own language does not matter
    importer.save()
    path = tmp_path / "visits.csv"
    path.write_bytes(csv_bytes(FILE_ROWS))
    with pytest.raises(CommandError):  # the file has problems
        call_command("import_encounters", str(path), "--user", "importer", "--dry-run", "--language", language)
    errors = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    words = "row %(row)s, %(column)s: %(reason)s" if language == "en" else "الصف %(row)s، %(column)s: %(reason)s"
    assert errors == [
        words % {"row": number, "column": column, "reason": reason} for number, column, reason in EXPECTED[language]
    ]


@pytest.mark.parametrize(("language", "expected"), [("en", "The file could not be read as an Excel workbook.")])
def test_a_failure_stored_as_a_code_reads_in_the_readers_language_and_old_text_still_shows(
    client, importer, media, language, expected
):
    coded = ImportJob.objects.create(
        user=importer,
        hospital=importer.hospital,
        status="failed",
        failure_reason="تعذّرت قراءة الملف كمصنف Excel.",
        summary={"failure": {"code": "not_workbook", "params": {}}},
    )
    text_only = ImportJob.objects.create(
        user=importer, hospital=importer.hospital, status="failed", failure_reason="Old reason, as it was stored."
    )
    client.force_login(importer)
    assert expected in client.get(f"/{language}/admin/journeys/importjob/{coded.pk}/change/").content.decode()
    assert (
        "Old reason, as it was stored."
        in client.get(f"/en/admin/journeys/importjob/{text_only.pk}/change/").content.decode()
    )
