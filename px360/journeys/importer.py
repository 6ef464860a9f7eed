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

XLSX files are read by :class:`_FastSheet` (regular expressions over the sheet
XML, openpyxl for the workbook's shared strings and styles), about five times
faster than openpyxl's read-only cell objects; a sheet it does not understand
is read again with openpyxl.

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
from px360.core.resources import neutralise_formula
from px360.core.validators import national_id_is_valid, normalize_phone
from px360.organizations.models import Department, Hospital, Patient, Physician
from px360.organizations.search import name_search_value

from . import fastwrite
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
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
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


# --- reading -------------------------------------------------------------------


def _strip_neutraliser(value: str) -> str:
    # Our own exports and rejected-rows files prefix formula-like cells with an
    # apostrophe; a file edited and uploaded again gets its values back.
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return _strip_neutraliser(value.strip())
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


def is_xlsx(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


class _UnsupportedSheet(Exception):
    """The sheet's XML is not in the shape the fast reader understands; read it with openpyxl."""


# The fast XLSX reader (see _FastSheet) matches the sheet's XML with these.
_P = r"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix (x:row)
_ROW_XML = re.compile(rf"<{_P}row\b([^>]*?)(?:/>|>(.*?)</{_P}row>)", re.S)
_CELL_XML = re.compile(rf"<{_P}c\b([^>]*?)(?:/>|>(.*?)</{_P}c>)", re.S)
_CELL_START = re.compile(rf"<{_P}c[\s/>]")
_ATTR_XML = re.compile(r"(?<![\w:])([rst])=\"([^\"]*)\"")
# The shape nearly every writer (Excel, LibreOffice, openpyxl) gives a cell.
_SIMPLE_CELL_XML = re.compile(
    r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?\s*'
    r'(?:/>|>(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)'
)
_ROW_NUMBER_XML = re.compile(r"(?<![\w:])r=\"(\d+)\"")
_V_XML = re.compile(rf"<{_P}v>([^<]*)</{_P}v>")
_T_XML = re.compile(rf"<{_P}t(?:\s[^>]*)?>([^<]*)</{_P}t>|<{_P}t\s*/>")
_PHONETIC_XML = re.compile(rf"<{_P}rPh\b.*?</{_P}rPh>", re.S)
_DIMENSION_XML = re.compile(rf"<{_P}dimension\s+ref=\"[A-Z]*\d*:?[A-Z]*(\d+)\"")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _entity(match) -> str:
    name = match.group(1)
    if name[0] == "#":
        return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
    return _ENTITIES[name]


def _xml_text(text: str) -> str:
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "_x" in text:
        text = _OOXML_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)
    return text


def _column_index(reference: str) -> int:
    index = 0
    for char in reference:
        if char <= "9":
            break
        index = index * 26 + ord(char) - 64
    return index - 1


class _FastSheet:
    """The first sheet's rows, read with regular expressions over its XML.

    Why: openpyxl's read-only reader builds several Python objects per cell
    (an inline string alone goes through its descriptor machinery) and spent
    most of the import's time on a 100,000-row file. The sheet XML of a
    workbook is a flat, regular list of ``<row>``/``<c>`` elements, so the
    values are matched directly; openpyxl still opens the workbook and supplies
    the shared strings, the date styles and the date epoch. Cell values are the
    ones openpyxl's ``values_only`` gives (strings, ints, floats, booleans,
    datetimes for date-formatted numbers). Anything it does not expect (a cell
    the expressions do not account for) raises :class:`_UnsupportedSheet`, and
    the file is read again with openpyxl.
    """

    BLOCK = 1 << 20

    def __init__(self, workbook):
        sheet = workbook.worksheets[0]
        self.workbook = workbook
        self.path = sheet._worksheet_path
        self.strings = sheet._shared_strings  # what the reader loaded (workbook.shared_strings is for writing)
        self.date_styles = frozenset(workbook._date_formats)
        self.timedelta_styles = frozenset(workbook._timedelta_formats)
        self.epoch = workbook.epoch
        self.estimated_rows = 0
        self.columns: dict = {}
        # Unprefixed elements (<sheetData>, <c>): the common-shape expression applies.
        self.simple = True

    def rows(self) -> Iterator[tuple[int, list]]:
        import codecs

        decoder = codecs.getincrementaldecoder("utf-8")()
        pending = ""
        number = 0
        first = True
        with self.workbook._archive.open(self.path) as source:
            while True:
                data = source.read(self.BLOCK)
                pending += decoder.decode(data, final=not data)
                if first:
                    first = False
                    match = _DIMENSION_XML.search(pending, 0, 4096)
                    if match:
                        self.estimated_rows = int(match.group(1))
                    self.simple = "<sheetData" in pending
                end = pending.rfind(">", 0, len(pending)) if not data else _last_row_end(pending)
                if end < 0:
                    if not data:
                        break
                    continue
                block, pending = pending[: end + 1], pending[end + 1 :]
                rows_before = number
                for row_number, cells in self._rows_of(block, number):
                    number = row_number
                    yield number, cells
                if not self.estimated_rows and number > rows_before and block:
                    # No <dimension>: estimate from the sheet's size (for the progress bar only).
                    size = self.workbook._archive.getinfo(self.path).file_size
                    self.estimated_rows = int(size * (number - rows_before) / len(block.encode()))
                if not data:
                    break

    def _rows_of(self, block: str, number: int):
        simple = self.simple
        for row in _ROW_XML.finditer(block):
            attributes, content = row.group(1), row.group(2)
            found = _ROW_NUMBER_XML.search(attributes)
            number = int(found.group(1)) if found else number + 1
            if not content:
                yield number, []
                continue
            if simple:
                cells = _SIMPLE_CELL_XML.findall(content)
                # Every cell must have matched the common shape, else the row goes the long way.
                if len(cells) == content.count("<c ") + content.count("<c>") + content.count("<c/>"):
                    yield number, self._simple_cells(cells)
                    continue
            yield number, self._cells(content, number)

    def _simple_cells(self, matches) -> list:
        strings, columns, date_styles = self.strings, self.columns, self.date_styles
        cells: list = []
        for column, style, kind, raw, inline in matches:
            # Most common kinds first: shared strings, then numbers.
            if kind == "s":
                value = strings[int(raw)] if raw else None
            elif kind == "inlineStr":
                value = _xml_text(inline) if inline else None
            elif kind == "n" or not kind:
                if not raw:
                    value = None
                else:
                    value = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
                    if style and int(style) in date_styles:
                        value = self._date(value, int(style))
            else:
                value = self._typed(kind, raw)
            position = columns.get(column)
            if position is None:
                position = columns[column] = _column_index(column)
            if position != len(cells):
                if position < len(cells):
                    raise _UnsupportedSheet(column)
                cells.extend([None] * (position - len(cells)))
            cells.append(value)
        return cells

    def _date(self, value, style: int):
        from openpyxl.utils.datetime import from_excel

        try:
            return from_excel(value, self.epoch, timedelta=style in self.timedelta_styles)
        except (OverflowError, ValueError):
            return "#VALUE!"  # what openpyxl gives

    def _typed(self, kind: str, raw):
        if raw is None or (raw == "" and kind != "str"):
            return None
        if kind == "b":
            return raw == "1"
        if kind in ("str", "e"):
            return _xml_text(raw)
        if kind == "d":
            return datetime.fromisoformat(raw)
        raise _UnsupportedSheet(kind)

    def _cells(self, content: str, number: int) -> list:
        """Cells of any shape (attributes in any order, namespace prefixes, rich text)."""
        cells: list = []
        matched = 0
        for cell in _CELL_XML.finditer(content):
            matched += 1
            attrs = dict(_ATTR_XML.findall(cell.group(1)))
            body = cell.group(2) or ""
            kind = attrs.get("t", "n")
            if kind == "inlineStr":
                if "rPh" in body:
                    body = _PHONETIC_XML.sub("", body)
                value = _xml_text("".join(_T_XML.findall(body))) or None
            else:
                found = _V_XML.search(body)
                raw = found.group(1) if found else None
                if kind == "s":
                    value = self.strings[int(raw)] if raw else None
                elif kind == "n":
                    if not raw:
                        value = None
                    else:
                        value = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
                        style = attrs.get("s")
                        if style and int(style) in self.date_styles:
                            value = self._date(value, int(style))
                else:
                    value = self._typed(kind, raw)
            reference = attrs.get("r")
            position = _column_index(reference) if reference else len(cells)
            if position < len(cells):
                raise _UnsupportedSheet(reference)
            if position > len(cells):
                cells.extend([None] * (position - len(cells)))
            cells.append(value)
        if matched != len(_CELL_START.findall(content)):
            raise _UnsupportedSheet(f"row {number}")
        return cells


def _last_row_end(text: str) -> int:
    """The index of the last character of the last complete ``</row>`` or ``<row .../>`` in ``text``."""
    end = text.rfind("</")
    while end >= 0:
        close = text.find(">", end)
        if close >= 0 and text[end + 2 : close].split(":")[-1] == "row":
            return close
        end = text.rfind("</", 0, end)
    return -1


class SheetReader:
    """Rows of the first sheet of an XLSX file or of a CSV file, 1-based numbers."""

    def __init__(self, path: Path, *, fast: bool = True):
        self.path = Path(path)
        self.workbook = None
        self.fast = fast
        self._estimated_rows = 0
        self._fast_sheet = None

    @property
    def estimated_rows(self) -> int:
        if self._fast_sheet is not None:
            return self._fast_sheet.estimated_rows
        return self._estimated_rows

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.workbook is not None:
            self.workbook.close()

    def rows(self) -> Iterator[tuple[int, list]]:
        if is_xlsx(self.path):
            return self._xlsx_rows()
        return self._csv_rows()

    def _xlsx_rows(self):
        from openpyxl import load_workbook

        try:
            # read_only streams the sheet: memory stays flat at 100,000 rows.
            self.workbook = load_workbook(self.path, read_only=True, data_only=True)
        except Exception:
            raise ImportFileError(_("The file could not be read as an Excel workbook.")) from None
        if self.fast:
            self._fast_sheet = _FastSheet(self.workbook)
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


def _ascii_digits(text: str) -> str:
    """Arabic-Indic digits as ASCII ones (an ASCII text has none: ``translate`` is skipped)."""
    return text if text.isascii() else text.translate(_DIGITS)


def parse_datetime_cell(value) -> datetime | None:
    """ISO 8601 or dd/mm/yyyy [HH:MM]; Asia/Riyadh unless an offset is given; Excel cells too."""
    if value == "" or value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        text = _ascii_digits(str(value)).strip()
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
    text = _ascii_digits(str(value)).strip()
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

    def load(self, department_keys: set, licences: set) -> None:
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
        missing = {licence for licence in licences if licence not in self.physicians}
        if missing:
            found = Physician.objects.filter(license_number__in=missing).values_list(
                "license_number", "pk", "hospital_id"
            )
            for licence, pk, hospital_id in found:
                self.physicians[licence] = (pk, hospital_id)
            for licence in missing:
                self.physicians.setdefault(licence, None)


# --- the check pass --------------------------------------------------------------


class _Checker:
    def __init__(self, user, progress: Callable | None, *, fast_xlsx: bool = True):
        self.fast_xlsx = fast_xlsx
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
        with SheetReader(path, fast=self.fast_xlsx) as reader:
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
        department_keys, licences = set(), set()
        for _row, _cells, values in parsed:
            hospital_id = self.refs.hospitals.get(str(values["hospital_code"]))
            if hospital_id and values["department_code"]:
                department_keys.add((hospital_id, str(values["department_code"])))
            if values["physician_license"]:
                licences.add(str(values["physician_license"]))
        self.refs.load(department_keys, licences)
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

        national_id = _ascii_digits(_text(values["patient_national_id"]))
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
        licence = _text(values["physician_license"])
        if licence:
            found = self.refs.physicians.get(licence)
            if found is None:
                fail("physician_license", _("Unknown physician licence “%(licence)s”.") % {"licence": licence})
            elif hospital_id and found[1] != hospital_id:
                fail(
                    "physician_license",
                    _("Physician “%(licence)s” does not belong to hospital “%(hospital)s”.")
                    % {"licence": licence, "hospital": code},
                )
            else:
                physician_id = found[0]

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
                elif _patient_changes(stored, plan.patients[key]):
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


class _EqualsAny(Lookup):
    """``column = ANY(%s)`` with the values as one array parameter (PostgreSQL).

    ``__in`` with 2,000 values makes 2,000 placeholders, which Django compiles
    and psycopg re-parses client-side on every look-up; one array does not.
    """

    lookup_name = "px360_equals_any"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]

    def get_prep_lookup(self):
        return self.rhs


