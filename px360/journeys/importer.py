"""The HIS encounter file import: read, validate every row, then upsert in bulk.

Two passes, as pretix does it:

1. :func:`build_plan` reads the file (streaming), checks every row and
   collects every problem as ``(row, column, reason)``; it resolves codes with
   a constant number of queries per chunk of rows and classifies each valid
   row as new, updated or unchanged against the database. Nothing is written.
   The result (a :class:`Plan`) is pickled next to the upload, signed with an
   HMAC, so the confirm step reuses it instead of reading the file again.
2. :func:`apply_plan` writes patients then encounters, and one history row
   per created or changed record naming the importing user, with the raw-SQL
   writer in :mod:`.fastwrite` (``executemany`` on SQLite, ``COPY`` and
   ``UPDATE ... FROM (VALUES ...)`` on PostgreSQL): django-simple-history's
   ``bulk_create_with_history`` / ``bulk_update_with_history`` go through
   Django's insert compiler and cost more than the whole import's time budget.
   Unchanged rows are not touched and get no history.

XLSX files are read by :class:`.sheets.FastSheet` (regular expressions over
the sheet XML, openpyxl for the workbook's shared strings and styles), about
five times faster than openpyxl's read-only cell objects; a sheet it does not
understand is read again with openpyxl. A large workbook is read in a separate
process (:class:`.sheets.ReadAhead`) while this one checks the rows already
read; if that process fails, the file is read here.

Transactions: on PostgreSQL the whole write is one transaction, so a failure
saves nothing. On SQLite one long write transaction would lock out every
other writer (the web server) for its duration, so the write is committed in
chunks of ``PX360_IMPORT_CHUNK_ROWS``; the file has been fully validated
before the first chunk, so a failure there means an unexpected database error,
and the job then reports how many rows its committed chunks kept.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import pickle
import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.lookups import Lookup
from django.utils import timezone, translation
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from px360.core.access import hospital_ids_for
from px360.core.masking import is_masked_value, masked_fields, sees_full_identifiers
from px360.core.resources import neutralise_formula, restore_formula
from px360.core.validators import ascii_digits
from px360.organizations.models import Department, Hospital, Patient, Physician
from px360.organizations.search import name_search_value
from px360.organizations.services import PatientRules

from . import fastwrite, sheets
from .choices import EncounterSource, EncounterStatus, EncounterType

# --- the column contract -----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the HIS encounter file: the one place the contract is written.

    The import page, the downloadable template and the README's table are made
    from (or checked against) :data:`COLUMN_DEFINITIONS`. ``rule`` is prose
    (translated); ``pattern`` and ``allowed`` are the left-to-right part (formats,
    codes), shown apart so that they never mix into an Arabic sentence.
    """

    name: str
    label: str  # a lazy translation: the header people read
    required: bool
    rule: str  # a lazy translation: what the cell holds
    example: str = ""
    pattern: str = ""  # the accepted formats, as written in the file
    allowed: tuple = ()  # the only values accepted, when there is a short list

    @property
    def formats(self) -> str:
        return self.pattern or " | ".join(self.allowed)


_DATETIME_PATTERN = "YYYY-MM-DD HH:MM | DD/MM/YYYY HH:MM | YYYY-MM-DDTHH:MM+03:00"

# The HIS batch contract (DESIGN §5), in file order.
COLUMN_DEFINITIONS = (
    Column("hospital_code", gettext_lazy("Hospital code"), True, gettext_lazy("The hospital's code in PX360."), "RYD"),
    Column(
        "encounter_number",
        gettext_lazy("Encounter number"),
        True,
        gettext_lazy("The visit number the HIS gave, up to 40 characters; one row per visit."),
        "V2026000123",
    ),
    Column(
        "encounter_type",
        gettext_lazy("Encounter type"),
        True,
        gettext_lazy("Emergency, inpatient stay or outpatient visit."),
        "OPD",
        allowed=tuple(choice.value for choice in EncounterType),
    ),
    Column(
        "patient_mrn",
        gettext_lazy("Patient MRN"),
        True,
        gettext_lazy("The medical record number, up to 30 characters."),
        "MRN1234",
    ),
    Column(
        "patient_national_id",
        gettext_lazy("National ID or iqama"),
        False,
        gettext_lazy("Ten digits with a valid check digit."),
        "1000000008",
    ),
    Column(
        "patient_name_ar",
        gettext_lazy("Patient name (Arabic)"),
        False,
        gettext_lazy("Up to 200 characters."),
        "أحمد الحربي",
    ),
    Column(
        "patient_name_en",
        gettext_lazy("Patient name (English)"),
        False,
        gettext_lazy("Up to 200 characters."),
        "Ahmed Al-Harbi",
    ),
    Column(
        "patient_phone",
        gettext_lazy("Mobile phone"),
        False,
        gettext_lazy("A Saudi mobile number, or an international one with its country code."),
        "0501234567",
        "05XXXXXXXX | +966XXXXXXXXX | +20XXXXXXXXXX",
    ),
    Column("patient_email", gettext_lazy("E-mail"), False, gettext_lazy("An e-mail address."), "patient@example.com"),
    Column(
        "patient_language",
        gettext_lazy("Preferred language"),
        False,
        gettext_lazy("The language of the patient's messages."),
        "ar",
        allowed=("ar", "en"),
    ),
    Column(
        "patient_birth_date",
        gettext_lazy("Birth date"),
        False,
        gettext_lazy("Not in the future."),
        "1980-05-01",
        "YYYY-MM-DD | DD/MM/YYYY",
    ),
    Column(
        "patient_gender",
        gettext_lazy("Gender"),
        False,
        gettext_lazy("Male, female or unknown."),
        "M",
        allowed=("M", "F", "U"),
    ),
    Column(
        "department_code",
        gettext_lazy("Department code"),
        False,
        gettext_lazy("A department code of the row's hospital."),
        "MED",
    ),
    Column(
        "physician_license",
        gettext_lazy("Physician licence"),
        False,
        gettext_lazy("The attending physician's licence number in the row's hospital."),
        "LIC00001",
    ),
    Column(
        "admitted_at",
        gettext_lazy("Admitted / visit start"),
        True,
        gettext_lazy("Riyadh time, unless the value carries its own offset."),
        "2026-11-01 08:30",
        _DATETIME_PATTERN,
    ),
    Column(
        "discharged_at",
        gettext_lazy("Discharged / visit end"),
        False,
        gettext_lazy("Not before the admission; empty while the patient is still in."),
        "2026-11-01 11:00",
        _DATETIME_PATTERN,
    ),
)
COLUMNS = tuple(column.name for column in COLUMN_DEFINITIONS)
COLUMN_BY_NAME = {column.name: column for column in COLUMN_DEFINITIONS}
REQUIRED_HEADERS = tuple(column.name for column in COLUMN_DEFINITIONS if column.required)
_COLUMN_ORDER = {name: position for position, name in enumerate(COLUMNS)}
HEADER_SEARCH_ROWS = 20
CHUNK_ROWS = 2000
MAX_STORED_ERRORS = 1000
SAMPLE_SIZE = 20

