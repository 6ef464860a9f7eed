"""The Ministry of Health's 937 line: the tickets its system exports, imported as complaints.

The 937 system exports the calls it took about a hospital as a spreadsheet
(XLSX or CSV), one ticket per row. The ticket number is the key: a ticket
already received is reported as such and left as it is, so importing the same
file again changes nothing.

Two passes, as the encounter import does it: :func:`check_937_file` reads the
whole file and checks every row — the hospital among those the importer
answers for (another hospital reads exactly like an unknown one), the date,
the phone, tickets repeated inside the file — without writing anything;
:func:`import_937_file` then saves every new ticket in one transaction through
:func:`~px360.complaints.services.complaint_create` (reference, SLA clocks,
timeline, notices), or nothing at all while one row is refused. Problems are
kept as codes with their parameters and worded when shown, in the reader's
language.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from px360.core.access import ScopeKind, restrict, scope_for
from px360.core.models import AuditAction
from px360.core.services import audit_record
from px360.core.validators import ascii_digits, national_id_is_valid, normalize_phone
from px360.organizations.models import Department, Hospital, Patient

from .choices import Channel, ComplainantKind
from .models import Complaint
from .services import ComplaintError, Contact, NewComplaint, complaint_create, complaint_note

try:  # the spreadsheet toolkit, wherever it lives
    from px360.common import sheets
except ImportError:  # pragma: no cover - before it moved out of journeys
    from px360.journeys import sheets

IMPORT_PERMISSION = "complaints.import_complaint"
RIYADH = zoneinfo.ZoneInfo("Asia/Riyadh")
HEADER_SEARCH_ROWS = 20
MAX_ROWS = 5000
TICKET_LIMIT = Complaint._meta.get_field("external_reference").max_length
NAME_LIMIT = Complaint._meta.get_field("contact_name").max_length
SUMMARY_LIMIT = 120
# A clock a little ahead of ours is not "the future" (as the complaints service allows).
CLOCK_TOLERANCE = timedelta(minutes=5)


# --- the column contract -------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the 937 file. ``rule`` is prose (translated); ``pattern`` the left-to-right formats."""

    name: str
    label: object
    required: bool
    rule: object
    pattern: str = ""


DATETIME_PATTERN = "YYYY-MM-DD HH:MM | DD/MM/YYYY HH:MM [AM|PM] | YYYY-MM-DDTHH:MM+03:00"

COLUMN_DEFINITIONS = (
    Column(
        "ticket_number",
        gettext_lazy("Ticket number"),
        True,
        gettext_lazy("The 937 ticket number, up to 40 characters; one row per ticket."),
    ),
    Column(
        "received_at",
        gettext_lazy("Received at"),
        True,
        gettext_lazy("When the Ministry took the call: Riyadh time unless the value carries its own offset."),
        DATETIME_PATTERN,
    ),
    Column("hospital_code", gettext_lazy("Hospital code"), True, gettext_lazy("The hospital's code in PX360.")),
    Column(
        "department_code",
        gettext_lazy("Department code"),
        False,
        gettext_lazy("A department code of that hospital: the department the complaint is about."),
    ),
    Column("caller_name", gettext_lazy("Caller name"), False, gettext_lazy("Who called, up to 200 characters.")),
    Column(
        "caller_phone",
        gettext_lazy("Caller phone"),
        False,
        gettext_lazy("A Saudi mobile number, or an international one with its country code."),
        "05XXXXXXXX | +966… | +20…",
    ),
    Column(
        "national_id",
        gettext_lazy("National ID or iqama"),
        False,
        gettext_lazy("Ten digits with a valid check digit; links the complaint to that hospital's patient."),
    ),
    Column(
        "mrn",
        gettext_lazy("MRN"),
        False,
        gettext_lazy("The hospital's medical record number; links the complaint to that patient."),
    ),
    Column(
        "category",
        gettext_lazy("Category"),
        False,
        gettext_lazy("The ticket's category or type at the Ministry; it becomes the complaint's summary."),
    ),
    Column("description", gettext_lazy("Description"), True, gettext_lazy("What the caller said.")),
    Column(
        "ministry_status",
        gettext_lazy("Status at the Ministry"),
        False,
        gettext_lazy("The ticket's status in the 937 system, noted on the complaint's timeline."),
    ),
)
COLUMNS = tuple(column.name for column in COLUMN_DEFINITIONS)
COLUMN_BY_NAME = {column.name: column for column in COLUMN_DEFINITIONS}
REQUIRED = tuple(column.name for column in COLUMN_DEFINITIONS if column.required)
_COLUMN_ORDER = {name: position for position, name in enumerate(COLUMNS)}


