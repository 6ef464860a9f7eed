"""What the import tells people: its problems worded, the rejected-rows file, the sample of changes.

A problem is stored as ``[row, column, code, params]`` and worded only when it
is read (the import page, the command line, the rejected-rows file), in the
reader's language: a check run by an Arabic-speaking user reads in English on
an English page. Parameters are the values from the file (and row numbers);
the wording's fixed parts (date formats) are filled in when it is worded.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from px360.core.resources import neutralise_formula
from px360.organizations.models import Patient

from .columns import COLUMN_ORDER, HEADER_SEARCH_ROWS, REQUIRED_HEADERS, cell_text, cell_value
from .records import Plan, Problem, WordedProblem

# --- problems --------------------------------------------------------------------


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


def stored_problem(entry) -> Problem:
    """A stored problem (a ``[row, column, code, params]`` list), whether stored with a code or as text."""
    if len(entry) >= 4:
        row, column, code, params = entry[:4]
        return Problem(row, column, str(code), params if isinstance(params, dict) else {})
    row, column, text = [*entry, "", "", ""][:3]
    return Problem(row, column, LEGACY_PROBLEM, {"text": text})


def problem_order(problem) -> tuple:
    """Sort key of a problem (stored list or :class:`Problem`): by row, then column in file order."""
    row, column = problem[0], problem[1]
    return (row if isinstance(row, int) else 0, COLUMN_ORDER.get(column, len(COLUMN_ORDER)), str(column))


def worded_problems(entries: Iterable, *, html: bool = False) -> list[WordedProblem]:
    """Stored problems worded in the active language, by row then column (file order)."""
    word = problem_html if html else problem_text
    problems = sorted((stored_problem(entry) for entry in entries), key=problem_order)
    return [WordedProblem(problem.row, problem.column, word(problem.code, problem.params)) for problem in problems]


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
            cells = [
                cell_text(cell_value(cell)) if not isinstance(cell, str) else cell for cell in rejected_raw[row_number]
            ]
            cells = (cells + [""] * width)[:width]
            problems = sorted(all_errors.get(row_number, []), key=problem_order)
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
            f"{problem.column}: {problem.text}"
            for problem in worded_problems([[0, *entry] for entry in problems if isinstance(entry, list)])
        )
        yield [*cells[:-1], neutralise_formula(reasons)]


# --- the summary ----------------------------------------------------------------------
#
# The counts (``plan.counts``) and a sample of the changes are stored on the job
# and shown on its page; the sample holds no patient names or identifiers.

SAMPLE_SIZE = 20


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def sample_entry(row, action: str, changes: dict, hospital_codes: dict) -> dict:
    """One line of the sample: the row, its visit, new or updated, and what would change (no patient data)."""
    return {
        "row": row.row,
        "hospital": hospital_codes.get(row.hospital_id, ""),
        "encounter_number": row.number,
        "action": action,
        "changes": [
            [name, _display(old), _display(new)]
            for name, (old, new) in changes.items()
            if name not in ("department", "attending_physician")
        ]
        + [[name, "", ""] for name in changes if name in ("department", "attending_physician")],
    }


def chosen_sample(sample: list[dict]) -> list[dict]:
    """The sample shown: updates first (new rows first would hide them, and they are what people check)."""
    updated = [entry for entry in sample if entry["action"] == "updated"]
    new = [entry for entry in sample if entry["action"] == "new"]
    return updated[:SAMPLE_SIZE] + new[: max(SAMPLE_SIZE // 2, SAMPLE_SIZE - len(updated))]
