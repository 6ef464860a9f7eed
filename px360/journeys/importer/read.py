"""Reading an encounter file: the rows of an XLSX workbook's first sheet or of a CSV file.

XLSX files are read by :class:`px360.common.sheets.FastSheet` (regular
expressions over the sheet XML, openpyxl for the workbook's shared strings and
styles), about five times faster than openpyxl's read-only cell objects; a sheet
it does not understand is read again with openpyxl. A large workbook is read in
a separate process (:class:`px360.common.sheets.ReadAhead`) while this one
checks the rows already read; if that process fails, the file is read here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from px360.common import sheets

from .columns import COLUMNS, HEADER_SEARCH_ROWS, REQUIRED_HEADERS, cell_value
from .report import ImportFileError


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


@dataclass(slots=True)
class Header:
    """The file's header row: where it is, its cells, and where each known column sits."""

    row: int
    cells: list[str]
    positions: dict[str, int]
    # (name, position or None) in contract order: how a row's values are picked.
    column_positions: list[tuple[str, int | None]] = field(init=False)

    def __post_init__(self):
        self.column_positions = [(name, self.positions.get(name)) for name in COLUMNS]

    def values(self, cells: list) -> dict:
        """A row's cells by column name, as the checks take them (:func:`.columns.cell_value`)."""
        # cell_value, with its common case (a string) inline: this runs for every cell of the file.
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
                values[name] = cell_value(value)
        return values


def find_header(rows: Iterator[tuple[int, list]]) -> Header:
    """The first row (within the first few) that holds every required header; ``rows`` then goes on after it."""
    for row_number, cells in rows:
        names = [str(cell).replace("\ufeff", "").strip().lower() if cell is not None else "" for cell in cells]
        if all(required in names for required in REQUIRED_HEADERS):
            positions = {}
            for position, name in enumerate(names):
                if name in COLUMNS and name not in positions:
                    positions[name] = position
            return Header(row_number, [str(cell or "").strip() for cell in cells], positions)
        if row_number >= HEADER_SEARCH_ROWS:
            break
    raise ImportFileError("no_header")