# --- problems ------------------------------------------------------------------------

PROBLEMS = {
    "ticket_missing": gettext_lazy("The ticket number is missing."),
    "ticket_too_long": gettext_lazy("The ticket number is longer than %(limit)d characters."),
    "ticket_repeated": gettext_lazy("Ticket “%(ticket)s” is also in row %(row)d."),
    "hospital_missing": gettext_lazy("The hospital code is missing."),
    # Also what a hospital outside the importer's scope reads as: the page must not tell them apart.
    "hospital_unknown": gettext_lazy("Unknown hospital code “%(code)s”."),
    "department_unknown": gettext_lazy("Unknown department code “%(code)s” in hospital “%(hospital)s”."),
    "received_missing": gettext_lazy("The time received is missing."),
    "datetime_invalid": gettext_lazy("“%(value)s” is not a date and time: use %(iso)s or %(dmy)s."),
    "received_future": gettext_lazy("The time received is in the future."),
    "phone_invalid": gettext_lazy("Enter a valid phone number."),
    "phone_invalid_saudi": gettext_lazy("Enter a valid Saudi phone number."),
    "national_id_invalid": gettext_lazy("Enter a valid Saudi national ID or iqama number (10 digits, check digit)."),
    "name_too_long": gettext_lazy("The caller's name is longer than %(limit)d characters."),
    "description_missing": gettext_lazy("The description is missing."),
    "complaint_refused": gettext_lazy("The complaint was refused: %(reason)s"),
    # The file as a whole.
    "no_header": gettext_lazy(
        "No header row found: the file needs the columns %(columns)s in one of its first %(count)d rows."
    ),
    "no_rows": gettext_lazy("The file has no tickets below its header row."),
    "too_many_rows": gettext_lazy("The file has more than %(limit)d tickets: split it into smaller files."),
    "not_text": gettext_lazy("The file is neither UTF-8 nor Windows-1256 text."),
    "not_workbook": gettext_lazy("The file could not be read as an Excel workbook."),
    "csv_malformed": gettext_lazy("The CSV file is malformed: %(error)s"),
    "received_meanwhile": gettext_lazy(
        "Some of these tickets were received by another import at the same moment: nothing was saved. "
        "Import the file again."
    ),
}
# The wording's fixed parts, never stored with the problem.
_CONSTANTS = {
    "datetime_invalid": {"iso": "YYYY-MM-DD HH:MM", "dmy": "DD/MM/YYYY HH:MM"},
    "no_header": {"columns": ", ".join(REQUIRED), "count": HEADER_SEARCH_ROWS},
    "ticket_too_long": {"limit": TICKET_LIMIT},
    "name_too_long": {"limit": NAME_LIMIT},
    "too_many_rows": {"limit": MAX_ROWS},
}
_GENERIC = gettext_lazy("This value was refused (problem “%(code)s”).")
_NUMBER_PLACEHOLDER = re.compile(r"%\((\w+)\)d")


def _parts(code: str, params) -> tuple[str, dict]:
    message = PROBLEMS.get(code)
    if message is None:
        return str(_GENERIC), {"code": code}
    return str(message), {**(params if isinstance(params, dict) else {}), **_CONSTANTS.get(code, {})}


def problem_text(code: str, params=None) -> str:
    """A problem worded in the active language (an unknown code or broken parameters: a generic message)."""
    template, values = _parts(code, params)
    try:
        return template % values
    except (KeyError, TypeError, ValueError):
        return str(_GENERIC) % {"code": code}


def problem_html(code: str, params=None) -> str:
    """As :func:`problem_text`, each value from the file isolated (``<bdi>``) and escaped."""
    template, values = _parts(code, params)
    isolated = {name: format_html("<bdi>{}</bdi>", value) for name, value in values.items()}
    template = _NUMBER_PLACEHOLDER.sub(r"%(\1)s", template)
    try:
        return mark_safe(escape(template) % isolated)
    except (KeyError, TypeError, ValueError):
        return mark_safe(escape(str(_GENERIC)) % {"code": format_html("<bdi>{}</bdi>", code)})


