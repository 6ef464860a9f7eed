"""The Ministry's 937 line: its exported tickets become complaints, once, all or none."""

import json
import re
import threading
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation
from freezegun import freeze_time
from openpyxl import Workbook

from px360.accounts.models import User
from px360.accounts.roles import RoleCode
from px360.complaints import moh937
from px360.complaints.choices import Channel, ComplainantKind, UpdateKind
from px360.complaints.models import Complaint, ComplaintUpdate
from px360.complaints.moh937 import COLUMNS, import_937_file, problem_text
from px360.core.models import AuditAction, AuditEvent
from px360.sla.models import SLAClock
from px360.sla.selectors import clocks_of

from ..factories import DepartmentFactory, PatientFactory, valid_national_id
from .loop_support import complaint_setup, with_permissions, write_csv

RIYADH = ZoneInfo("Asia/Riyadh")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=RIYADH)
COMPLAINT_PERMISSIONS = ("add_complaint", "view_complaint", "change_complaint", "import_complaint")

pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with freeze_time(NOW):
        yield


@pytest.fixture
def setup(db, hospital_a):
    complaint_setup()
    DepartmentFactory(hospital=hospital_a, code="OPD", name_en="Outpatients", name_ar="العيادات")


@pytest.fixture
def coordinator(make_user, hospital_a, setup):
    return with_permissions(
        make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a"), *COMPLAINT_PERMISSIONS
    )


@pytest.fixture
def patient(hospital_a):
    return PatientFactory(hospital=hospital_a, mrn="MRN-7001", phone="+966501112233")


def ticket(**values) -> dict:
    row = {
        "ticket_number": "937-0001",
        "received_at": "01/03/2026 09:15",
        "hospital_code": "HA",
        "department_code": "OPD",
        "caller_name": "سارة الحربي",
        "caller_phone": "0501234567",
        "category": "تأخر المواعيد",
        "description": "انتظرت ثلاث ساعات في العيادة دون أن يخبرني أحد بالسبب.",
        "ministry_status": "مفتوح",
    }
    row.update(values)
    return row


def two_tickets(patient):
    other = PatientFactory(hospital=patient.hospital, national_id=valid_national_id(424242))
    return [
        ticket(mrn=patient.mrn),
        ticket(
            ticket_number="937-0002",
            received_at="2026-03-02 16:40",
            department_code="",
            caller_name="John Smith",
            caller_phone="+201001234567",
            national_id=other.national_id,
            category="",
            description="Nobody answered the phone at the pharmacy.\nI called five times.",
            ministry_status="",
        ),
    ], other


def test_each_ticket_becomes_a_complaint_with_its_reference_clocks_and_ticket_number(coordinator, patient, tmp_path):
    rows, other = two_tickets(patient)
    report = import_937_file(write_csv(tmp_path / "937.csv", list(COLUMNS), rows), user=coordinator)

    assert report.saved and report.is_clean
    assert [(o.row, o.ticket) for o in report.new] == [(2, "937-0001"), (3, "937-0002")]
    first = Complaint.objects.get(external_reference="937-0001")
    assert re.fullmatch(r"CMP-2026-\d{6}", first.reference)
    assert report.new[0].reference == first.reference
    assert first.channel == Channel.MOH_937
    assert first.received_at == datetime(2026, 3, 1, 9, 15, tzinfo=RIYADH)
    assert first.hospital == patient.hospital
    assert first.department.code == "OPD"
    assert first.patient == patient
    assert (first.complainant_kind, first.contact_name, first.contact_phone) == (
        ComplainantKind.PATIENT,
        "سارة الحربي",
        "+966501234567",
    )
    assert first.language == "ar"
    assert first.summary == "تأخر المواعيد"
    assert first.created_by == coordinator
    # Both SLA clocks run from the time the Ministry took the call.
    clocks = {clock.clock: clock for clock in clocks_of(first)}
    assert set(clocks) == {"acknowledge", "resolve"}
    assert all(clock.started_at == first.received_at for clock in clocks.values())
    assert first.expected_by == clocks["resolve"].due_at
    notes = first.updates.filter(kind=UpdateKind.NOTE).values_list("text", flat=True)
    assert any("مفتوح" in note for note in notes)

    second = Complaint.objects.get(external_reference="937-0002")
    assert second.patient == other  # linked by national ID within the hospital
    assert second.department is None
    assert second.language == "en"
    assert second.summary == "Nobody answered the phone at the pharmacy."
    assert second.contact_phone == "+201001234567"
    assert second.reference != first.reference


