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
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.lookups import Lookup
from django.utils import timezone
from django.utils.translation import gettext as _

from px360.core.access import hospital_ids_for
from px360.core.masking import is_masked_value, masked_fields, sees_full_identifiers
from px360.core.resources import neutralise_formula, restore_formula
from px360.core.validators import ascii_digits, national_id_is_valid, normalize_phone
from px360.organizations.models import Department, Hospital, Patient, Physician
from px360.organizations.search import name_search_value

from . import fastwrite, sheets
from .choices import EncounterSource, EncounterStatus, EncounterType

# The HIS batch contract (DESIGN §5), in file order.
COLUMNS = (
    "hospital_code",
    "encounter_number",
    "encounter_type",
    "patient_mrn",
    "patient_national_id",
    "patient_name_ar",
    "patient_name_en",
    "patient_phone",
    "patient_email",
    "patient_language",
    "patient_birth_date",
    "patient_gender",
    "department_code",
    "physician_license",
    "admitted_at",
    "discharged_at",
)
REQUIRED_HEADERS = ("hospital_code", "encounter_number", "encounter_type", "patient_mrn", "admitted_at")
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
_GENDERS = {
    "m": "M",
    "male": "M",
    "ذكر": "M",
    "f": "F",
    "female": "F",
    "انثى": "F",
    "أنثى": "F",
    "u": "U",
    "unknown": "U",
}
_TYPES = {choice.value: choice.value for choice in EncounterType}