class FileProblem(Exception):
    """The file as a whole cannot be read: a problem code and its parameters."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    code: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """A ticket of the file and the complaint it is (``reference`` empty when the reader may not see it)."""

    row: int
    ticket: str
    reference: str = ""
    complaint_id: object = None


@dataclass
class Report:
    """What an import found and did, for the page and the audit log (no personal data)."""

    file_name: str = ""
    sha256: str = ""
    total_rows: int = 0
    new: list[Outcome] = field(default_factory=list)
    received: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    file_problem: tuple | None = None
    saved: bool = False
    checked_only: bool = False

    @property
    def refused_rows(self) -> list[int]:
        return sorted({problem.row for problem in self.problems})

    @property
    def is_clean(self) -> bool:
        return self.file_problem is None and not self.problems

    def worded_problems(self, *, html: bool = False) -> list[tuple[int, str, str]]:
        """``(row, column header, reason)`` in the active language, by row then column."""
        word = problem_html if html else problem_text
        ordered = sorted(self.problems, key=lambda p: (p.row, _COLUMN_ORDER.get(p.column, len(COLUMNS))))
        return [
            (
                problem.row,
                str(COLUMN_BY_NAME[problem.column].label) if problem.column in COLUMN_BY_NAME else "",
                word(problem.code, problem.params),
            )
            for problem in ordered
        ]

    def worded_file_problem(self, *, html: bool = False) -> str:
        if self.file_problem is None:
            return ""
        return (problem_html if html else problem_text)(*self.file_problem)


@dataclass
class Ticket:
    """One checked row, ready to become a complaint."""

    row: int
    number: str
    received_at: datetime
    hospital: Hospital
    department: Department | None
    caller_name: str
    caller_phone: str
    national_id: str
    mrn: str
    category: str
    description: str
    ministry_status: str
    patient: Patient | None = None


# --- reading -------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 with or without a byte-order mark, else Windows-1256 (Arabic Excel exports)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1256")
    except UnicodeDecodeError:
        raise FileProblem("not_text") from None


def read_rows(path: Path) -> list[tuple[int, list]]:
    """The first sheet's rows (XLSX) or the CSV's rows, with their 1-based numbers in the file."""
    path = Path(path)
    if sheets.is_xlsx(path):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception:
            raise FileProblem("not_workbook") from None
        try:
            try:
                return list(sheets.FastSheet(workbook).rows())
            except sheets.UnsupportedSheet:  # an unusual writer: the slow, general reader
                sheet = workbook.worksheets[0]
                return [(number, list(values)) for number, values in enumerate(sheet.iter_rows(values_only=True), 1)]
        finally:
            workbook.close()
    text = decode_text(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    # Excel in an Arabic locale often separates with ";"; a tab-separated export is read too.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        return list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1))
    except csv.Error as error:
        raise FileProblem("csv_malformed", error=str(error)) from None


def _header_key(value) -> str:
    return re.sub(r"[\s_]+", " ", str(value or "").replace("\ufeff", "")).strip().casefold()


def _header_aliases() -> dict[str, str]:
    """Header text → column name: the column's name, or its header in Arabic or in English."""
    aliases = {}
    for column in COLUMN_DEFINITIONS:
        aliases[_header_key(column.name)] = column.name
        for language in ("ar", "en"):
            with translation.override(language):
                aliases.setdefault(_header_key(str(column.label)), column.name)
    return aliases


def find_header(rows: list[tuple[int, list]]) -> tuple[int, dict[str, int]]:
    """The first row (of the first few) naming every required column: its index and the columns' positions."""
    aliases = _header_aliases()
    for index, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        positions: dict[str, int] = {}
        for position, cell in enumerate(cells):
            name = aliases.get(_header_key(cell))
            if name is not None and name not in positions:
                positions[name] = position
        if all(name in positions for name in REQUIRED):
            return index, positions
    raise FileProblem("no_header")


# --- cleaning ------------------------------------------------------------------------


class CellProblem(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a ticket number Excel stored as a number
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value).strip()


_DMY = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|ص|م)?)?$",
    re.IGNORECASE,
)
_AFTERNOON = ("pm", "p.m.", "م")


