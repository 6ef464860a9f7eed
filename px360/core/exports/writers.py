"""File writers for list exports: XLSX in constant memory, CSV for Excel.

Both take rows one at a time (lists of typed cells, see
:mod:`px360.core.exports.columns`) and never hold more than the current row:

- **XLSX** uses XlsxWriter's ``constant_memory`` mode, which flushes each row
  to a temporary file as soon as the next one starts. Text is written as text
  cells (``write_string``), which a spreadsheet never runs as a formula, so no
  quote mark is needed or shown; numbers as numbers; dates and times as date
  cells with a readable format. The sheet is right-to-left for Arabic readers,
  its header row bold and frozen, with a filter on it.
- **CSV** is UTF-8 with a byte-order mark (Excel reads Arabic CSV garbled
  without one). CSV has no cell types, so a text cell that a spreadsheet would
  run as a formula (``= + - @``, tab, carriage return) gets a leading
  apostrophe (OWASP's advice); numbers and dates are written plainly.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import re

import xlsxwriter

from px360.core.resources import neutralise_formula

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


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

    def header(self, headers: list[str], *, widths: list[float] | None = None, number_formats=None) -> None:
        self.width = len(headers)
        for index, width in enumerate(widths or []):
            number_format = (number_formats or [None] * len(headers))[index]
            cell_format = None
            if number_format:
                cell_format = self._formats.setdefault(
                    number_format, self.workbook.add_format({"num_format": number_format})
                )
            self.sheet.set_column(index, index, max(width, 8), cell_format)
        for index, text in enumerate(headers):
            self.sheet.write_string(0, index, str(text), self._header)
        self.sheet.freeze_panes(1, 0)
        self.row = 1

    def write_row(self, cells) -> None:
        row = self.row
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
        self.row = row + 1

    def details_sheet(self, title: str, pairs: list[tuple[str, object]]) -> None:
        """A second sheet saying what the export is (written after the rows, as constant memory requires)."""
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