logger = logging.getLogger(__name__)


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, no header row)."""


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
    raise ImportFileError(
        _("No header row found: the file needs the columns %(columns)s in one of its first %(count)d rows.")
        % {"columns": ", ".join(REQUIRED_HEADERS), "count": HEADER_SEARCH_ROWS}
    )


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
        raise ImportFileError(_("The file is neither UTF-8 nor Windows-1256 text.")) from None


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
        return ImportFileError(_("The file could not be read as an Excel workbook."))

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
            raise ImportFileError(_("The CSV file is malformed: %(error)s") % {"error": error}) from None


# --- cleaning ------------------------------------------------------------------


class CellError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


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
            raise CellError(
                _("“%(value)s” is not a date: use YYYY-MM-DD[THH:MM[+03:00]] or DD/MM/YYYY [HH:MM].") % {"value": text}
            ) from None
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
        raise CellError(_("“%(value)s” is not a date: use YYYY-MM-DD or DD/MM/YYYY.") % {"value": text}) from None


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


# --- the check pass --------------------------------------------------------------


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
        # Phone numbers repeat (a patient's visits): normalise each once.
        self.phones: dict = {}

    def error(self, row: int, column: str, message: str) -> None:
        self.plan.error_count += 1
        self.row_errors.setdefault(row, []).append((column, str(message)))
        if len(self.plan.errors) < MAX_STORED_ERRORS:
            self.plan.errors.append([row, column, str(message)])

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
        self.plan.errors.sort(key=lambda error: error[0])
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

        def fail(column, message):
            nonlocal ok
            ok = False
            self.error(row, column, message)

        code = _text(values["hospital_code"])
        hospital_id = None
        if not code:
            fail("hospital_code", _("The hospital code is missing."))
        else:
            hospital_id = self.refs.hospitals.get(code)
            if hospital_id is None:
                fail("hospital_code", _("Unknown hospital code “%(code)s”.") % {"code": code})
            elif self.allowed is not None and hospital_id not in self.allowed:
                fail(
                    "hospital_code",
                    _("Hospital “%(code)s” is outside the hospitals you may import for.") % {"code": code},
                )
                hospital_id = None

        number = _text(values["encounter_number"])
        if not number:
            fail("encounter_number", _("The encounter number is missing."))
        elif len(number) > 40:
            fail("encounter_number", _("The encounter number is longer than 40 characters."))

        raw_type = _text(values["encounter_type"]).upper()
        encounter_type = _TYPES.get(raw_type)
        if encounter_type is None:
            fail(
                "encounter_type",
                _("Unknown encounter type “%(value)s”: use EMS, INPATIENT or OPD.") % {"value": raw_type},
            )

        mrn = _text(values["patient_mrn"])
        if not mrn:
            fail("patient_mrn", _("The patient MRN is missing."))
        elif len(mrn) > 30:
            fail("patient_mrn", _("The MRN is longer than 30 characters."))

        national_id = ascii_digits(_text(values["patient_national_id"]))
        if is_masked_value(national_id):
            # A masked ID (as this system exports it) means "as stored".
            national_id = ""
        if national_id and not national_id_is_valid(national_id):
            fail(
                "patient_national_id",
                _("“%(value)s” is not a valid Saudi national ID or iqama number.") % {"value": national_id},
            )

        name_ar = _text(values["patient_name_ar"])
        name_en = _text(values["patient_name_en"])
        for column, name in (("patient_name_ar", name_ar), ("patient_name_en", name_en)):
            if len(name) > 200:
                fail(column, _("The name is longer than 200 characters."))

        phone = _text(values["patient_phone"])
        if phone:
            normalised = self.phones.get(phone)
            if normalised is None:
                try:
                    normalised = (normalize_phone(phone), None)
                except ValidationError as error:
                    normalised = (phone, error.messages[0])
                if len(self.phones) < 100_000:
                    self.phones[phone] = normalised
            phone, problem = normalised
            if problem is not None:
                fail("patient_phone", problem)

        email = _text(values["patient_email"])
        if email:
            try:
                validate_email(email)
            except ValidationError:
                fail("patient_email", _("“%(value)s” is not a valid e-mail address.") % {"value": email})

        language = _text(values["patient_language"]).lower()
        if language and language not in ("ar", "en"):
            fail("patient_language", _("Unknown language “%(value)s”: use ar or en.") % {"value": language})

        birth_date = None
        try:
            birth_date = parse_date_cell(values["patient_birth_date"])
        except CellError as error:
            fail("patient_birth_date", error.message)
        if birth_date and birth_date > self.today:
            fail("patient_birth_date", _("The birth date is in the future."))

        gender = ""
        raw_gender = _text(values["patient_gender"])
        if raw_gender:
            gender = _GENDERS.get(raw_gender.lower(), "")
            if not gender:
                fail("patient_gender", _("Unknown gender “%(value)s”: use M, F or U.") % {"value": raw_gender})

        department_id = None
        department_code = _text(values["department_code"])
        if department_code and hospital_id:
            department_id = self.refs.departments.get((hospital_id, department_code))
            if department_id is None:
                fail(
                    "department_code",
                    _("Unknown department code “%(code)s” in hospital “%(hospital)s”.")
                    % {"code": department_code, "hospital": code},
                )

        physician_id = None
        licence = values["physician_license"]
        if licence:
            licence = str(_text(licence))
            physician_id = self.refs.physicians.get((hospital_id, licence)) if hospital_id else None
            if hospital_id and physician_id is None:
                fail(
                    "physician_license",
                    _("Unknown physician licence “%(licence)s” in hospital “%(hospital)s”.")
                    % {"licence": licence, "hospital": code},
                )

        admitted_at = discharged_at = None
        try:
            admitted_at = parse_datetime_cell(values["admitted_at"])
            if admitted_at is None:
                fail("admitted_at", _("The admission / visit start time is missing."))
        except CellError as error:
            fail("admitted_at", error.message)
        try:
            discharged_at = parse_datetime_cell(values["discharged_at"])
        except CellError as error:
            fail("discharged_at", error.message)
        if admitted_at and discharged_at and discharged_at < admitted_at:
            fail("discharged_at", _("The discharge time is before the admission time."))

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
                self.error(
                    row,
                    "encounter_number",
                    _("Encounter “%(number)s” is also in row %(row)d, with different values.")
                    % {"number": number, "row": first_row},
                )
                self.error(
                    first_row,
                    "encounter_number",
                    _("Encounter “%(number)s” is also in row %(row)d, with different values.")
                    % {"number": number, "row": row},
                )
                # Neither row can be trusted: both are rejected.
                self.plan.encounters[index] = None
                self.plan.rejected_rows.add(first_row)
                self.late_rejects.add(first_row)
                self.seen[key] = (None, first_row)
                return False
            if index is None:
                self.error(
                    row,
                    "encounter_number",
                    _("Encounter “%(number)s” is also in row %(row)d, with different values.")
                    % {"number": number, "row": first_row},
                )
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


def write_rejected_rows(*, plan: Plan, rejected_raw: dict, all_errors: dict, path: Path) -> None:
    """CSV (UTF-8 with BOM) of the rejected rows: original columns plus the reasons."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*plan.header, _("row"), _("reason")])
        width = len(plan.header)
        for row_number in sorted(rejected_raw):
            cells = [_text(_cell(cell)) if not isinstance(cell, str) else cell for cell in rejected_raw[row_number]]
            cells = (cells + [""] * width)[:width]
            reasons = "; ".join(f"{column}: {message}" for column, message in all_errors.get(row_number, []))
            writer.writerow(
                [neutralise_formula(str(cell)) for cell in cells] + [row_number, neutralise_formula(reasons)]
            )