def parse_received_at(value) -> datetime | None:
    """A date and time as the 937 export writes it; Riyadh time unless it carries its own offset."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        text = " ".join(ascii_digits(str(value)).split())
        if not text:
            return None
        match = _DMY.match(text)
        try:
            if match:
                day, month, year, hour, minute, second, half = match.groups()
                hour = int(hour or 0)
                if half:
                    if not 1 <= hour <= 12:
                        raise ValueError(text)
                    hour = hour % 12 + (12 if half.lower() in _AFTERNOON else 0)
                parsed = datetime(int(year), int(month), int(day), hour, int(minute or 0), int(second or 0))
            else:
                parsed = datetime.fromisoformat(text)
        except ValueError:
            raise CellProblem("datetime_invalid", value=text[:60]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=RIYADH)
    return parsed


def _language_of(text: str) -> str:
    """The language the caller's words are in: Arabic when they hold Arabic letters."""
    if re.search("[\u0600-\u06ff]", text):
        return "ar"
    return "en" if re.search("[A-Za-z]", text) else "ar"


def _summary(ticket: Ticket) -> str:
    if ticket.category:
        return ticket.category[:200]
    first = ticket.description.strip().splitlines()[0].strip()
    return first if len(first) <= SUMMARY_LIMIT else first[: SUMMARY_LIMIT - 1].rstrip() + "…"


# --- checking --------------------------------------------------------------------------


def importable_hospitals(user):
    """The hospitals ``user`` may import 937 tickets for: their hospital scope, or every hospital."""
    if not user.has_perm(IMPORT_PERMISSION):
        return Hospital.objects.none()
    scope = scope_for(user)
    if scope.kind == ScopeKind.ALL:
        return Hospital.objects.all()
    if scope.kind < ScopeKind.HOSPITAL:  # a department, a physician, assignments: not a hospital
        return Hospital.objects.none()
    return Hospital.objects.filter(pk__in=scope.hospital_ids)


def may_import(user) -> bool:
    return getattr(user, "is_authenticated", False) and importable_hospitals(user).exists()


class _Checker:
    """Checks rows one by one; ``received`` maps the tickets already received to their complaints."""

    def __init__(self, user, *, received: dict):
        self.received = received
        self.hospitals = {hospital.code.casefold(): hospital for hospital in importable_hospitals(user)}
        self.departments: dict = {}
        for department in Department.objects.filter(hospital__in=list(self.hospitals.values())):
            self.departments.setdefault((department.hospital_id, department.code.casefold()), department)
        self.seen: dict[str, int] = {}
        self.now = timezone.now()

    def check(self, number: int, cell) -> tuple[Ticket | None, list[Problem], bool]:
        """``(ticket, problems, already_received)`` for one row."""
        problems: list[Problem] = []

        def refuse(column, problem, **params):
            problems.append(Problem(number, column, problem, params))

        ticket_number = cell("ticket_number")
        if not ticket_number:
            refuse("ticket_number", "ticket_missing")
        elif len(ticket_number) > TICKET_LIMIT:
            refuse("ticket_number", "ticket_too_long")
        elif ticket_number in self.seen:
            refuse("ticket_number", "ticket_repeated", ticket=ticket_number, row=self.seen[ticket_number])
        else:
            self.seen[ticket_number] = number

        code = cell("hospital_code")
        hospital = self.hospitals.get(code.casefold()) if code else None
        if not code:
            refuse("hospital_code", "hospital_missing")
        elif hospital is None:
            refuse("hospital_code", "hospital_unknown", code=code)
        if not problems and ticket_number in self.received:
            # Left as it is: what else the row says is not read again (a later export may differ).
            return None, [], True

        department = None
        department_code = cell("department_code")
        if department_code and hospital is not None:
            department = self.departments.get((hospital.pk, department_code.casefold()))
            if department is None:
                refuse("department_code", "department_unknown", code=department_code, hospital=hospital.code)

        received_at = None
        try:
            received_at = parse_received_at(cell("received_at", raw=True))
        except CellProblem as problem:
            refuse("received_at", problem.code, **problem.params)
        else:
            if received_at is None:
                refuse("received_at", "received_missing")
            elif received_at > self.now + CLOCK_TOLERANCE:
                refuse("received_at", "received_future")

        phone = ""
        if cell("caller_phone"):
            try:
                phone = normalize_phone(cell("caller_phone"))
            except ValidationError as error:
                saudi = error.code == "invalid_saudi_phone"
                refuse("caller_phone", "phone_invalid_saudi" if saudi else "phone_invalid")

        national_id = ascii_digits(cell("national_id")).replace(" ", "")
        if national_id and not national_id_is_valid(national_id):
            refuse("national_id", "national_id_invalid")

        name = cell("caller_name")
        if len(name) > NAME_LIMIT:
            refuse("caller_name", "name_too_long")

        description = cell("description")
        if not description.strip():
            refuse("description", "description_missing")

        if problems:
            return None, problems, False
        return (
            Ticket(
                row=number,
                number=ticket_number,
                received_at=received_at,
                hospital=hospital,
                department=department,
                caller_name=name,
                caller_phone=phone,
                national_id=national_id,
                mrn=ascii_digits(cell("mrn")).strip()[:30],
                category=cell("category"),
                description=description.strip(),
                ministry_status=cell("ministry_status")[:200],
            ),
            [],
            False,
        )