def test_importing_the_same_file_again_changes_nothing(coordinator, patient, tmp_path):
    rows, _other = two_tickets(patient)
    path = write_csv(tmp_path / "937.csv", list(COLUMNS), rows)
    first = import_937_file(path, user=coordinator)
    counts = (
        Complaint.objects.count(),
        ComplaintUpdate.objects.count(),
        SLAClock.objects.count(),
        Complaint.history.count(),
    )
    updated = dict(Complaint.objects.values_list("pk", "updated_at"))

    again = import_937_file(path, user=coordinator)

    assert not again.saved and again.is_clean
    assert again.new == []
    assert [(o.row, o.ticket, o.reference) for o in again.received] == [
        (o.row, o.ticket, o.reference) for o in first.new
    ]
    assert (
        Complaint.objects.count(),
        ComplaintUpdate.objects.count(),
        SLAClock.objects.count(),
        Complaint.history.count(),
    ) == counts
    assert dict(Complaint.objects.values_list("pk", "updated_at")) == updated


def test_a_later_export_of_a_received_ticket_is_not_read_again(coordinator, patient, tmp_path):
    rows, _other = two_tickets(patient)
    import_937_file(write_csv(tmp_path / "first.csv", list(COLUMNS), rows), user=coordinator)
    later = [ticket(caller_phone="12", department_code="GONE", ministry_status="مغلق"), rows[1]]

    report = import_937_file(write_csv(tmp_path / "later.csv", list(COLUMNS), later), user=coordinator)

    assert report.is_clean and not report.saved
    assert [o.ticket for o in report.received] == ["937-0001", "937-0002"]
    first = Complaint.objects.get(external_reference="937-0001")
    assert first.contact_phone == "+966501234567" and first.department.code == "OPD"
    assert not first.updates.filter(text__contains="مغلق").exists()


def test_a_file_with_new_and_received_tickets_adds_only_the_new_ones(coordinator, patient, tmp_path):
    rows, _other = two_tickets(patient)
    import_937_file(write_csv(tmp_path / "first.csv", list(COLUMNS), rows[:1]), user=coordinator)

    report = import_937_file(write_csv(tmp_path / "both.csv", list(COLUMNS), rows), user=coordinator)

    assert report.saved
    assert [o.ticket for o in report.received] == ["937-0001"]
    assert [o.ticket for o in report.new] == ["937-0002"]
    assert Complaint.objects.filter(channel=Channel.MOH_937).count() == 2


@pytest.mark.parametrize(
    ("values", "column", "code"),
    [
        ({"ticket_number": ""}, "ticket_number", "ticket_missing"),
        ({"ticket_number": "9" * 41}, "ticket_number", "ticket_too_long"),
        ({"hospital_code": ""}, "hospital_code", "hospital_missing"),
        ({"hospital_code": "ZZ"}, "hospital_code", "hospital_unknown"),
        ({"department_code": "NOPE"}, "department_code", "department_unknown"),
        ({"received_at": ""}, "received_at", "received_missing"),
        ({"received_at": "31/02/2026 10:00"}, "received_at", "datetime_invalid"),
        ({"received_at": "yesterday"}, "received_at", "datetime_invalid"),
        ({"received_at": "2026-04-01 10:00"}, "received_at", "received_future"),
        ({"caller_phone": "0512"}, "caller_phone", "phone_invalid_saudi"),
        ({"caller_phone": "+1 555"}, "caller_phone", "phone_invalid"),
        ({"national_id": "1234567890"}, "national_id", "national_id_invalid"),
        ({"caller_name": "س" * 201}, "caller_name", "name_too_long"),
        ({"description": "  "}, "description", "description_missing"),
    ],
)
def test_each_problem_refuses_its_row_and_nothing_is_saved(coordinator, tmp_path, values, column, code):
    rows = [ticket(), ticket(**{"ticket_number": "937-0002", **values}), ticket(ticket_number="937-0003")]

    report = import_937_file(write_csv(tmp_path / "937.csv", list(COLUMNS), rows), user=coordinator)

    assert [(p.row, p.column, p.code) for p in report.problems] == [(3, column, code)]
    assert report.refused_rows == [3]
    assert not report.saved
    assert Complaint.objects.count() == 0
    assert not problem_text(report.problems[0].code, report.problems[0].params).startswith("This value was refused")


def test_a_ticket_repeated_inside_the_file_is_refused_and_names_the_first_row(coordinator, tmp_path):
    rows = [ticket(), ticket(ticket_number="937-0002"), ticket()]

    report = import_937_file(write_csv(tmp_path / "937.csv", list(COLUMNS), rows), user=coordinator)

    assert [(p.row, p.code, p.params) for p in report.problems] == [
        (4, "ticket_repeated", {"ticket": "937-0001", "row": 2})
    ]
    with translation.override("en"):
        assert report.worded_problems()[0][2] == "Ticket “937-0001” is also in row 2."
    assert Complaint.objects.count() == 0