def _keys_q(keys, field_name: str) -> Q:
    grouped: dict = {}
    for hospital_id, value in keys:
        grouped.setdefault(hospital_id, set()).add(value)
    query = Q(pk__in=[])
    for hospital_id, values in grouped.items():
        if connection.vendor == "postgresql":
            query |= Q(_EqualsAny(F(field_name), sorted(values)), hospital_id=hospital_id)
        else:
            query |= Q(hospital_id=hospital_id, **{f"{field_name}__in": values})
    return query


def _existing_encounter_values(chunk) -> dict:
    from .models import Encounter

    keys = {(row[1], row[2]) for row in chunk}
    rows = Encounter.all_objects.filter(_keys_q(keys, "encounter_number")).values_list(
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
    return {(row[0], row[1]): row[2:] for row in rows}


def _existing_patients(keys):
    return Patient.all_objects.filter(_keys_q(keys, "mrn"))


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


def _patient_changes(stored: Patient, values: tuple) -> list[str]:
    changed = []
    for name, value in zip(PATIENT_FIELDS, values, strict=True):
        # An empty cell never erases what is stored.
        if value in ("", None):
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
    rejected_raw: dict = {}
    checker = _Checker(user, progress)
    try:
        plan = checker.run(Path(path), rejected_raw)
    except _UnsupportedSheet:
        # An XLSX sheet the fast reader does not understand: start again with openpyxl.
        rejected_raw = {}
        checker = _Checker(user, progress, fast_xlsx=False)
        plan = checker.run(Path(path), rejected_raw)
    return plan, rejected_raw, checker.row_errors


# --- plan storage -------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), data, hashlib.sha256).hexdigest()


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
        rows = table.model.all_objects.filter(_keys_q(keys, key_field)).values_list(*table.attnames)
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
    p_fields = [(position, p[name]) for position, name in enumerate(PATIENT_FIELDS)]
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