def _rows_of(path: Path) -> Iterator[tuple[int, dict]]:
    rows = read_rows(path)
    header_index, positions = find_header(rows)
    body = [(number, cells) for number, cells in rows[header_index + 1 :] if any(_text(c) for c in cells)]
    if not body:
        raise FileProblem("no_rows")
    if len(body) > MAX_ROWS:
        raise FileProblem("too_many_rows")
    for number, cells in body:
        yield number, {name: cells[position] if position < len(cells) else None for name, position in positions.items()}


def _link_patients(tickets: list[Ticket]) -> None:
    """Each ticket's patient in its own hospital, by MRN, else by national ID (one query each)."""
    by_mrn: dict = {}
    by_id: dict = {}
    hospitals = {ticket.hospital.pk for ticket in tickets}
    mrns = {ticket.mrn for ticket in tickets if ticket.mrn}
    ids = {ticket.national_id for ticket in tickets if ticket.national_id}
    if mrns:
        for patient in Patient.objects.filter(hospital_id__in=hospitals, mrn__in=mrns):
            by_mrn[(patient.hospital_id, patient.mrn)] = patient
    if ids:
        for patient in Patient.objects.filter(hospital_id__in=hospitals, national_id__in=ids):
            # A national ID shared by two records of one hospital links neither.
            key = (patient.hospital_id, patient.national_id)
            by_id[key] = None if key in by_id else patient
    for ticket in tickets:
        ticket.patient = by_mrn.get((ticket.hospital.pk, ticket.mrn)) or by_id.get(
            (ticket.hospital.pk, ticket.national_id)
        )


