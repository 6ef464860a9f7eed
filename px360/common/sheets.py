"""Reading the first sheet of an XLSX workbook fast, in this process or in a separate one.

No Django here: :class:`ReadAhead` runs this module as its own Python process
(``python -m px360.common.sheets FILE``), which reads the sheet and streams
its rows back in batches while the caller (the encounter import) checks the rows already received.
Reading is about half of the check pass's time on a large file, and the two
halves then run on two cores instead of one.

:class:`FastSheet` reads the sheet XML with regular expressions (openpyxl
still opens the workbook for the shared strings, the date styles and the
epoch): about five times faster than openpyxl's read-only cell objects. A
sheet it does not understand raises :class:`UnsupportedSheet`, and the caller
reads the file again with openpyxl. Whatever goes wrong in the separate
process (it cannot start, it dies, it sends something unexpected) raises
:class:`ReadAheadFailed`, and the caller reads the file in its own process.
"""

from __future__ import annotations

import contextlib
import pickle
import re
import subprocess
import sys
import traceback
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

# Rows per message from the reading process.
READ_AHEAD_BATCH = 2000


def is_xlsx(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


class UnsupportedSheet(Exception):
    """The sheet's XML is not in the shape the fast reader understands; read it with openpyxl."""


# The fast XLSX reader (see FastSheet) matches the sheet's XML with these.
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


class FastSheet:
    """The first sheet's rows, read with regular expressions over its XML.

    Why: openpyxl's read-only reader builds several Python objects per cell
    (an inline string alone goes through its descriptor machinery) and spent
    most of the import's time on a 100,000-row file. The sheet XML of a
    workbook is a flat, regular list of ``<row>``/``<c>`` elements, so the
    values are matched directly; openpyxl still opens the workbook and supplies
    the shared strings, the date styles and the date epoch. Cell values are the
    ones openpyxl's ``values_only`` gives (strings, ints, floats, booleans,
    datetimes for date-formatted numbers). Anything it does not expect (a cell
    the expressions do not account for) raises :class:`UnsupportedSheet`, and
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
                    raise UnsupportedSheet(column)
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
        raise UnsupportedSheet(kind)

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
                raise UnsupportedSheet(reference)
            if position > len(cells):
                cells.extend([None] * (position - len(cells)))
            cells.append(value)
        if matched != len(_CELL_START.findall(content)):
            raise UnsupportedSheet(f"row {number}")
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


class ReadAheadFailed(Exception):
    """The separate reading process could not deliver the rows."""


class WorkbookUnreadable(Exception):
    """The file is not an XLSX workbook openpyxl can open."""


class ReadAhead:
    """The first sheet's rows, read by :class:`FastSheet` in a separate process.

    Use as a context manager: leaving it stops the process if the caller did
    not read to the end (a missing header, a database error in the caller).
    ``estimated_rows`` is known once the first batch has arrived;
    ``peak_kb`` is the reading process's peak memory once every row is read.
    """

    def __init__(self, path: Path, *, cwd: Path):
        self.path = Path(path)
        self.cwd = Path(cwd)
        self.estimated_rows = 0
        self.peak_kb = 0
        self.process: subprocess.Popen | None = None
        self._finished = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def rows(self) -> Iterator[tuple[int, list]]:
        executable = python_executable()
        if executable is None:
            raise ReadAheadFailed(f"no Python interpreter to run the reader with ({sys.executable!r})")
        try:
            self.process = subprocess.Popen(
                [executable, "-m", __name__, str(self.path.resolve())],
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as error:
            raise ReadAheadFailed(f"could not start {executable}: {error}") from None
        source = self.process.stdout
        _grow_pipe(source)
        while True:
            try:
                message = pickle.load(source)
            except EOFError:
                code = self.process.wait()
                raise ReadAheadFailed(f"the reading process ended early (exit code {code})") from None
            except (pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError) as error:
                raise ReadAheadFailed(f"unreadable message from the reading process: {error!r}") from None
            kind = message[0]
            if kind == "rows":
                self.estimated_rows = message[1]
                yield from message[2]
            elif kind == "end":
                self.peak_kb = message[1]
                self._finished = True
                return
            elif kind == "unsupported":
                raise UnsupportedSheet(message[1])
            elif kind == "unreadable":
                raise WorkbookUnreadable()
            else:
                raise ReadAheadFailed(str(message[1:])[:2000])

    def close(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if self._finished:
            with contextlib.suppress(subprocess.TimeoutExpired):  # it has sent everything and is exiting
                process.wait(timeout=5)
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()


def python_executable() -> str | None:
    """The Python interpreter to run the reading process with, or None.

    Under an embedding server (uWSGI, mod_wsgi) ``sys.executable`` is the
    server's own binary, not a Python to run ``-m`` with.
    """
    executable = sys.executable or ""
    return executable if Path(executable).name.lower().startswith("python") else None


def _grow_pipe(pipe) -> None:
    """Let the reading process run a batch ahead: a 1 MiB pipe instead of 64 KiB (Linux)."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


def _peak_kb() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def serve(path: str, out) -> None:
    """The reading process: stream the sheet's rows to ``out`` as pickled batches."""

    def send(message) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception:
            send(("unreadable",))
            return
        try:
            sheet = FastSheet(workbook)
            batch: list = []
            for row in sheet.rows():
                batch.append(row)
                if len(batch) >= READ_AHEAD_BATCH:
                    send(("rows", sheet.estimated_rows, batch))
                    batch = []
            send(("rows", sheet.estimated_rows, batch))
        finally:
            workbook.close()
        send(("end", _peak_kb()))
    except BrokenPipeError:
        return  # the importer stopped reading
    except UnsupportedSheet as error:
        send(("unsupported", str(error)))
    except Exception:
        send(("failed", traceback.format_exc()))


if __name__ == "__main__":
    serve(sys.argv[1], sys.stdout.buffer)