# Patient fields the file carries, in the order of PatientValues tuples.
PATIENT_FIELDS = (
    "national_id",
    "name_ar",
    "name_en",
    "phone",
    "email",
    "preferred_language",
    "birth_date",
    "gender",
)
# Encounter fields compared with the stored row (status follows discharged_at).
ENCOUNTER_FIELDS = (
    "encounter_type",
    "patient_id",
    "department_id",
    "attending_physician_id",
    "admitted_at",
    "discharged_at",
    "status",
)

RIYADH = zoneinfo.ZoneInfo("Asia/Riyadh")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TYPES = {choice.value: choice.value for choice in EncounterType}


logger = logging.getLogger(__name__)


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, no header row).

    Carries a problem code and its parameters (see :data:`PROBLEMS`); ``str()``
    words it in the active language.
    """

    def __init__(self, problem: str, **params):
        super().__init__(problem)
        self.code = problem
        self.params = params

    def __str__(self):
        return problem_text(self.code, self.params)


# --- problems --------------------------------------------------------------------
#
# A problem is stored as (row, column, code, params) and worded only when it is
# read (the import page, the command line, the rejected-rows file), in the
# reader's language: a check run by an Arabic-speaking user reads in English on
# an English page. Parameters are the values from the file (and row numbers);
# the wording's fixed parts (date formats) are filled in when it is worded.


PROBLEMS = {
    "hospital_missing": gettext_lazy("The hospital code is missing."),
    "hospital_unknown": gettext_lazy("Unknown hospital code “%(code)s”."),
    "hospital_out_of_scope": gettext_lazy("Hospital “%(code)s” is outside the hospitals you may import for."),
    "number_missing": gettext_lazy("The encounter number is missing."),
    "number_too_long": gettext_lazy("The encounter number is longer than 40 characters."),
    "type_unknown": gettext_lazy("Unknown encounter type “%(value)s”: use EMS, INPATIENT or OPD."),
    "mrn_missing": gettext_lazy("The patient MRN is missing."),
    "mrn_too_long": gettext_lazy("The MRN is longer than 30 characters."),
    # The patient's details: worded as the patient rules every source shares word
    # them (px360.organizations.services), so a file, the HIS and the admin form agree.
    "national_id_invalid": gettext_lazy("Enter a valid Saudi national ID or iqama number (10 digits, check digit)."),
    "name_too_long": gettext_lazy("The name is longer than %(limit)d characters."),
    "phone_invalid": gettext_lazy("Enter a valid phone number."),
    "phone_invalid_saudi": gettext_lazy("Enter a valid Saudi phone number."),
    "email_invalid": gettext_lazy("Enter a valid email address."),
    "language_unknown": gettext_lazy("Unknown language: use ar or en."),
    "date_invalid": gettext_lazy("“%(value)s” is not a date: use %(iso)s or %(dmy)s."),
    "datetime_invalid": gettext_lazy("“%(value)s” is not a date and time: use %(iso)s or %(dmy)s."),
    "birth_date_future": gettext_lazy("The birth date is in the future."),
    "birth_date_too_early": gettext_lazy("The birth date is before 1900."),
    "value_refused": gettext_lazy("This value was refused."),
    "gender_unknown": gettext_lazy("Unknown gender: use M, F or U."),
    "department_unknown": gettext_lazy("Unknown department code “%(code)s” in hospital “%(hospital)s”."),
    "physician_unknown": gettext_lazy("Unknown physician licence “%(licence)s” in hospital “%(hospital)s”."),
    "admitted_missing": gettext_lazy("The admission / visit start time is missing."),
    "discharge_before_admission": gettext_lazy("The discharge time is before the admission time."),
    "duplicate_encounter": gettext_lazy("Encounter “%(number)s” is also in row %(row)d, with different values."),
    # Problems with the file as a whole (ImportFileError).
    "no_header": gettext_lazy(
        "No header row found: the file needs the columns %(columns)s in one of its first %(count)d rows."
    ),
    "not_text": gettext_lazy("The file is neither UTF-8 nor Windows-1256 text."),
    "not_workbook": gettext_lazy("The file could not be read as an Excel workbook."),
    "csv_malformed": gettext_lazy("The CSV file is malformed: %(error)s"),
}
_NAME_LIMIT = Patient._meta.get_field("name_ar").max_length
# The wording's fixed parts, never stored with the problem.
_PROBLEM_CONSTANTS = {
    "date_invalid": {"iso": "YYYY-MM-DD", "dmy": "DD/MM/YYYY"},
    "datetime_invalid": {"iso": "YYYY-MM-DD[THH:MM[+03:00]]", "dmy": "DD/MM/YYYY [HH:MM]"},
    "no_header": {"columns": ", ".join(REQUIRED_HEADERS), "count": HEADER_SEARCH_ROWS},
    "name_too_long": {"limit": _NAME_LIMIT},
}
# Problems stored before they had codes: their text, in the language of whoever ran the check.
LEGACY_PROBLEM = "text"
_UNKNOWN_PROBLEM = gettext_lazy("This value was refused (problem “%(code)s”).")
_NUMBER_PLACEHOLDER = re.compile(r"%\((\w+)\)d")


def _problem_parts(code: str, params) -> tuple[str, dict]:
    """The message template and its parameters, falling back to the generic message."""
    params = {**(params if isinstance(params, dict) else {}), **_PROBLEM_CONSTANTS.get(code, {})}
    message = PROBLEMS.get(code)
    if message is None:
        return str(_UNKNOWN_PROBLEM), {"code": code}
    return str(message), params


def problem_text(code: str, params=None) -> str:
    """A problem worded in the active language; an unknown code or bad parameters give the generic message."""
    if code == LEGACY_PROBLEM:
        return str((params or {}).get("text", ""))
    template, values = _problem_parts(code, params)
    try:
        return template % values
    except (KeyError, TypeError, ValueError):
        return str(_UNKNOWN_PROBLEM) % {"code": code}


def problem_html(code: str, params=None) -> str:
    """As :func:`problem_text`, with every value from the file isolated (``<bdi>``) for right-to-left pages."""
    if code == LEGACY_PROBLEM:
        return escape((params or {}).get("text", ""))
    template, values = _problem_parts(code, params)
    isolated = {name: format_html("<bdi>{}</bdi>", value) for name, value in values.items()}
    # The isolated values are text now: a number placeholder takes them as text.
    template = _NUMBER_PLACEHOLDER.sub(r"%(\1)s", template)
    try:
        return mark_safe(escape(template) % isolated)
    except (KeyError, TypeError, ValueError):
        return mark_safe(escape(str(_UNKNOWN_PROBLEM)) % {"code": format_html("<bdi>{}</bdi>", code)})


def stored_problem(entry) -> tuple:
    """``(row, column, code, params)`` of a stored problem, whether stored with a code or as text."""
    if len(entry) >= 4:
        row, column, code, params = entry[:4]
        return row, column, str(code), params if isinstance(params, dict) else {}
    row, column, text = [*entry, "", "", ""][:3]
    return row, column, LEGACY_PROBLEM, {"text": text}


def _problem_order(problem) -> tuple:
    row, column = problem[0], problem[1]
    return (row if isinstance(row, int) else 0, _COLUMN_ORDER.get(column, len(_COLUMN_ORDER)), str(column))


def worded_problems(entries, *, html: bool = False) -> list[tuple]:
    """Stored problems as ``(row, column, reason)`` in the active language, by row then column (file order)."""
    word = problem_html if html else problem_text
    problems = sorted((stored_problem(entry) for entry in entries), key=_problem_order)
    return [(row, column, word(code, params)) for row, column, code, params in problems]


@dataclass
class Plan:
    """Everything the write step needs, computed once by the check step."""

    # (row, hospital_id, number, type, mrn, department_id, physician_id, admitted_at, discharged_at)
    encounters: list = field(default_factory=list)
    # (hospital_id, mrn) -> tuple in PATIENT_FIELDS order ("" / None = not given)
    patients: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # [row, column, reason]
    error_count: int = 0
    rejected_rows: set = field(default_factory=set)
    header: list = field(default_factory=list)
    total_rows: int = 0
    counts: dict = field(default_factory=dict)
    sample: list = field(default_factory=list)
    hospital_codes: dict = field(default_factory=dict)  # id -> code, for messages
    # Peak memory of the separate reading process, when the file was read in one (KiB).
    reader_peak_kb: int = 0


# --- reading -------------------------------------------------------------------


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str):
        # Our own exports and rejected-rows files guard formula-like cells; a
        # file edited and uploaded again gets its values back.
        return restore_formula(value.strip())
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value  # datetime / date / time from Excel cells


def _find_header(rows: Iterator[tuple[int, list]]) -> tuple[int, dict, list, Iterator]:
    """The first row (within the first few) that holds every required header."""
    for row_number, cells in rows:
        names = [str(cell).replace("\ufeff", "").strip().lower() if cell is not None else "" for cell in cells]
        if all(required in names for required in REQUIRED_HEADERS):
            positions = {}
            for position, name in enumerate(names):
                if name in COLUMNS and name not in positions:
                    positions[name] = position
            return row_number, positions, [str(cell or "").strip() for cell in cells], rows
        if row_number >= HEADER_SEARCH_ROWS:
            break
    raise ImportFileError("no_header")


def decode_csv(data: bytes) -> str:
    """UTF-8 with or without a byte-order mark, else Windows-1256 (Arabic Excel exports)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1256")
    except UnicodeDecodeError:
        raise ImportFileError("not_text") from None


