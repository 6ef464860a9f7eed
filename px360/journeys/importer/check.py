"""Checking the rows of an encounter file: every problem of every row, recorded as codes.

Each row is checked whole (every problem of a row is listed, not only the
first), with the patient rules every source shares
(:class:`px360.organizations.services.PatientRules`), which clean each distinct
value once: a patient's phone number or national ID repeated over their visits
costs one check. Codes are resolved against :class:`.plan.References`, loaded
per chunk of rows before the chunk is checked, so checking a row runs no query.
A row that passes becomes an :class:`.records.EncounterRow` (and its patient's
:class:`.records.PatientValues`) in the plan; a problem is stored as
``[row, column, code, params]`` and worded when read (:mod:`.report`).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.utils import timezone

from px360.core.access import hospital_ids_for
from px360.core.masking import is_masked_value
from px360.core.validators import ascii_digits
from px360.organizations.services import PatientRules

from ..choices import EncounterType
from .columns import PATIENT_COLUMNS, cell_text
from .records import EncounterRow, PatientValues, Plan

# Problems stored on the job (the rejected-rows file has them all).
MAX_STORED_ERRORS = 1000

RIYADH = zoneinfo.ZoneInfo("Asia/Riyadh")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TYPES = {choice.value: choice.value for choice in EncounterType}


class CellError(Exception):
    """A cell that cannot be read: a problem code (see ``report.PROBLEMS``) and its parameters."""

    def __init__(self, problem: str, **params):
        super().__init__(problem)
        self.code = problem
        self.params = params


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


class Checker:
    """Checks the file's rows one by one and fills ``plan``.

    ``references``: the hospitals, departments and physicians by code, loaded
    for a chunk before its rows are checked (:class:`.plan.References`).
    Besides the plan, it keeps every problem per rejected row
    (:attr:`row_errors`, for the rejected-rows file) and the rows rejected after
    they were read (:attr:`late_rejects`: the first of two rows that give the
    same visit different values).
    """

    def __init__(self, *, user, references, plan: Plan):
        self.allowed = hospital_ids_for(user)
        self.refs = references
        self.plan = plan
        # (hospital_id, number) -> (index in plan.encounters or None once rejected, row number)
        self.seen: dict = {}
        self.row_errors: dict = {}
        self.late_rejects: set = set()
        self.today = timezone.localdate()
        self.patient_rules = PatientRules(today=self.today)

    def error(self, row_number: int, column: str, problem: str, **params) -> None:
        """Record a problem as a code and its parameters (worded when read, see ``report.PROBLEMS``)."""
        self.plan.error_count += 1
        self.row_errors.setdefault(row_number, []).append([row_number, column, problem, params])
        if len(self.plan.errors) < MAX_STORED_ERRORS:
            self.plan.errors.append([row_number, column, problem, params])

    def check(self, row: int, values: dict) -> bool:
        """Check one row (its cells by column name); true when it is kept in the plan."""
        ok = True

        def fail(column, problem, **params):
            nonlocal ok
            ok = False
            self.error(row, column, problem, **params)

        code = cell_text(values["hospital_code"])
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

        number = cell_text(values["encounter_number"])
        if not number:
            fail("encounter_number", "number_missing")
        elif len(number) > 40:
            fail("encounter_number", "number_too_long")

        raw_type = cell_text(values["encounter_type"]).upper()
        encounter_type = _TYPES.get(raw_type)
        if encounter_type is None:
            fail("encounter_type", "type_unknown", value=raw_type)

        mrn = cell_text(values["patient_mrn"])
        if not mrn:
            fail("patient_mrn", "mrn_missing")
        elif len(mrn) > 30:
            fail("patient_mrn", "mrn_too_long")

        # The patient's details: the rules every source shares, checked once per distinct value.
        raw_patient = {column: values[column] for column, _field in PATIENT_COLUMNS}
        if is_masked_value(ascii_digits(cell_text(raw_patient["patient_national_id"]))):
            # A masked ID (as this system exports it) means "as stored".
            raw_patient["patient_national_id"] = ""
        try:
            raw_patient["patient_birth_date"] = parse_date_cell(raw_patient["patient_birth_date"])
        except CellError as error:
            fail("patient_birth_date", error.code, **error.params)
            raw_patient["patient_birth_date"] = None
        patient_values = {}
        for column, field_name in PATIENT_COLUMNS:
            try:
                patient_values[field_name] = self.patient_rules.clean_field(field_name, raw_patient[column])
            except ValidationError as error:
                fail(column, _RULE_PROBLEMS.get(error.code, "value_refused"))
                patient_values[field_name] = "" if field_name != "birth_date" else None

        department_id = None
        department_code = cell_text(values["department_code"])
        if department_code and hospital_id:
            department_id = self.refs.departments.get((hospital_id, department_code))
            if department_id is None:
                fail("department_code", "department_unknown", code=department_code, hospital=code)

        physician_id = None
        licence = values["physician_license"]
        if licence:
            licence = str(cell_text(licence))
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
        encounter = EncounterRow(
            row, hospital_id, number, encounter_type, mrn, department_id, physician_id, admitted_at, discharged_at
        )
        key = (hospital_id, number)  # encounter.key, without a call per row
        previous = self.seen.get(key)
        if previous is not None:
            return self._repeated(encounter, *previous)
        self.seen[key] = (len(self.plan.encounters), row)
        self.plan.encounters.append(encounter)

        patient = PatientValues(**patient_values)
        patient_key = (hospital_id, mrn)
        earlier = self.plan.patients.get(patient_key)
        if earlier is not None:
            patient = earlier.updated_by(patient)
        self.plan.patients[patient_key] = patient
        return True

    def _repeated(self, encounter: EncounterRow, index: int | None, first_row: int) -> bool:
        """A visit an earlier row gave already: harmless with the same values, else neither row is kept."""
        row, number = encounter.row, encounter.number
        if index is not None and not self.plan.encounters[index].same_values(encounter):
            self.error(row, "encounter_number", "duplicate_encounter", number=number, row=first_row)
            self.error(first_row, "encounter_number", "duplicate_encounter", number=number, row=row)
            # Neither row can be trusted: both are rejected.
            self.plan.encounters[index] = None
            self.plan.rejected_rows.add(first_row)
            self.late_rejects.add(first_row)
            self.seen[encounter.key] = (None, first_row)
            return False
        if index is None:
            self.error(row, "encounter_number", "duplicate_encounter", number=number, row=first_row)
            return False
        # The same row twice: harmless, counted as unchanged.
        self.plan.counts["duplicates"] = self.plan.counts.get("duplicates", 0) + 1
        return True
