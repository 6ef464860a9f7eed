"""What a manager finds when they open an exported file.

Typed cells (numbers are numbers, dates are dates in Riyadh time), yes/no and
headers in the reader's language, a sheet named for what it holds and
right-to-left for Arabic readers, one column per survey question, no quote
mark in XLSX text and a guard against formulas in CSV. And the way it is
written: rows are streamed in chunks to a constant-memory writer, never
collected.
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from px360.accounts.roles import RoleCode
from px360.core.exports.columns import Column, ColumnSet
from px360.core.exports.service import write_rows
from px360.core.exports.writers import CsvWriter, XlsxWriter
from px360.surveys.choices import QuestionType
from px360.surveys.models import SurveyAnswer, SurveyInstance, SurveyQuestion, SurveyResponse, SurveyTemplate
from px360.surveys.services import template_current_version

from ..factories import PatientFactory
from .test_exports import csv_rows, download, encounter, url

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.test_exports")]

RIYADH = zoneinfo.ZoneInfo("Asia/Riyadh")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    import px360.surveys.exports  # noqa: F401  (registers the response columns, as SurveysConfig.ready does)


def workbook(response):
    return load_workbook(io.BytesIO(download(response)))


def sheet_rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def hospital_admin(make_user, hospital_a):
    return make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="ha_cells")


@pytest.fixture
def visit(hospital_a):
    patient = PatientFactory(hospital=hospital_a, mrn="MRN2002", phone="+966501234567", name_en="=HYPERLINK(1)")
    admitted = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)  # 02:30 on the 21st in Riyadh
    return encounter(hospital_a, "V-1", patient=patient, kind="EMS", admitted=admitted)


# --- encounters: typed cells, language, direction ---------------------------------------------


def test_an_english_readers_workbook_has_typed_cells_english_headers_and_a_named_sheet(client, hospital_admin, visit):
    client.force_login(hospital_admin)
    book = workbook(client.post(url("journeys_encounter_list_export", language="en"), {"format": "xlsx"}))
    sheet = book.worksheets[0]
    assert sheet.title == "Encounters" and not sheet.sheet_view.rightToLeft
    rows = sheet_rows(sheet)
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert "Encounter number" in header and "Patient: MRN" in header
    assert not any("_" in str(name) for name in header), "no snake_case headers"
    assert row["Admitted / visit start"] == dt.datetime(2026, 11, 21, 2, 30)  # a date cell, Riyadh wall time
    assert row["Type"] == "Emergency"  # a choice shown by its label, not its code "EMS"
    assert sheet.freeze_panes == "A2"
    assert [s.title for s in book.worksheets][1] == "About this export"


def test_an_arabic_readers_workbook_is_right_to_left_with_arabic_headers(client, hospital_admin, visit):
    client.force_login(hospital_admin)
    sheet = workbook(client.post(url("journeys_encounter_list_export", language="ar"), {"format": "xlsx"})).worksheets[
        0
    ]
    assert sheet.sheet_view.rightToLeft
    header = sheet_rows(sheet)[0]
    assert "رقم الزيارة" in header
    assert sheet.title == "الزيارات"


def test_text_that_looks_like_a_number_or_a_formula_stays_text_with_no_quote_mark_in_xlsx(
    client, hospital_admin, visit
):
    client.force_login(hospital_admin)
    sheet = workbook(client.post(url("organizations_patient_list_export"), {"format": "xlsx"})).worksheets[0]
    rows = sheet_rows(sheet)
    row = dict(zip(rows[0], rows[1], strict=True))
    phone = next(value for key, value in row.items() if "phone" in str(key).lower())
    name = next(value for key, value in row.items() if str(key).lower().startswith("name (english"))
    assert phone == "+966501234567"
    assert name == "=HYPERLINK(1)"
    cells = {cell.value: cell for cell in sheet[2]}
    assert cells["=HYPERLINK(1)"].data_type == "s", "a text cell: never run as a formula"


@pytest.mark.parametrize("payload", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_csv_text_that_a_spreadsheet_would_run_gets_an_apostrophe(client, hospital_admin, hospital_a, payload):
    PatientFactory(hospital=hospital_a, mrn="MRN3003", name_en=payload)
    client.force_login(hospital_admin)
    rows = csv_rows(download(client.post(url("organizations_patient_list_export"), {"format": "csv"})))
    name_column = next(index for index, key in enumerate(rows[0]) if key.lower().startswith("name (english"))
    assert rows[1][name_column] == "'" + payload


# --- survey responses: scores as numbers, one column per question ------------------------------


@pytest.fixture
def responses(hospital_a, hospital_b):
    template = SurveyTemplate.objects.create(code="visit", name_ar="زيارة العيادة", name_en="Clinic visit")
    questions = [
        ("overall", QuestionType.RATING, "التقييم العام", "Overall rating", []),
        ("again", QuestionType.YES_NO, "هل تعود إلينا؟", "Would you come again?", []),
        (
            "heard",
            QuestionType.SINGLE_CHOICE,
            "كيف عرفت عنا؟",
            "How did you hear of us?",
            [{"value": "web", "ar": "الموقع", "en": "Website"}, {"value": "friend", "ar": "صديق", "en": "A friend"}],
        ),
        ("why", QuestionType.FREE_TEXT, "ملاحظات", "Comments", []),
    ]
    for order, (code, kind, text_ar, text_en, choices) in enumerate(questions):
        SurveyQuestion.objects.create(
            template=template, order=order, code=code, question_type=kind, text_ar=text_ar, text_en=text_en,
            choices=choices, required=False,
        )  # fmt: skip
    version = template_current_version(template=template)

    def respond(hospital, mrn, answers, **scores):
        patient = PatientFactory(hospital=hospital, mrn=mrn)
        instance = SurveyInstance.objects.create(
            template=template,
            version=version,
            hospital=hospital,
            patient=patient,
            trigger_key=mrn,
            token=mrn,
            triggered_at=timezone.now(),
        )
        response = SurveyResponse.objects.create(
            instance=instance,
            hospital=hospital,
            template=template,
            version=version,
            language="ar",
            submitted_at=dt.datetime(2026, 11, 20, 21, 15, tzinfo=dt.UTC),
            **scores,
        )
        for code, (kind, number, text) in answers.items():
            SurveyAnswer.objects.create(
                response=response, question_code=code, question_type=kind, value_number=number, value_text=text
            )
        return response

    return [
        respond(
            hospital_a,
            "R1",
            {
                "overall": (QuestionType.RATING, 4, ""),
                "again": (QuestionType.YES_NO, 0, ""),
                "heard": (QuestionType.SINGLE_CHOICE, None, "friend"),
                "why": (QuestionType.FREE_TEXT, None, "=cmd"),
            },
            mean_score=Decimal("80.00"),
            is_negative=True,
        ),
        respond(hospital_b, "R2", {"overall": (QuestionType.RATING, 1, "")}, mean_score=Decimal("0.00")),
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {
                "Survey": "Clinic visit",
                "Negative": "Yes",
                "Overall rating": 4,
                "Would you come again?": "No",
                "How did you hear of us?": "A friend",
                "Comments": "=cmd",
            },
        ),
        (
            "ar",
            {
                "Survey": "زيارة العيادة",
                "Negative": "نعم",
                "التقييم العام": 4,
                "هل تعود إلينا؟": "لا",
                "كيف عرفت عنا؟": "صديق",
                "ملاحظات": "=cmd",
            },
        ),
    ],
)
def test_responses_have_one_typed_column_per_question_in_the_readers_language(
    client, hospital_admin, responses, language, expected
):
    client.force_login(hospital_admin)
    response = client.post(url("surveys_surveyresponse_list_export", language=language), {"format": "xlsx"})
    sheet = workbook(response).worksheets[0]
    rows = sheet_rows(sheet)
    assert len(rows) == 2, "hospital B's response is not exported"
    row = dict(zip(rows[0], rows[1], strict=True))
    survey_header = rows[0][0]
    assert row[survey_header] == expected.pop("Survey")
    negative = next(key for key in row if key in ("Negative", "سلبي", "سلبية"))
    assert row[negative] == expected.pop("Negative")
    for header, value in expected.items():
        assert row[header] == value, header
    mean = next(value for key, value in row.items() if "100" in str(key))
    assert mean == 80 and isinstance(mean, int | float), "a score is a number, not the text '80.00'"
    submitted = next(value for value in row.values() if isinstance(value, dt.datetime))
    assert submitted == dt.datetime(2026, 11, 21, 0, 15)
    assert bool(sheet.sheet_view.rightToLeft) == (language == "ar")
    assert not any(str(value).startswith("'") for value in row.values() if value is not None)


# --- constant memory: an iterator in, one chunk held at a time ----------------------------------


class CountingWriter:
    """A writer that checks how far the row source has run ahead of what was written."""

    def __init__(self, source):
        self.source = source
        self.rows = 0
        self.most_ahead = 0

    def header(self, headers, **_options):
        self.headers = headers

    def write_row(self, cells):
        self.rows += 1
        self.most_ahead = max(self.most_ahead, self.source.pulled - self.rows)


class Source:
    def __init__(self, count):
        self.count = count
        self.pulled = 0

    def __iter__(self):
        for number in range(self.count):
            self.pulled += 1
            yield (number, f"row {number}", Decimal(number))


def test_rows_are_fed_to_the_writer_a_chunk_at_a_time_from_an_iterator():
    columns = ColumnSet([Column("Text", ("text",)), Column("Number", ("number",))])
    columns.paths = ["pk", "text", "number"]
    source = Source(10_000)
    writer = CountingWriter(source)
    written = write_rows(column_set=columns, rows=iter(source), writer=writer, chunk_size=500)
    assert written == writer.rows == 10_000
    assert writer.most_ahead < 500, "never more than one chunk read ahead of the writer"


def test_the_database_rows_are_streamed_not_collected(hospital_admin, visit, django_assert_max_num_queries):
    from px360.core.exports.columns import columns_for
    from px360.core.exports.service import ExportRequest, changelist_queryset, stream_rows
    from px360.journeys.models import Encounter

    from .test_exports import export_site

    model_admin = export_site._registry[Encounter]
    request = ExportRequest(user=hospital_admin, params={}, language="en")
    queryset = changelist_queryset(model_admin, request)
    column_set = columns_for(model_admin, request, user=hospital_admin, queryset=queryset)
    rows = stream_rows(queryset, column_set, chunk_size=100)
    assert not isinstance(rows, list | tuple) and iter(rows) is rows, "a generator, not a list of rows"
    assert next(rows)[0] == visit.pk


def test_the_xlsx_writer_is_in_constant_memory_mode(tmp_path):
    writer = XlsxWriter(tmp_path / "out.xlsx", sheet_name="Encounters: 2026/11 [all]")
    assert writer.workbook.constant_memory
    writer.header(["A"])
    writer.write_row([timezone.localtime().replace(tzinfo=None)])
    writer.close()
    book = load_workbook(tmp_path / "out.xlsx")
    assert book.worksheets[0].title == "Encounters  2026 11  all"


def test_the_csv_writer_has_a_byte_order_mark_and_plain_numbers_and_dates(tmp_path):
    writer = CsvWriter(tmp_path / "out.csv")
    writer.header(["رقم", "date"])
    writer.write_row([-5, dt.date(2026, 11, 21)])
    writer.close()
    content = (tmp_path / "out.csv").read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig").splitlines() == ["رقم,date", "-5,2026-11-21"]


def test_a_list_without_a_resource_exports_its_own_columns_as_shown(client, superuser, hospital_a):
    from px360.journeys.models import JourneyStageTemplate, JourneyTemplate

    template = JourneyTemplate.objects.create(journey_type="OPD", name_ar="رحلة العيادات", name_en="Clinic journey")
    for order in range(3):
        JourneyStageTemplate.objects.create(
            template=template, order=order, code=f"s{order}", name_ar=f"مرحلة {order}", name_en=f"Stage {order}"
        )
    client.force_login(superuser)
    for language, name, group in (("en", "Clinic journey", "Group default"), ("ar", "رحلة العيادات", None)):
        response = client.post(url("journeys_journeytemplate_list_export", language=language), {"format": "xlsx"})
        rows = sheet_rows(workbook(response).worksheets[0])
        assert len(rows) == 2
        cells = rows[1]
        assert cells[0] == name, "a translated name in the reader's language, not the bare column"
        assert 3 in cells, "the annotated stage count, as a number"
        if group:
            assert group in cells and "Yes" in cells