def test_one_bad_row_saves_nothing_and_the_page_names_the_row(client, coordinator, tmp_path):
    rows = [ticket(), ticket(ticket_number="937-0002", caller_phone="12"), ticket(ticket_number="937-0003")]
    client.force_login(coordinator)
    with translation.override("en"):
        url = reverse("admin:complaints_complaint_import_937")
    with open(write_csv(tmp_path / "937.csv", list(COLUMNS), rows), "rb") as upload:
        response = client.post(url, {"file": upload})

    assert response.status_code == 200
    assert Complaint.objects.count() == 0
    page = response.content.decode()
    assert "Nothing was saved: correct the rows below and import the whole file again." in page
    problems = page.split('id="px-937-problems"')[1].split("</table>")[0]
    assert 'data-row="3"' in problems
    assert "Caller phone" in problems
    assert "Enter a valid Saudi phone number." in problems
    assert 'data-row="2"' not in problems and 'data-row="4"' not in problems


def test_the_page_reports_new_and_already_received_tickets_in_arabic(client, coordinator, patient, tmp_path):
    rows, _other = two_tickets(patient)
    path = write_csv(tmp_path / "937.csv", list(COLUMNS), rows)
    client.force_login(coordinator)
    with translation.override("ar"):
        url = reverse("admin:complaints_complaint_import_937")
    assert client.get(url).status_code == 200

    with open(path, "rb") as upload:
        first = client.post(url, {"file": upload}).content.decode()
    with open(path, "rb") as upload:
        again = client.post(url, {"file": upload}).content.decode()

    references = sorted(Complaint.objects.values_list("reference", flat=True))
    assert 'data-outcome="saved"' in first
    assert all(reference in first.split('id="px-937-new"')[1] for reference in references)
    assert 'data-outcome="nothing"' in again
    assert 'id="px-937-new"' not in again
    assert all(reference in again.split('id="px-937-received"')[1] for reference in references)
    assert Complaint.objects.count() == 2


def test_a_hospital_out_of_scope_reads_exactly_like_an_unknown_one(
    client, coordinator, hospital_b, make_user, tmp_path
):
    rows = [ticket(hospital_code="HB", department_code=""), ticket(ticket_number="937-0002", hospital_code="HZ")]
    path = write_csv(tmp_path / "937.csv", list(COLUMNS), rows)

    report = import_937_file(path, user=coordinator)

    assert [(p.row, p.code, p.params) for p in report.problems] == [
        (2, "hospital_unknown", {"code": "HB"}),
        (3, "hospital_unknown", {"code": "HZ"}),
    ]
    client.force_login(coordinator)
    with translation.override("en"):
        url = reverse("admin:complaints_complaint_import_937")
    with open(path, "rb") as upload:
        page = client.post(url, {"file": upload}).content.decode()
    problems = page.split('id="px-937-problems"')[1].split("</table>")[0]
    reasons = re.findall(r'<td class="p-2" style="min-width:12rem">(.*?)</td>', problems, re.S)
    assert len(reasons) == 2
    assert reasons[0].replace("HB", "HZ") == reasons[1]
    assert Complaint.objects.count() == 0

    px_admin = with_permissions(make_user(RoleCode.PX_ADMIN, username="px_admin"), *COMPLAINT_PERMISSIONS)
    assert import_937_file(write_csv(tmp_path / "b.csv", list(COLUMNS), rows[:1]), user=px_admin).saved
    assert Complaint.objects.get().hospital == hospital_b


def test_only_who_may_add_complaints_for_a_hospital_reaches_the_page(client, make_user, hospital_a, setup):
    with translation.override("en"):
        url = reverse("admin:complaints_complaint_import_937")
    assert client.get(url).status_code == 302  # to the sign-in page

    viewer = make_user(RoleCode.VIEWER, hospital=hospital_a, username="viewer_a")
    client.force_login(viewer)
    assert client.get(url).status_code == 403

    department = DepartmentFactory(hospital=hospital_a, code="WARD")
    manager = with_permissions(
        make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=department, username="dm_a"),
        *COMPLAINT_PERMISSIONS,
    )
    client.force_login(manager)
    assert client.get(url).status_code == 403

    coordinator = with_permissions(
        make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_2"), *COMPLAINT_PERMISSIONS
    )
    client.force_login(coordinator)
    page = client.get(url)
    assert page.status_code == 200
    assert all(f'data-column="{name}"' in page.content.decode() for name in COLUMNS)