def read_ahead_threshold() -> int:
    """XLSX files larger than this (bytes) are read in a separate process; 0 turns that off."""
    return settings.PX360_IMPORT_READ_AHEAD_BYTES


class SheetReader:
    """Rows of the first sheet of an XLSX file or of a CSV file, 1-based numbers.

    ``read_ahead``: a large XLSX file is read by a separate process
    (:class:`.sheets.ReadAhead`) while the caller works on the rows.
    """

    def __init__(self, path: Path, *, fast: bool = True, read_ahead: bool = False):
        self.path = Path(path)
        self.workbook = None
        self.fast = fast
        self.read_ahead = read_ahead
        self._estimated_rows = 0
        self._fast_sheet = None
        self._ahead: sheets.ReadAhead | None = None

    @property
    def estimated_rows(self) -> int:
        if self._ahead is not None:
            return self._ahead.estimated_rows
        if self._fast_sheet is not None:
            return self._fast_sheet.estimated_rows
        return self._estimated_rows

    @property
    def reader_peak_kb(self) -> int:
        return self._ahead.peak_kb if self._ahead is not None else 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._ahead is not None:
            self._ahead.close()
        if self.workbook is not None:
            self.workbook.close()

    def rows(self) -> Iterator[tuple[int, list]]:
        if sheets.is_xlsx(self.path):
            return self._xlsx_rows()
        return self._csv_rows()

    def _unreadable(self) -> ImportFileError:
        return ImportFileError("not_workbook")

    def _xlsx_rows(self):
        threshold = read_ahead_threshold()
        if (
            self.fast
            and self.read_ahead
            and threshold
            and self.path.stat().st_size > threshold
            and sheets.python_executable() is not None
        ):
            self._ahead = sheets.ReadAhead(self.path, cwd=settings.BASE_DIR)
            try:
                yield from self._ahead.rows()
            except sheets.WorkbookUnreadable:
                raise self._unreadable() from None
            return
        from openpyxl import load_workbook

        try:
            # read_only streams the sheet: memory stays flat at 100,000 rows.
            self.workbook = load_workbook(self.path, read_only=True, data_only=True)
        except Exception:
            raise self._unreadable() from None
        if self.fast:
            self._fast_sheet = sheets.FastSheet(self.workbook)
            yield from self._fast_sheet.rows()
            return
        sheet = self.workbook.worksheets[0]
        self._estimated_rows = sheet.max_row or 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)

    def _csv_rows(self):
        text = decode_csv(self.path.read_bytes())
        self._estimated_rows = text.count("\n") + 1
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as error:
            raise ImportFileError("csv_malformed", error=str(error)) from None


# --- cleaning ------------------------------------------------------------------


class CellError(Exception):
    """A cell that cannot be read: a problem code (see :data:`PROBLEMS`) and its parameters."""

    def __init__(self, problem: str, **params):
        super().__init__(problem)
        self.code = problem
        self.params = params


def _text(value) -> str:
    if type(value) is str:
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def parse_datetime_cell(value) -> datetime | None:
    """ISO 8601 or dd/mm/yyyy [HH:MM]; Asia/Riyadh unless an offset is given; Excel cells too."""
    if value == "" or value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        text = ascii_digits(str(value)).strip()
        match = _DMY.match(text)
        try:
            if match:
                day, month, year, hour, minute, second = match.groups()
                parsed = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
            else:
                parsed = datetime.fromisoformat(text)
        except ValueError:
            raise CellError("datetime_invalid", value=text) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=RIYADH)
    return parsed


def parse_date_cell(value) -> date | None:
    if value == "" or value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = ascii_digits(str(value)).strip()
    match = _DMY.match(text)
    try:
        if match:
            day, month, year = match.group(1, 2, 3)
            return date(int(year), int(month), int(day))
        return date.fromisoformat(text[:10])
    except ValueError:
        raise CellError("date_invalid", value=text) from None


# --- references ------------------------------------------------------------------


