"""File writers for list exports: XLSX in constant memory, CSV for Excel.

Both take rows one at a time (lists of typed cells, see
:mod:`px360.core.exports.columns`) and never hold more than the current row:

- **XLSX** uses XlsxWriter's ``constant_memory`` mode, which flushes each row
  to a temporary file as soon as the next one starts. Text is written as text
  cells (inline strings), which a spreadsheet never runs as a formula, so no
  quote mark is needed or shown; numbers as numbers; dates and times as date
  cells with a readable format. The sheet is right-to-left for Arabic readers,
  its header row bold and frozen, with a filter on it.

  The data rows take a shorter road than XlsxWriter's cell API (see
  :meth:`XlsxWriter.write_row`): each row's XML is built in one string and
  appended to the worksheet's row file, exactly the XML XlsxWriter writes for
  the same cells. XlsxWriter spends about six microseconds on each cell
  (argument checks, a cell tuple, a per-cell flush test, attribute lists,
  three regular expressions), which made it four fifths of a 500,000-row
  export. A row the short road does not handle (a value of another type, an
  over-long text, a date before March 1900, a row past Excel's last) goes
  through the cell API as before. The road uses XlsxWriter's constant-memory
  internals (the worksheet's row file ``fh``, ``previous_row``,
  ``dim_rowmax``, ``_write_single_row``, ``Format._get_xf_index``; the
  version is pinned in requirements.txt): ``tests/core/test_export_fast_paths.py``
  writes the same rows both ways and compares the sheets, so an upgrade that
  changes them fails there.
- **CSV** is UTF-8 with a byte-order mark (Excel reads Arabic CSV garbled
  without one). CSV has no cell types, so a text cell that a spreadsheet would
  run as a formula (``= + - @``, tab, carriage return) gets a leading
  apostrophe (OWASP's advice); numbers and dates are written plainly.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import math
import re

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from px360.core.resources import neutralise_formula

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

# Text that may need more than wrapping in <t> (see _inline_text): XML's three
# special characters, control characters, an underscore (Excel's "_xHHHH_"
# escapes); edge whitespace is checked apart (one character class is searched
# about three times as fast as alternatives).
_TEXT_SPECIAL = re.compile(r"[&<>_\x00-\x08\x0b-\x1f\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL_CHARACTER = re.compile(r"([\x00-\x08\x0b-\x1f])")
_EDGE_WHITESPACE = re.compile(r"^\s|\s$")
# Longer text may pass Excel's limit of 32,767 UTF-16 units: XlsxWriter truncates it.
_LONG_TEXT = 16_383
# Excel's serial dates count from 1899-12-31 and believe 1900 was a leap year:
# from 1900-03-01 on, a serial is the day count plus one.
_EXCEL_EPOCH = datetime.datetime(1899, 12, 31)
_EXCEL_EPOCH_ORDINAL = _EXCEL_EPOCH.toordinal()
_EXCEL_ROWS = 1_048_576
# Rows built are appended to the worksheet's file this many at a time.
_ROWS_PER_WRITE = 500


def sheet_title(text: str) -> str:
    """A worksheet name Excel accepts: no ``[]:*?/\\``, no edge apostrophes, at most 31 characters."""
    title = _SHEET_FORBIDDEN.sub(" ", str(text)).strip().strip("'").strip()
    return (title or "Sheet1")[:31]


class XlsxWriter:
    """One worksheet written row by row (XlsxWriter ``constant_memory``)."""

    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def __init__(self, path, *, sheet_name: str, right_to_left: bool = False, tmpdir: str | None = None):
        options = {
            "constant_memory": True,
            # write() is never used, but say it: text is text, whatever it looks like.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        }
        if tmpdir:
            options["tmpdir"] = tmpdir
        self.workbook = xlsxwriter.Workbook(str(path), options)
        self.sheet = self.workbook.add_worksheet(sheet_title(sheet_name))
        if right_to_left:
            self.sheet.right_to_left()
        self.right_to_left = right_to_left
        self._header = self.workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self._date = self.workbook.add_format({"num_format": DATE_FORMAT})
        self._datetime = self.workbook.add_format({"num_format": DATETIME_FORMAT})
        self._formats: dict[str, object] = {}
        self.row = 0
        self.width = 0
        self._fast = False
        self._rows: list[str] = []
        self._last_row = 0

    def header(self, headers: list[str], *, widths: list[float] | None = None, number_formats=None) -> None:
        self.width = len(headers)
        cell_formats = [None] * self.width
        for index, width in enumerate(widths or []):
            number_format = (number_formats or [None] * len(headers))[index]
            cell_format = None
            if number_format:
                cell_format = self._formats.setdefault(
                    number_format, self.workbook.add_format({"num_format": number_format})
                )
                cell_formats[index] = cell_format
            self.sheet.set_column(index, index, max(width, 8), cell_format)
        for index, text in enumerate(headers):
            self.sheet.write_string(0, index, str(text), self._header)
        self.sheet.freeze_panes(1, 0)
        self.row = 1
        self._prepare_rows(cell_formats)

    def write_row(self, cells) -> None:
        """Write one row of typed cells (see :mod:`.columns`); ``None`` and ``""`` leave a cell empty.

        The row's XML is built here and appended to the worksheet's row file
        (the same XML XlsxWriter writes, see the module docstring); a row this
        cannot write goes through XlsxWriter's cell API.
        """
        row = self.row
        if type(cells) is not list:
            cells = list(cells)
        xml = self._row_xml(row, cells) if self._fast and len(cells) <= self.width and row < _EXCEL_ROWS else None
        if xml is None:
            self._flush_rows()
            self._write_cells(row, cells)
        elif xml:
            self._rows.append(xml)
            self._last_row = row
            if len(self._rows) >= _ROWS_PER_WRITE:
                self._flush_rows()
        self.row = row + 1

    def _flush_rows(self) -> None:
        """Append the rows built so far to the worksheet's row file, as XlsxWriter's own rows."""
        if not self._rows:
            return
        sheet = self.sheet
        if sheet.table:
            # A row written through the cell API is waiting: XlsxWriter writes it first.
            sheet._write_single_row(self._last_row)
        sheet.previous_row = self._last_row
        sheet.dim_rowmax = self._last_row
        sheet.fh.write("".join(self._rows))
        self._rows.clear()

    def _prepare_rows(self, cell_formats) -> None:
        """What :meth:`_row_xml` needs: cell names and style attributes, fixed for the sheet."""
        sheet = self.sheet
        self._fast = bool(
            self.width
            and sheet.constant_memory
            and not sheet.date_1904
            and not sheet.row_info
            and sheet.default_row_height == sheet.original_row_height
        )
        self._refs = [f'<c r="{xl_col_to_name(index)}' for index in range(self.width)]
        # A cell without a format of its own takes its column's (XlsxWriter's rule).
        self._styles = [
            f' s="{cell_format._get_xf_index()}"' if cell_format is not None else "" for cell_format in cell_formats
        ]
        self._date_style = f' s="{self._date._get_xf_index()}"'
        self._datetime_style = f' s="{self._datetime._get_xf_index()}"'

    def _row_xml(self, row: int, cells: list) -> str | None:
        """The ``<row>`` element of ``cells``, as XlsxWriter writes it; ``""`` if all are empty, ``None`` if one
        needs XlsxWriter's cell API."""
        number = str(row + 1)
        refs = self._refs
        styles = self._styles
        special = _TEXT_SPECIAL.search
        parts = []
        append = parts.append
        for index, value in enumerate(cells):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if not value:
                    continue
                if len(value) > _LONG_TEXT:
                    return None
                if value.isalnum() or (special(value) is None and not value[0].isspace() and not value[-1].isspace()):
                    append(f'{refs[index]}{number}"{styles[index]} t="inlineStr"><is><t>{value}</t></is></c>')
                else:
                    append(f'{refs[index]}{number}"{styles[index]} t="inlineStr"><is>{_inline_text(value)}</is></c>')
            elif kind is datetime.datetime:
                if value.tzinfo is not None:
                    return None
                delta = value - _EXCEL_EPOCH
                if delta.days <= 60:
                    return None
                serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
                serial += 1
                append(f'{refs[index]}{number}"{self._datetime_style}><v>{serial:.16G}</v></c>')
            elif kind is int:
                append(f'{refs[index]}{number}"{styles[index]}><v>{value:.16G}</v></c>')
            elif kind is decimal.Decimal or kind is float:
                value = float(value)
                if not math.isfinite(value):
                    return None
                append(f'{refs[index]}{number}"{styles[index]}><v>{value:.16G}</v></c>')
            elif kind is datetime.date:
                days = value.toordinal() - _EXCEL_EPOCH_ORDINAL
                if days <= 60:
                    return None
                append(f'{refs[index]}{number}"{self._date_style}><v>{float(days) + 1:.16G}</v></c>')
            elif kind is bool:
                append(f'{refs[index]}{number}"{styles[index]} t="b"><v>{int(value)}</v></c>')
            else:
                return None
        if not parts:
            return ""
        return f'<row r="{number}">{"".join(parts)}</row>'

    def _write_cells(self, row: int, cells) -> None:
        """One row through XlsxWriter's cell API."""
        sheet = self.sheet
        for index, value in enumerate(cells):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if value:
                    sheet.write_string(row, index, value)
            elif kind is int or kind is float:
                sheet.write_number(row, index, value)
            elif kind is decimal.Decimal:
                sheet.write_number(row, index, float(value))
            elif kind is datetime.datetime:
                sheet.write_datetime(row, index, value, self._datetime)
            elif kind is datetime.date:
                sheet.write_datetime(row, index, value, self._date)
            elif kind is bool:
                sheet.write_boolean(row, index, value)
            else:
                sheet.write_string(row, index, str(value))

    def details_sheet(self, title: str, pairs: list[tuple[str, object]]) -> None:
        """A second sheet saying what the export is (written after the rows, as constant memory requires)."""
        self._flush_rows()
        sheet = self.workbook.add_worksheet(sheet_title(title))
        if self.right_to_left:
            sheet.right_to_left()
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 1, 60)
        for index, (label, value) in enumerate(pairs):
            sheet.write_string(index, 0, str(label), self._header)
            if isinstance(value, datetime.datetime):
                sheet.write_datetime(index, 1, value, self._datetime)
            elif isinstance(value, int | float):
                sheet.write_number(index, 1, value)
            else:
                sheet.write_string(index, 1, str(value))

    def close(self) -> None:
        self._flush_rows()
        if self.width and self.row > 1:
            self.sheet.autofilter(0, 0, self.row - 1, self.width - 1)
        self.workbook.close()