def test_the_import_is_audited_without_the_callers_details(coordinator, patient, tmp_path):
    rows, _other = two_tickets(patient)
    import_937_file(write_csv(tmp_path / "937.csv", list(COLUMNS), rows), user=coordinator, file_name="week-10.csv")

    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert event.actor == coordinator
    assert event.hospital_id == patient.hospital_id
    assert event.row_count == 2
    assert event.details["new"] == 2 and event.details["saved"] is True
    assert event.details["file"] == "week-10.csv"
    stored = json.dumps(event.details, ensure_ascii=False)
    for personal in ("0501234567", "+966501234567", "سارة", "John", "انتظرت", patient.mrn):
        assert personal not in stored


def test_checking_only_saves_nothing_and_is_audited_as_a_preview(coordinator, patient, tmp_path):
    rows, _other = two_tickets(patient)

    report = import_937_file(write_csv(tmp_path / "937.csv", list(COLUMNS), rows), user=coordinator, check_only=True)

    assert report.is_clean and not report.saved
    assert [o.ticket for o in report.new] == ["937-0001", "937-0002"]
    assert Complaint.objects.count() == 0
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT_PREVIEW).count() == 1


def test_a_workbook_with_a_title_row_english_headers_and_date_cells_imports_like_a_csv(coordinator, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["وزارة الصحة — بلاغات 937"])
    sheet.append(["Ticket number", "Received at", "Hospital code", "Description", "Caller phone"])
    sheet.append([9370005, datetime(2026, 3, 3, 11, 5), "ha", "Rude reception staff", "966501234567"])
    sheet.append([None, None, None, None, None])
    path = tmp_path / "937.xlsx"
    workbook.save(path)

    report = import_937_file(path, user=coordinator)

    assert report.saved, report.worded_problems()
    complaint = Complaint.objects.get()
    assert complaint.external_reference == "9370005"
    assert complaint.received_at == datetime(2026, 3, 3, 11, 5, tzinfo=RIYADH)
    assert complaint.contact_phone == "+966501234567"
    assert report.new[0].row == 3


def test_times_written_with_am_pm_and_arabic_digits_are_read(coordinator, tmp_path):
    rows = [
        ticket(received_at="02/03/2026 03:30 PM"),
        ticket(ticket_number="937-0002", received_at="٠٢/٠٣/٢٠٢٦ ٠٩:٠٥ ص"),
        ticket(ticket_number="937-0003", received_at="2026-03-02T10:00+00:00"),
    ]

    report = import_937_file(write_csv(tmp_path / "937.csv", list(COLUMNS), rows), user=coordinator)

    assert report.saved, report.worded_problems()
    received = dict(Complaint.objects.values_list("external_reference", "received_at"))
    assert received["937-0001"] == datetime(2026, 3, 2, 15, 30, tzinfo=RIYADH)
    assert received["937-0002"] == datetime(2026, 3, 2, 9, 5, tzinfo=RIYADH)
    assert received["937-0003"] == datetime(2026, 3, 2, 13, 0, tzinfo=RIYADH)


def test_a_file_without_the_columns_is_refused_as_a_whole(coordinator, tmp_path):
    path = write_csv(tmp_path / "937.csv", ["number", "text"], [{"number": "1", "text": "x"}])

    report = import_937_file(path, user=coordinator)

    assert report.file_problem[0] == "no_header"
    with translation.override("en"):
        assert "ticket_number, received_at, hospital_code, description" in report.worded_file_problem()
    assert Complaint.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite lets one writer in at a time, so two imports can never interleave",
)
def test_two_imports_of_one_file_at_the_same_moment_receive_each_ticket_once(coordinator, patient, tmp_path):
    rows, _other = two_tickets(patient)
    path = write_csv(tmp_path / "937.csv", list(COLUMNS), rows)
    both_checked = threading.Barrier(2, timeout=20)
    real_link = moh937._link_patients

    def link_then_wait(tickets):
        # Both imports have checked the file and found every ticket new before either saves.
        real_link(tickets)
        both_checked.wait()

    reports: dict = {}

    def run(name):
        try:
            reports[name] = import_937_file(path, user=User.objects.get(pk=coordinator.pk))
        except Exception as error:  # reported by the assertions below
            reports[name] = error
        finally:
            connection.close()

    with mock.patch.object(moh937, "_link_patients", link_then_wait):
        threads = [threading.Thread(target=run, args=(name,)) for name in ("first", "second")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert all(isinstance(report, moh937.Report) for report in reports.values()), reports
    saved = [report for report in reports.values() if report.saved]
    other = [report for report in reports.values() if not report.saved]
    assert len(saved) == 1 and len(saved[0].new) == 2
    # The other one saved nothing and said why: received meanwhile, or already received.
    assert other[0].file_problem == ("received_meanwhile", {}) or len(other[0].received) == 2
    assert sorted(Complaint.objects.values_list("external_reference", flat=True)) == ["937-0001", "937-0002"]