class References:
    """Hospitals, departments and physicians by code, looked up per chunk with ``__in``."""

    def __init__(self):
        self.hospitals = dict(Hospital.objects.values_list("code", "pk"))
        self.hospital_codes = {pk: code for code, pk in self.hospitals.items()}
        self.departments: dict = {}
        self.physicians: dict = {}

    def load(self, department_keys: set, physician_keys: set) -> None:
        missing = {key for key in department_keys if key not in self.departments}
        if missing:
            query = Q()
            by_hospital: dict = {}
            for hospital_id, code in missing:
                by_hospital.setdefault(hospital_id, set()).add(code)
            for hospital_id, codes in by_hospital.items():
                query |= Q(hospital_id=hospital_id, code__in=codes)
            for pk, hospital_id, code in Department.objects.filter(query).values_list("pk", "hospital_id", "code"):
                self.departments[(hospital_id, code)] = pk
            for key in missing:
                self.departments.setdefault(key, None)
        missing = {key for key in physician_keys if key not in self.physicians}
        if missing:
            query = Q()
            by_hospital = {}
            for hospital_id, licence in missing:
                by_hospital.setdefault(hospital_id, set()).add(licence)
            for hospital_id, licences in by_hospital.items():
                query |= Q(hospital_id=hospital_id, license_number__in=licences)
            found = Physician.objects.filter(query).values_list("pk", "hospital_id", "license_number")
            for pk, hospital_id, licence in found:
                self.physicians[(hospital_id, licence)] = pk
            for key in missing:
                self.physicians.setdefault(key, None)


# The patient rules' refusal codes (px360.organizations.services) as the import's problem codes.
_RULE_PROBLEMS = {
    "invalid_national_id": "national_id_invalid",
    "name_too_long": "name_too_long",
    "invalid_phone": "phone_invalid",
    "invalid_saudi_phone": "phone_invalid_saudi",
    "invalid": "email_invalid",
    "future_birth_date": "birth_date_future",
    "invalid_birth_date": "birth_date_too_early",
    "invalid_gender": "gender_unknown",
    "invalid_language": "language_unknown",
}
# The file's patient columns and the patient fields they fill.
_PATIENT_COLUMNS = (
    ("patient_national_id", "national_id"),
    ("patient_name_ar", "name_ar"),
    ("patient_name_en", "name_en"),
    ("patient_phone", "phone"),
    ("patient_email", "email"),
    ("patient_language", "preferred_language"),
    ("patient_birth_date", "birth_date"),
    ("patient_gender", "gender"),
)