def check_937_file(path: Path, *, user, file_name: str = "") -> tuple[Report, list[Ticket]]:
    """Read and check the whole file; write nothing. Returns the report and the tickets still to receive."""
    path = Path(path)
    report = Report(file_name=file_name or path.name, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    tickets: list[Ticket] = []
    already: list[tuple[int, str]] = []
    try:
        rows = list(_rows_of(path))
    except FileProblem as problem:
        report.file_problem = (problem.code, problem.params)
        return report, []
    received = _received({_text(values.get("ticket_number")) for _number, values in rows})
    checker = _Checker(user, received=received)
    for number, values in rows:
        report.total_rows += 1

        def cell(name, *, raw=False, values=values):
            value = values.get(name)
            if raw and isinstance(value, datetime | date):
                return value
            return _text(value)

        ticket, problems, is_received = checker.check(number, cell)
        report.problems.extend(problems)
        if ticket is not None:
            tickets.append(ticket)
        elif is_received:
            already.append((number, cell("ticket_number")))
    report.received = _outcomes(already, received, user)
    _link_patients(tickets)
    report.new = [Outcome(row=ticket.row, ticket=ticket.number) for ticket in tickets]
    return report, tickets


def _received(numbers) -> dict:
    """The 937 tickets among ``numbers`` already received: ticket number → complaint id."""
    numbers = [number for number in numbers if number]
    if not numbers:
        return {}
    return dict(
        Complaint.objects.filter(channel=Channel.MOH_937, external_reference__in=numbers).values_list(
            "external_reference", "pk"
        )
    )


def _outcomes(rows: list[tuple[int, str]], received: dict, user) -> list[Outcome]:
    """Rows of tickets already received, with the complaint's reference when ``user`` may see it."""
    if not rows:
        return []
    visible = dict(
        restrict(Complaint.objects.filter(pk__in=[received[ticket] for _row, ticket in rows]), user).values_list(
            "pk", "reference"
        )
    )
    return [
        Outcome(
            row=row,
            ticket=ticket,
            reference=visible.get(received[ticket], ""),
            complaint_id=received[ticket] if received[ticket] in visible else None,
        )
        for row, ticket in sorted(rows)
    ]


# --- saving ------------------------------------------------------------------------------


def _receive(ticket: Ticket, *, by) -> Complaint:
    anonymous = not (ticket.caller_name or ticket.caller_phone or ticket.patient)
    complaint = complaint_create(
        NewComplaint(
            hospital=ticket.hospital,
            summary=_summary(ticket),
            description=ticket.description,
            channel=Channel.MOH_937,
            external_reference=ticket.number,
            received_at=ticket.received_at,
            department=ticket.department,
            patient=ticket.patient,
            contact=Contact(
                kind=ComplainantKind.ANONYMOUS if anonymous else ComplainantKind.PATIENT,
                name=ticket.caller_name,
                phone=ticket.caller_phone,
                language=_language_of(ticket.description),
            ),
        ),
        by=by,
    )
    if ticket.ministry_status:
        complaint_note(
            complaint,
            by=by,
            text=_("Status at the Ministry's 937 line: %(status)s") % {"status": ticket.ministry_status},
        )
    return complaint


def import_937_file(path: Path, *, user, request=None, file_name: str = "", check_only: bool = False) -> Report:
    """Check the file, then receive every new ticket as a complaint — all of them or, while a row is refused, none.

    ``check_only``: report what would happen and save nothing. Tickets
    already received are counted and left as they are. Audited (the counts,
    never the callers' details).
    """
    if not may_import(user):
        raise PermissionDenied
    report, tickets = check_937_file(path, user=user, file_name=file_name)
    report.checked_only = check_only
    if report.is_clean and tickets and not check_only:
        _save(report, tickets, user=user)
    _audit(report, user=user, request=request)
    return report


def _by_row(outcome: Outcome) -> int:
    return outcome.row


def _save(report: Report, tickets: list[Ticket], *, user) -> None:
    outcomes: list[Outcome] = []
    try:
        with transaction.atomic():
            # Received since the check (another import, a moment ago)?
            received = _received(ticket.number for ticket in tickets)
            if received:
                meanwhile = [(ticket.row, ticket.number) for ticket in tickets if ticket.number in received]
                report.received = sorted([*report.received, *_outcomes(meanwhile, received, user)], key=_by_row)
                tickets = [ticket for ticket in tickets if ticket.number not in received]
            for ticket in tickets:
                try:
                    complaint = _receive(ticket, by=user)
                except ComplaintError as error:
                    reason = " ".join(error.messages)
                    report.problems.append(Problem(ticket.row, "description", "complaint_refused", {"reason": reason}))
                    raise
                outcomes.append(Outcome(ticket.row, ticket.number, complaint.reference, complaint.pk))
    except ComplaintError:
        report.new = [Outcome(row=ticket.row, ticket=ticket.number) for ticket in tickets]
        return
    except IntegrityError:  # the same ticket saved by a concurrent import: its transaction won
        report.file_problem = ("received_meanwhile", {})
        return
    report.new = outcomes
    report.saved = bool(outcomes)


def _audit(report: Report, *, user, request) -> None:
    details = {
        "channel": Channel.MOH_937.value,
        "file": report.file_name[:200],
        "sha256": report.sha256,
        "rows": report.total_rows,
        "saved": report.saved,
        "refused": len(report.refused_rows),
    }
    if report.file_problem is not None:
        details["file_problem"] = report.file_problem[0]
    action = AuditAction.IMPORT_PREVIEW if report.checked_only else AuditAction.IMPORT
    if not report.saved:
        audit_record(
            action=action,
            request=request,
            actor=user,
            model=Complaint,
            row_count=0,
            details={**details, "new": 0, "valid_new": len(report.new), "already_received": len(report.received)},
        )
        return
    # One event per hospital, so each hospital's audit log shows its own tickets.
    hospital_of = dict(
        Complaint.objects.filter(pk__in=[outcome.complaint_id for outcome in report.new]).values_list(
            "pk", "hospital_id"
        )
    )
    counts: dict = {}
    for outcome in report.new:
        counts.setdefault(hospital_of[outcome.complaint_id], 0)
        counts[hospital_of[outcome.complaint_id]] += 1
    for hospital_id, new in counts.items():
        audit_record(
            action=action,
            request=request,
            actor=user,
            model=Complaint,
            hospital=Hospital(pk=hospital_id),
            row_count=new,
            details={**details, "new": new, "already_received": len(report.received)},
        )
