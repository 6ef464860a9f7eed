"""The HIS encounter file import: read, check every row, plan, then upsert in bulk.

Two passes, as pretix does it, along these modules:

- :mod:`.read`: the file's rows (XLSX through :mod:`px360.common.sheets`, or
  CSV) and its header row;
- :mod:`.check`: every row checked whole, the patient rules applied once per
  distinct value, every problem recorded as a code and its parameters;
- :mod:`.plan`: references (hospital, department, physician codes) resolved a
  chunk at a time, each valid row classified as new, updated or unchanged
  against the database, and the plan stored for the confirm step. Nothing is
  written until then;
- :mod:`.write`: patients then encounters, one history row per created or
  changed record, with the raw-SQL writer of :mod:`px360.common.fastwrite`;
  the audit event;
- :mod:`.report`: the problems worded in the reader's language, the
  rejected-rows file, the sample of changes;
- :mod:`.records`: the named records passed along (``EncounterRow``,
  ``PatientValues``, ``Plan``...); :mod:`.columns`: the column contract;
  :mod:`.template`: the file to fill in.

The jobs around these steps (upload, check, confirm, background runs) are in
:mod:`px360.journeys.services`. What the rest of the code uses is re-exported
here.
"""

from .check import MAX_STORED_ERRORS
from .columns import COLUMN_DEFINITIONS, COLUMNS, REQUIRED_HEADERS, Column
from .plan import build_plan, load_plan, plan_references_hold, save_plan
from .records import Plan
from .report import (
    PROBLEMS,
    ImportFileError,
    problem_html,
    problem_text,
    rejected_rows_for_reader,
    stored_problem,
    worded_problems,
    write_rejected_rows,
)
from .template import write_template_codes_csv, write_template_csv, write_template_xlsx
from .write import HISTORY_CHANGE_REASON, apply_plan, audit_import

__all__ = [
    "COLUMNS",
    "COLUMN_DEFINITIONS",
    "HISTORY_CHANGE_REASON",
    "MAX_STORED_ERRORS",
    "PROBLEMS",
    "REQUIRED_HEADERS",
    "Column",
    "ImportFileError",
    "Plan",
    "apply_plan",
    "audit_import",
    "build_plan",
    "load_plan",
    "plan_references_hold",
    "problem_html",
    "problem_text",
    "rejected_rows_for_reader",
    "save_plan",
    "stored_problem",
    "worded_problems",
    "write_rejected_rows",
    "write_template_codes_csv",
    "write_template_csv",
    "write_template_xlsx",
]