class _Checker:
    def __init__(self, user, progress: Callable | None, *, fast_xlsx: bool = True, read_ahead: bool = False):
        self.fast_xlsx = fast_xlsx
        self.read_ahead = read_ahead
        self.user = user
        self.allowed = hospital_ids_for(user)
        self.refs = References()
        self.plan = Plan(hospital_codes=self.refs.hospital_codes)
        self.progress = progress or (lambda processed, total: None)
        # (hospital_id, number) -> (index in plan.encounters, row, values)
        self.seen: dict = {}
        # Every reason per rejected row, for the rejected-rows file.
        self.row_errors: dict = {}
        # Rows rejected after they were read (the first of a conflicting pair).
        self.late_rejects: set = set()
        self.today = timezone.localdate()
        self.patient_rules = PatientRules(today=self.today)
        # Phone numbers repeat (a patient's visits): normalise each once.

    def error(self, row_number: int, column: str, problem: str, **params) -> None:
        """Record a problem as a code and its parameters (worded when read, see :data:`PROBLEMS`)."""
        self.plan.error_count += 1
        self.row_errors.setdefault(row_number, []).append([row_number, column, problem, params])
        if len(self.plan.errors) < MAX_STORED_ERRORS:
            self.plan.errors.append([row_number, column, problem, params])

    def run(self, path: Path, keep_rejected_raw: dict) -> Plan:
        with SheetReader(path, fast=self.fast_xlsx, read_ahead=self.read_ahead) as reader:
            rows = reader.rows()
            header_row, positions, header, rows = _find_header(rows)
            self.plan.header = header
            self.positions = positions
            self.column_positions = [(name, positions.get(name)) for name in COLUMNS]
            total_estimate = max(reader.estimated_rows - header_row, 1)
            chunk: list = []
            processed = 0
            for row_number, cells in rows:
                if not any(cell not in (None, "") for cell in cells):
                    continue
                chunk.append((row_number, cells))
                if len(chunk) >= CHUNK_ROWS:
                    self._check_chunk(chunk, keep_rejected_raw)
                    processed += len(chunk)
                    self.progress(processed, total_estimate)
                    chunk = []
            if chunk:
                self._check_chunk(chunk, keep_rejected_raw)
                processed += len(chunk)
            self.plan.total_rows = processed
            self.plan.reader_peak_kb = reader.reader_peak_kb
        if self.late_rejects:
            # Rare: read the file again for the raw cells of these few rows.
            with SheetReader(path, fast=self.fast_xlsx) as reader:
                for row_number, cells in reader.rows():
                    if row_number in self.late_rejects:
                        keep_rejected_raw[row_number] = cells
        self.plan.errors.sort(key=_problem_order)
        self._classify()
        return self.plan

    def _values(self, cells: list) -> dict:
        # _cell, with its common case (a string) inline: this runs for every cell of the file.
        width = len(cells)
        values = {}
        for name, position in self.column_positions:
            if position is None or position >= width:
                values[name] = ""
                continue
            value = cells[position]
            if type(value) is str:
                value = value.strip()
                if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
                    value = value[1:]
                values[name] = value
            else:
                values[name] = _cell(value)
        return values

    def _check_chunk(self, chunk: list, keep_rejected_raw: dict) -> None:
        parsed = [(row_number, cells, self._values(cells)) for row_number, cells in chunk]
        department_keys, physician_keys = set(), set()
        for _row, _cells, values in parsed:
            hospital_id = self.refs.hospitals.get(str(values["hospital_code"]))
            if hospital_id and values["department_code"]:
                department_keys.add((hospital_id, str(values["department_code"])))
            if hospital_id and values["physician_license"]:
                physician_keys.add((hospital_id, str(_text(values["physician_license"]))))
        self.refs.load(department_keys, physician_keys)
        for row_number, cells, values in parsed:
            if not self._check_row(row_number, values):
                self.plan.rejected_rows.add(row_number)
                keep_rejected_raw[row_number] = cells

    def _check_row(self, row: int, values: dict) -> bool:
        ok = True

        def fail(column, problem, **params):
            nonlocal ok
            ok = False
            self.error(row, column, problem, **params)

        code = _text(values["hospital_code"])
        hospital_id = None
        if not code:
            fail("hospital_code", "hospital_missing")
        else:
            hospital_id = self.refs.hospitals.get(code)
            if hospital_id is None:
                fail("hospital_code", "hospital_unknown", code=code)
            elif self.allowed is not None and hospital_id not in self.allowed:
                fail("hospital_code", "hospital_out_of_scope", code=code)
                hospital_id = None

        number = _text(values["encounter_number"])
        if not number:
            fail("encounter_number", "number_missing")
        elif len(number) > 40:
            fail("encounter_number", "number_too_long")

        raw_type = _text(values["encounter_type"]).upper()
        encounter_type = _TYPES.get(raw_type)
        if encounter_type is None:
            fail("encounter_type", "type_unknown", value=raw_type)

        mrn = _text(values["patient_mrn"])
        if not mrn:
            fail("patient_mrn", "mrn_missing")
        elif len(mrn) > 30:
            fail("patient_mrn", "mrn_too_long")

        # The patient's details: the rules every source shares, checked once per distinct value.
        raw_patient = {column: values[column] for column, _field in _PATIENT_COLUMNS}
        if is_masked_value(ascii_digits(_text(raw_patient["patient_national_id"]))):
            # A masked ID (as this system exports it) means "as stored".
            raw_patient["patient_national_id"] = ""
        try:
            raw_patient["patient_birth_date"] = parse_date_cell(raw_patient["patient_birth_date"])
        except CellError as error:
            fail("patient_birth_date", error.code, **error.params)
            raw_patient["patient_birth_date"] = None
        patient_values = {}
        for column, field_name in _PATIENT_COLUMNS:
            try:
                patient_values[field_name] = self.patient_rules.clean_field(field_name, raw_patient[column])
            except ValidationError as error:
                fail(column, _RULE_PROBLEMS.get(error.code, "value_refused"))
                patient_values[field_name] = "" if field_name != "birth_date" else None
        national_id = patient_values["national_id"]
        name_ar, name_en = patient_values["name_ar"], patient_values["name_en"]
        phone, email = patient_values["phone"], patient_values["email"]
        language, birth_date = patient_values["preferred_language"], patient_values["birth_date"]
        gender = patient_values["gender"]

        department_id = None
        department_code = _text(values["department_code"])
        if department_code and hospital_id:
            department_id = self.refs.departments.get((hospital_id, department_code))
            if department_id is None:
                fail("department_code", "department_unknown", code=department_code, hospital=code)

        physician_id = None
        licence = values["physician_license"]
        if licence:
            licence = str(_text(licence))
            physician_id = self.refs.physicians.get((hospital_id, licence)) if hospital_id else None
            if hospital_id and physician_id is None:
                fail("physician_license", "physician_unknown", licence=licence, hospital=code)

        admitted_at = discharged_at = None
        try:
            admitted_at = parse_datetime_cell(values["admitted_at"])
            if admitted_at is None:
                fail("admitted_at", "admitted_missing")
        except CellError as error:
            fail("admitted_at", error.code, **error.params)
        try:
            discharged_at = parse_datetime_cell(values["discharged_at"])
        except CellError as error:
            fail("discharged_at", error.code, **error.params)
        if admitted_at and discharged_at and discharged_at < admitted_at:
            fail("discharged_at", "discharge_before_admission")

        if not ok:
            return False

        encounter = (
            row,
            hospital_id,
            number,
            encounter_type,
            mrn,
            department_id,
            physician_id,
            admitted_at,
            discharged_at,
        )
        key = (hospital_id, number)
        previous = self.seen.get(key)
        if previous is not None:
            index, first_row = previous
            if index is not None and self.plan.encounters[index][2:] != encounter[2:]:
                self.error(row, "encounter_number", "duplicate_encounter", number=number, row=first_row)
                self.error(first_row, "encounter_number", "duplicate_encounter", number=number, row=row)
                # Neither row can be trusted: both are rejected.
                self.plan.encounters[index] = None
                self.plan.rejected_rows.add(first_row)
                self.late_rejects.add(first_row)
                self.seen[key] = (None, first_row)
                return False
            if index is None:
                self.error(row, "encounter_number", "duplicate_encounter", number=number, row=first_row)
                return False
            # The same row twice: harmless, counted as unchanged.
            self.plan.counts["duplicates"] = self.plan.counts.get("duplicates", 0) + 1
            return True
        self.seen[key] = (len(self.plan.encounters), row)
        self.plan.encounters.append(encounter)

        patient = (national_id, name_ar, name_en, phone, email, language, birth_date, gender)
        patient_key = (hospital_id, mrn)
        earlier = self.plan.patients.get(patient_key)
        if earlier is not None:
            # A later row's non-empty values win (the HIS lists visits in time order).
            patient = tuple(new if new not in ("", None) else old for old, new in zip(earlier, patient, strict=True))
        self.plan.patients[patient_key] = patient
        return True

    def _classify(self) -> None:
        plan = self.plan
        # Rows of a rejected duplicate pair were put in place as None.
        plan.encounters = [row for row in plan.encounters if row is not None]
        rejected_rows = plan.rejected_rows
        counts = {"new": 0, "updated": 0, "unchanged": plan.counts.get("duplicates", 0)}
        counts["rejected"] = len(rejected_rows)
        read_only = read_only_patient_fields(self.user)
        sample = []
        for start in range(0, len(plan.encounters), CHUNK_ROWS):
            chunk = plan.encounters[start : start + CHUNK_ROWS]
            existing = _existing_encounter_values(chunk)
            for row in chunk:
                stored = existing.get((row[1], row[2]))
                if stored is None:
                    counts["new"] += 1
                    if len(sample) < SAMPLE_SIZE:
                        sample.append(_sample_entry(row, "new", {}, plan))
                    continue
                changes = _encounter_changes_preview(row, stored)
                if changes:
                    counts["updated"] += 1
                    if len(sample) < SAMPLE_SIZE * 2:
                        sample.append(_sample_entry(row, "updated", changes, plan))
                else:
                    counts["unchanged"] += 1
        # Patients (their own counts, shown next to the encounters').
        patient_counts = {"new": 0, "updated": 0, "unchanged": 0}
        keys = list(plan.patients)
        for start in range(0, len(keys), CHUNK_ROWS):
            chunk_keys = keys[start : start + CHUNK_ROWS]
            existing = {(p.hospital_id, p.mrn): p for p in _existing_patients(chunk_keys)}
            for key in chunk_keys:
                stored = existing.get(key)
                if stored is None:
                    patient_counts["new"] += 1
                elif _patient_changes(stored, plan.patients[key], read_only):
                    patient_counts["updated"] += 1
                else:
                    patient_counts["unchanged"] += 1
        counts["patients"] = patient_counts
        counts["duplicates"] = plan.counts.get("duplicates", 0)
        plan.counts = counts
        # New rows first would hide the updates, which are what people check.
        plan.sample = [entry for entry in sample if entry["action"] == "updated"][:SAMPLE_SIZE] + [
            entry for entry in sample if entry["action"] == "new"
        ][: max(SAMPLE_SIZE // 2, SAMPLE_SIZE - sum(1 for e in sample if e["action"] == "updated"))]


class _InArray(Lookup):
    """``column`` is one of a list of values, sent as a single parameter.

    ``__in`` with 2,000 values makes 2,000 placeholders, which Django builds
    value by value and (on PostgreSQL) psycopg re-parses client-side on every
    look-up. PostgreSQL takes one array (``= ANY(%s)``); SQLite one JSON array,
    expanded by ``json_each`` (both still use the column's index).
    """

    lookup_name = "px360_in_array"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(self.rhs)]

    def get_prep_lookup(self):
        return self.rhs


def _keys_q(keys, field_name: str) -> Q:
    grouped: dict = {}
    for hospital_id, value in keys:
        grouped.setdefault(hospital_id, set()).add(value)
    query = Q(pk__in=[])
    for hospital_id, values in grouped.items():
        if connection.vendor in ("postgresql", "sqlite"):
            query |= Q(_InArray(F(field_name), sorted(values)), hospital_id=hospital_id)
        else:
            query |= Q(hospital_id=hospital_id, **{f"{field_name}__in": values})
    return query


def _existing_encounter_values(chunk) -> dict:
    from .models import Encounter

    keys = {(row[1], row[2]) for row in chunk}
    rows = (
        Encounter.all_objects.filter(_keys_q(keys, "encounter_number"))
        .order_by()
        .values_list(
            "hospital_id",
            "encounter_number",
            "encounter_type",
            "patient__mrn",
            "department_id",
            "attending_physician_id",
            "admitted_at",
            "discharged_at",
            "status",
        )
    )
    return {(row[0], row[1]): row[2:] for row in rows}


def _existing_patients(keys):
    return Patient.all_objects.filter(_keys_q(keys, "mrn")).order_by()


def _status_for(discharged_at, stored_status=None) -> str:
    if stored_status == EncounterStatus.CANCELLED:
        return stored_status
    return EncounterStatus.DISCHARGED if discharged_at else EncounterStatus.ACTIVE


def _encounter_changes_preview(row, stored) -> dict:
    """Changes a row would make to a stored encounter (values from ``values_list``)."""
    _r, _h, _n, encounter_type, mrn, department_id, physician_id, admitted_at, discharged_at = row
    s_type, s_mrn, s_department, s_physician, s_admitted, s_discharged, s_status = stored
    department_id = department_id if department_id is not None else s_department
    physician_id = physician_id if physician_id is not None else s_physician
    discharged_at = discharged_at if discharged_at is not None else s_discharged
    status = _status_for(discharged_at, s_status)
    changes = {}
    for name, old, new in (
        ("encounter_type", s_type, encounter_type),
        ("patient_mrn", s_mrn, mrn),
        ("department", s_department, department_id),
        ("attending_physician", s_physician, physician_id),
        ("admitted_at", s_admitted, admitted_at),
        ("discharged_at", s_discharged, discharged_at),
        ("status", s_status, status),
    ):
        if old != new:
            changes[name] = (old, new)
    return changes


def read_only_patient_fields(user) -> tuple[str, ...]:
    """Patient fields whose cells fill a new patient but never change a stored one for ``user``.

    Masked fields are read-only to whom they are masked, in imports as on screen.
    """
    return () if sees_full_identifiers(user) else masked_fields(Patient)


def _patient_changes(stored: Patient, values: tuple, read_only: tuple = ()) -> list[str]:
    changed = []
    for name, value in zip(PATIENT_FIELDS, values, strict=True):
        # An empty cell never erases what is stored.
        if value in ("", None) or name in read_only:
            continue
        if getattr(stored, name) != value:
            changed.append(name)
    return changed


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _sample_entry(row, action: str, changes: dict, plan: Plan) -> dict:
    # No patient names or IDs: the sample is shown on screen and stored on the job.
    return {
        "row": row[0],
        "hospital": plan.hospital_codes.get(row[1], ""),
        "encounter_number": row[2],
        "action": action,
        "changes": [
            [name, _display(old), _display(new)]
            for name, (old, new) in changes.items()
            if name not in ("department", "attending_physician")
        ]
        + [[name, "", ""] for name in changes if name in ("department", "attending_physician")],
    }


def build_plan(*, path: Path, user, progress: Callable | None = None) -> tuple[Plan, dict, dict]:
    """Check the whole file.

    Returns the plan, the raw cells of rejected rows and every reason per
    rejected row (both only for the rejected-rows file).
    """
    # Read ahead in a separate process; if that fails, read here; a sheet the
    # fast reader does not understand is read again with openpyxl.
    attempts = [{"fast_xlsx": True, "read_ahead": True}, {"fast_xlsx": True}, {"fast_xlsx": False}]
    while True:
        options = attempts.pop(0)
        rejected_raw: dict = {}
        checker = _Checker(user, progress, **options)
        try:
            plan = checker.run(Path(path), rejected_raw)
        except sheets.ReadAheadFailed as error:
            logger.warning("Reading %s in a separate process failed, reading it here: %s", path, error)
            continue
        except sheets.UnsupportedSheet:
            attempts = [{"fast_xlsx": False}]
            continue
        return plan, rejected_raw, checker.row_errors


# --- plan storage -------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), data, hashlib.sha256).hexdigest()


def plan_references_hold(plan: Plan, user) -> bool:
    """Whether what the check resolved still holds: the departments and physicians the
    rows point at are not deleted, and their hospitals are still in the importer's scope.

    Between upload and confirm (minutes or days) a department can be closed or the
    importer moved to another hospital; the stored plan would then write rows the file
    check would now reject, so the caller checks the file again instead.
    """
    allowed = hospital_ids_for(user)
    hospitals, departments, physicians = set(), set(), set()
    for _row, hospital_id, _number, _type, _mrn, department_id, physician_id, *_times in plan.encounters:
        hospitals.add(hospital_id)
        departments.add(department_id)
        physicians.add(physician_id)
    hospitals.update(key[0] for key in plan.patients)
    departments.discard(None)
    physicians.discard(None)
    if allowed is not None and not hospitals <= set(allowed):
        return False
    if departments and Department.objects.filter(pk__in=departments).count() != len(departments):
        return False
    return not physicians or Physician.objects.filter(pk__in=physicians).count() == len(physicians)


def save_plan(plan: Plan, path: Path) -> str:
    """Pickle the plan; returns its HMAC so a tampered file is never unpickled."""
    data = pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return _digest(data)


def load_plan(path: Path, digest: str) -> Plan | None:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if not digest or not hmac.compare_digest(_digest(data), digest):
        return None
    return pickle.loads(data)


# --- the write pass ---------------------------------------------------------------


def _chunk_transaction(single_transaction: bool):
    # Inside the one big transaction (PostgreSQL) chunks need no savepoints.
    return transaction.atomic(savepoint=False) if not single_transaction else _nullcontext()


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def single_transaction_writes() -> bool:
    """PostgreSQL: one transaction. SQLite: chunks, so other writers are not locked out."""
    if connection.vendor == "sqlite":
        return getattr(settings, "PX360_IMPORT_SQLITE_SINGLE_TRANSACTION", False)
    return True


# The change reason on every history row the import writes.
HISTORY_CHANGE_REASON = "import"


class _Writer:
    """Rows of one model and their history rows, written with :mod:`.fastwrite` (raw SQL, see there)."""

    def __init__(self, model, *, user_id, now):
        self.table = fastwrite.Table(model, connection)
        self.history = fastwrite.HistoryTable(model, connection, self.table) if fastwrite.history_enabled() else None
        self.user_id = user_id
        self.now = now

    def existing(self, keys, key_field: str) -> dict:
        """Stored rows (all columns, Python values) by (hospital_id, key), deleted ones included."""
        table = self.table
        hospital, number = table.index["hospital_id"], table.index[key_field]
        rows = table.model.all_objects.filter(_keys_q(keys, key_field)).order_by().values_list(*table.attnames)
        return {(row[hospital], row[number]): row for row in rows}

    def create(self, rows: list) -> None:
        prepared = self.table.prepare(rows)
        fastwrite.insert(self.table, prepared)
        self._history(prepared, "+")

    def change(self, rows: list, names) -> None:
        prepared = self.table.prepare(rows)
        fastwrite.update(self.table, prepared, sorted(names))
        self._history(prepared, "~")

    def _history(self, prepared: list, history_type: str) -> None:
        if self.history is None or not prepared:
            return
        rows = self.history.rows_for(
            prepared, history_type=history_type, user_id=self.user_id, date=self.now, reason=HISTORY_CHANGE_REASON
        )
        fastwrite.insert(self.history, rows)


def apply_plan(*, plan: Plan, user, job=None, progress: Callable | None = None, on_commit_chunk=None) -> dict:
    """Upsert the plan's patients and encounters; returns the counts.

    Every created or changed row gets one history row (``+`` / ``~``) naming
    ``user``, dated with the import's time; unchanged rows are not written.
    """
    from .models import Encounter

    progress = progress or (lambda processed, total: None)
    single = single_transaction_writes()
    now = timezone.now()
    counts = {
        "new": 0,
        "updated": 0,
        "unchanged": plan.counts.get("duplicates", 0),
        "rejected": len(plan.rejected_rows),
    }
    patient_counts = {"new": 0, "updated": 0, "unchanged": 0}
    patient_ids: dict = {}
    total = len(plan.patients) + len(plan.encounters)
    done = 0
    user_id = user.pk if user is not None else None
    job_id = job.pk if job is not None else None

    patients = _Writer(Patient, user_id=user_id, now=now)
    encounters = _Writer(Encounter, user_id=user_id, now=now)

    # Positions of the columns the import sets, in the tables' rows.
    p = patients.table.index
    p_id, p_name_ar, p_name_en, p_search, p_updated = (
        p["id"],
        p["name_ar"],
        p["name_en"],
        p["name_search"],
        p["updated_at"],
    )
    read_only = read_only_patient_fields(user)
    p_fields = [(position, p[name]) for position, name in enumerate(PATIENT_FIELDS) if name not in read_only]
    e = encounters.table.index
    e_compare = [
        e[name]
        for name in (
            "encounter_type",
            "patient_id",
            "department_id",
            "attending_physician_id",
            "admitted_at",
            "discharged_at",
            "status",
        )
    ]
    e_department, e_physician, e_discharged, e_status = (
        e["department_id"],
        e["attending_physician_id"],
        e["discharged_at"],
        e["status"],
    )
    e_job, e_updated = e["import_job_id"], e["updated_at"]
    e_names = [encounters.table.attnames[position] for position in e_compare]
    # New rows: the columns the import sets, in the order of the tuples below.
    new_patient = patients.table.row_maker(
        (
            "hospital_id",
            "mrn",
            "national_id",
            "name_ar",
            "name_en",
            "name_search",
            "phone",
            "email",
            "preferred_language",
            "birth_date",
            "gender",
            "created_at",
            "updated_at",
        )
    )
    new_encounter = encounters.table.row_maker(
        (
            "hospital_id",
            "encounter_number",
            "encounter_type",
            "patient_id",
            "department_id",
            "attending_physician_id",
            "admitted_at",
            "discharged_at",
            "status",
            "source",
            "import_job_id",
            "created_at",
            "updated_at",
        )
    )

    outer = transaction.atomic() if single else _nullcontext()
    with outer:
        keys = list(plan.patients)
        for start in range(0, len(keys), CHUNK_ROWS):
            chunk_keys = keys[start : start + CHUNK_ROWS]
            with _chunk_transaction(single):
                existing = patients.existing(chunk_keys, "mrn")
                created, changed, changed_names = [], [], set()
                for key in chunk_keys:
                    values = plan.patients[key]
                    stored = existing.get(key)
                    if stored is None:
                        national_id, name_ar, name_en, phone, email, language, birth_date, gender = values
                        row = new_patient(
                            (
                                key[0],
                                key[1],
                                national_id,
                                name_ar,
                                name_en,
                                name_search_value(name_ar, name_en),
                                phone,
                                email,
                                language or "ar",
                                birth_date,
                                gender or "U",
                                now,
                                now,
                            )
                        )
                        created.append(row)
                        patient_ids[key] = row[p_id]
                        continue
                    patient_ids[key] = stored[p_id]
                    # An empty cell never erases what is stored.
                    names = [
                        (position, column)
                        for position, column in p_fields
                        if values[position] not in ("", None) and stored[column] != values[position]
                    ]
                    if not names:
                        patient_counts["unchanged"] += 1
                        continue
                    row = list(stored)
                    for position, column in names:
                        row[column] = values[position]
                        changed_names.add(PATIENT_FIELDS[position])
                    row[p_search] = name_search_value(row[p_name_ar], row[p_name_en])
                    row[p_updated] = now
                    changed.append(row)
                patients.create(created)
                patients.change(changed, changed_names | {"name_search", "updated_at"})
                patient_counts["new"] += len(created)
                patient_counts["updated"] += len(changed)
            done += len(chunk_keys)
            progress(done, total)

        committed = 0
        for start in range(0, len(plan.encounters), CHUNK_ROWS):
            chunk = plan.encounters[start : start + CHUNK_ROWS]
            with _chunk_transaction(single):
                existing = encounters.existing({(row[1], row[2]) for row in chunk}, "encounter_number")
                created, changed, changed_names = [], [], set()
                for row in chunk:
                    _r, hospital_id, number, encounter_type, mrn, department_id, physician_id, admitted, discharged = (
                        row
                    )
                    patient_id = patient_ids[(hospital_id, mrn)]
                    stored = existing.get((hospital_id, number))
                    if stored is None:
                        created.append(
                            new_encounter(
                                (
                                    hospital_id,
                                    number,
                                    encounter_type,
                                    patient_id,
                                    department_id,
                                    physician_id,
                                    admitted,
                                    discharged,
                                    _status_for(discharged),
                                    EncounterSource.IMPORT,
                                    job_id,
                                    now,
                                    now,
                                )
                            )
                        )
                        continue
                    # An empty department, physician or discharge cell keeps what is stored.
                    discharged = discharged if discharged is not None else stored[e_discharged]
                    new_values = (
                        encounter_type,
                        patient_id,
                        department_id if department_id is not None else stored[e_department],
                        physician_id if physician_id is not None else stored[e_physician],
                        admitted,
                        discharged,
                        _status_for(discharged, stored[e_status]),
                    )
                    differs = [
                        (column, value)
                        for column, value in zip(e_compare, new_values, strict=True)
                        if stored[column] != value
                    ]
                    if not differs:
                        counts["unchanged"] += 1
                        continue
                    updated = list(stored)
                    for column, value in differs:
                        updated[column] = value
                        changed_names.add(e_names[e_compare.index(column)])
                    updated[e_job] = job_id
                    updated[e_updated] = now
                    changed.append(updated)
                encounters.create(created)
                encounters.change(changed, changed_names | {"import_job_id", "updated_at"})
                counts["new"] += len(created)
                counts["updated"] += len(changed)
            committed += len(chunk)
            if not single and on_commit_chunk is not None:
                on_commit_chunk(committed)
            done += len(chunk)
            progress(done, total)
    counts["patients"] = patient_counts
    return counts


# --- the rejected-rows file ---------------------------------------------------------
#
# The check stores the rejected rows with their problems as codes (the last
# column, JSON); the download words them in the reader's language
# (:func:`rejected_rows_for_reader`).

PROBLEMS_COLUMN = "px360:problems"


def write_rejected_rows(*, plan: Plan, rejected_raw: dict, all_errors: dict, path: Path) -> None:
    """CSV (UTF-8 with BOM) of the rejected rows: their original columns, the row number and the problems."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*plan.header, "row", PROBLEMS_COLUMN])
        width = len(plan.header)
        for row_number in sorted(rejected_raw):
            cells = [_text(_cell(cell)) if not isinstance(cell, str) else cell for cell in rejected_raw[row_number]]
            cells = (cells + [""] * width)[:width]
            problems = sorted(all_errors.get(row_number, []), key=_problem_order)
            writer.writerow(
                [neutralise_formula(str(cell)) for cell in cells]
                + [row_number, json.dumps([entry[1:] for entry in problems], ensure_ascii=False)]
            )


def rejected_rows_for_reader(lines: Iterator[str]) -> Iterator[list]:
    """The stored rejected-rows file, row by row, with its problems worded in the active language.

    ``lines``: the stored file's text lines. Files stored before problems had
    codes (their reasons already worded) come out as they are.
    """
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    if not header or header[-1] != PROBLEMS_COLUMN:
        yield header
        yield from reader
        return
    yield [*header[:-2], _("row"), _("reason")]
    for cells in reader:
        try:
            problems = json.loads(cells[-1])
        except (ValueError, IndexError):
            problems = []
        reasons = "; ".join(
            f"{column}: {text}"
            for _row, column, text in worded_problems([[0, *entry] for entry in problems if isinstance(entry, list)])
        )
        yield [*cells[:-1], neutralise_formula(reasons)]


# --- the template ---------------------------------------------------------------------
#
# A file to fill in, made from COLUMN_DEFINITIONS: a row of headers in the
# reader's language above the row of column names the importer looks for (it
# takes the first row holding the required names as the header, so the label
# row is skipped), and the codes the user may use, for their hospitals only.


def template_codes(user) -> list[tuple]:
    """``(kind, hospital code, code, name)`` of everything the user may put in a file, in their scope."""
    from px360.core.choices import Gender, Language

    allowed = hospital_ids_for(user)
    hospitals = Hospital.objects.filter(is_active=True)
    departments = Department.objects.filter(is_active=True, hospital__is_active=True)
    physicians = Physician.objects.filter(is_active=True, hospital__is_active=True)
    if allowed is not None:
        hospitals = hospitals.filter(pk__in=allowed)
        departments = departments.filter(hospital_id__in=allowed)
        physicians = physicians.filter(hospital_id__in=allowed)
    arabic = (translation.get_language() or "").startswith("ar")

    def name(record) -> str:
        first, second = (record.name_ar, record.name_en) if arabic else (record.name_en, record.name_ar)
        return first or second or record.name

    rows = [(_("Hospital"), "", hospital.code, name(hospital)) for hospital in hospitals.order_by("code")]
    rows += [
        (_("Department"), department.hospital.code, department.code, name(department))
        for department in departments.select_related("hospital").order_by("hospital__code", "code")
    ]
    rows += [
        (_("Physician"), physician.hospital.code, physician.license_number, name(physician))
        for physician in physicians.select_related("hospital").order_by("hospital__code", "license_number")
    ]
    labels = {
        "encounter_type": dict(EncounterType.choices),
        "patient_language": dict(Language.choices),
        "patient_gender": dict(Gender.choices),
    }
    for column in COLUMN_DEFINITIONS:
        for value in column.allowed:
            rows.append((str(column.label), "", value, str(labels.get(column.name, {}).get(value, ""))))
    return rows


def _template_headers() -> tuple[list, list]:
    optional = _("(optional)")
    labels = [str(column.label) if column.required else f"{column.label} {optional}" for column in COLUMN_DEFINITIONS]
    return labels, list(COLUMNS)


def template_codes_header() -> list:
    return [_("kind"), _("hospital code"), _("code"), _("name")]


def write_template_csv(handle) -> None:
    """The template as CSV (UTF-8 with BOM): the headers in the reader's language, then the column names."""
    writer = csv.writer(handle)
    for line in _template_headers():
        writer.writerow(line)


def write_template_codes_csv(handle, user) -> None:
    """The allowed codes as CSV (UTF-8 with BOM), formula-safe."""
    writer = csv.writer(handle)
    writer.writerow(template_codes_header())
    for row in template_codes(user):
        writer.writerow([neutralise_formula(str(value)) for value in row])


def write_template_xlsx(handle, user) -> None:
    """The template as a workbook: the sheet to fill, the columns explained, the allowed codes.

    Right to left when the reader works in Arabic. Every value is a text cell
    (never a formula), whatever a name in the database starts with.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    right_to_left = (translation.get_language() or "").startswith("ar")
    bold = Font(bold=True)
    shaded = PatternFill("solid", fgColor="E5E7EB")

    def text_row(sheet, values, *, font=None, fill=None):
        sheet.append([str(value) if value is not None else "" for value in values])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # openpyxl would take "=..." for a formula
            if font:
                cell.font = font
            if fill:
                cell.fill = fill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Encounters")[:31]
    labels, names = _template_headers()
    text_row(sheet, labels, font=bold, fill=shaded)
    text_row(sheet, names, font=bold)
    sheet.freeze_panes = "A3"
    for position, column in enumerate(COLUMN_DEFINITIONS, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(18, len(str(column.label)) + 4)
        # Dates and codes stay text as typed (Excel would turn 01/02/2026 into its own date).
        sheet.column_dimensions[letter].number_format = "@"
        if column.allowed:
            choice = DataValidation(type="list", formula1='"' + ",".join(column.allowed) + '"', allow_blank=True)
            choice.add(f"{letter}3:{letter}1002")
            sheet.add_data_validation(choice)
    sheet.sheet_view.rightToLeft = right_to_left

    explained = workbook.create_sheet(_("Columns")[:31])
    text_row(
        explained,
        [_("column"), _("header"), _("required"), _("what it holds"), _("format or allowed codes"), _("example")],
        font=bold,
        fill=shaded,
    )
    for column in COLUMN_DEFINITIONS:
        text_row(
            explained,
            [
                column.name,
                column.label,
                _("yes") if column.required else _("no"),
                column.rule,
                column.formats,
                column.example,
            ],
        )
    for letter, width in zip("ABCDEF", (22, 28, 10, 60, 40, 22), strict=True):
        explained.column_dimensions[letter].width = width
    explained.sheet_view.rightToLeft = right_to_left

    codes = workbook.create_sheet(_("Allowed codes")[:31])
    text_row(codes, template_codes_header(), font=bold, fill=shaded)
    for row in template_codes(user):
        text_row(codes, row)
    for letter, width in zip("ABCD", (24, 16, 18, 40), strict=True):
        codes.column_dimensions[letter].width = width
    codes.sheet_view.rightToLeft = right_to_left
    workbook.save(handle)