class CsvWriter:
    """Rows to a UTF-8 CSV with a byte-order mark; text that looks like a formula is guarded."""

    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def __init__(self, path, **_options):
        self.handle = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed in close()
        self.writer = csv.writer(self.handle)
        self.row = 0

    def header(self, headers: list[str], **_options) -> None:
        self.writer.writerow([neutralise_formula(str(text)) for text in headers])
        self.row = 1

    def write_row(self, cells) -> None:
        self.writer.writerow([_csv_text(value) for value in cells])
        self.row += 1

    def details_sheet(self, title, pairs) -> None:
        """CSV has one table: the details are not written."""

    def close(self) -> None:
        self.handle.close()


def _inline_text(value: str) -> str:
    """The ``<t>`` element of an inline string, escaped as XlsxWriter escapes it.

    Control characters become ``_xHHHH_`` (and a literal ``_xHHHH_`` is
    escaped in turn), edge whitespace is preserved, ``& < >`` are entities.
    Unlike XlsxWriter's inline strings, a text shaped like rich-text XML
    (``<r>…</r>``) is escaped as well: it is the reader's text, not markup.
    """
    text = _EXCEL_ESCAPE.sub(r"_x005F\1", value)
    text = _CONTROL_CHARACTER.sub(lambda match: f"_x{ord(match.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = ' xml:space="preserve"' if _EDGE_WHITESPACE.search(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<t{preserve}>{text}</t>"


def _csv_text(value) -> str:
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return neutralise_formula(value)
    if kind is datetime.datetime:
        return value.strftime("%Y-%m-%d %H:%M")
    if kind is datetime.date:
        return value.isoformat()
    return str(value)


WRITERS = {"xlsx": XlsxWriter, "csv": CsvWriter}
