"""The check step's whole pass: read the file, check every row, resolve references, classify.

:func:`build_plan` reads the file (streaming, :mod:`.read`), checks every row
(:mod:`.check`) and collects every problem; it resolves codes with a constant
number of queries per chunk of rows (:class:`References`) and classifies each
valid row as new, updated or unchanged against the database. Nothing is
written. The result (a :class:`.records.Plan`) is pickled next to the upload,
signed with an HMAC (:func:`save_plan`), so the confirm step reuses it instead
of reading the file again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import pickle
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.db.models.lookups import Lookup

from px360.common import sheets
from px360.core.access import hospital_ids_for
from px360.core.masking import masked_fields, sees_full_identifiers
from px360.organizations.models import Department, Hospital, Patient, Physician

from ..choices import EncounterStatus
from .check import Checker
from .columns import cell_text
from .read import Header, SheetReader, find_header
from .records import PATIENT_FIELDS, STORED_ENCOUNTER_COLUMNS, EncounterRow, PatientValues, Plan, StoredEncounter
from .report import SAMPLE_SIZE, chosen_sample, problem_order, sample_entry

# Rows per chunk: references are resolved, stored rows looked up and rows written a chunk at a time.
CHUNK_ROWS = 2000

logger = logging.getLogger(__name__)


# --- references ------------------------------------------------------------------


class References:
    """Hospitals, departments and physicians by code, looked up per chunk with ``__in``."""

    def __init__(self):
        self.hospitals = dict(Hospital.objects.values_list("code", "pk"))
        self.hospital_codes = {pk: code for code, pk in self.hospitals.items()}
        self.departments: dict = {}
        self.physicians: dict = {}

    def load_for(self, rows_values) -> None:
        """Look up the departments and physicians the rows name (cells by column name) that are not known yet."""
        department_keys, physician_keys = set(), set()
        for values in rows_values:
            hospital_id = self.hospitals.get(str(values["hospital_code"]))
            if hospital_id and values["department_code"]:
                department_keys.add((hospital_id, str(values["department_code"])))
            if hospital_id and values["physician_license"]:
                physician_keys.add((hospital_id, str(cell_text(values["physician_license"]))))
        self.load(department_keys, physician_keys)

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


# --- stored rows -------------------------------------------------------------------


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


def keys_q(keys, field_name: str) -> Q:
    """Rows whose ``(hospital_id, field_name)`` is one of ``keys``."""
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


def _stored_encounters(chunk: list[EncounterRow]) -> dict[tuple, StoredEncounter]:
    from ..models import Encounter

    rows = (
        Encounter.all_objects.filter(keys_q({row.key for row in chunk}, "encounter_number"))
        .order_by()
        .values_list("hospital_id", "encounter_number", *STORED_ENCOUNTER_COLUMNS)
    )
    return {(row[0], row[1]): StoredEncounter._make(row[2:]) for row in rows}


def _stored_patients(keys):
    return Patient.all_objects.filter(keys_q(keys, "mrn")).order_by()


def status_for(discharged_at, stored_status=None) -> str:
    """An encounter's status: discharged once it has a discharge time; a cancelled one stays cancelled."""
    if stored_status == EncounterStatus.CANCELLED:
        return stored_status
    return EncounterStatus.DISCHARGED if discharged_at else EncounterStatus.ACTIVE


def _encounter_changes(row: EncounterRow, stored: StoredEncounter) -> dict:
    """Changes a row would make to a stored encounter: ``{name: (old, new)}``."""
    # An empty department, physician or discharge cell keeps what is stored.
    department_id = row.department_id if row.department_id is not None else stored.department_id
    physician_id = row.physician_id if row.physician_id is not None else stored.attending_physician_id
    discharged_at = row.discharged_at if row.discharged_at is not None else stored.discharged_at
    status = status_for(discharged_at, stored.status)
    changes = {}
    for name, old, new in (
        ("encounter_type", stored.encounter_type, row.encounter_type),
        ("patient_mrn", stored.patient_mrn, row.mrn),
        ("department", stored.department_id, department_id),
        ("attending_physician", stored.attending_physician_id, physician_id),
        ("admitted_at", stored.admitted_at, row.admitted_at),
        ("discharged_at", stored.discharged_at, discharged_at),
        ("status", stored.status, status),
    ):
        if old != new:
            changes[name] = (old, new)
    return changes


def read_only_patient_fields(user) -> tuple[str, ...]:
    """Patient fields whose cells fill a new patient but never change a stored one for ``user``.

    Masked fields are read-only to whom they are masked, in imports as on screen.
    """
    return () if sees_full_identifiers(user) else masked_fields(Patient)


def _patient_changes(stored: Patient, values: PatientValues, read_only: tuple = ()) -> list[str]:
    changed = []
    for name, value in zip(PATIENT_FIELDS, values, strict=True):
        # An empty cell never erases what is stored.
        if value in ("", None) or name in read_only:
            continue
        if getattr(stored, name) != value:
            changed.append(name)
    return changed


def classify(plan: Plan, user) -> None:
    """Count the plan's encounters and patients as new, updated or unchanged; pick the sample of changes."""
    # Rows of a rejected duplicate pair were put in place as None.
    plan.encounters = [row for row in plan.encounters if row is not None]
    counts = {"new": 0, "updated": 0, "unchanged": plan.counts.get("duplicates", 0)}
    counts["rejected"] = len(plan.rejected_rows)
    read_only = read_only_patient_fields(user)
    sample = []
    for start in range(0, len(plan.encounters), CHUNK_ROWS):
        chunk = plan.encounters[start : start + CHUNK_ROWS]
        existing = _stored_encounters(chunk)
        for row in chunk:
            stored = existing.get(row.key)
            if stored is None:
                counts["new"] += 1
                if len(sample) < SAMPLE_SIZE:
                    sample.append(sample_entry(row, "new", {}, plan.hospital_codes))
                continue
            changes = _encounter_changes(row, stored)
            if changes:
                counts["updated"] += 1
                if len(sample) < SAMPLE_SIZE * 2:
                    sample.append(sample_entry(row, "updated", changes, plan.hospital_codes))
            else:
                counts["unchanged"] += 1
    # Patients (their own counts, shown next to the encounters').
    patient_counts = {"new": 0, "updated": 0, "unchanged": 0}
    keys = list(plan.patients)
    for start in range(0, len(keys), CHUNK_ROWS):
        chunk_keys = keys[start : start + CHUNK_ROWS]
        existing = {(p.hospital_id, p.mrn): p for p in _stored_patients(chunk_keys)}
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
    plan.sample = chosen_sample(sample)


# --- the pass ------------------------------------------------------------------------


def _check_chunk(chunk: list, header: Header, checker: Checker, rejected_raw: dict) -> None:
    parsed = [(row_number, cells, header.values(cells)) for row_number, cells in chunk]
    checker.refs.load_for(values for _row, _cells, values in parsed)
    for row_number, cells, values in parsed:
        if not checker.check(row_number, values):
            checker.plan.rejected_rows.add(row_number)
            rejected_raw[row_number] = cells


def _check_file(path: Path, user, progress: Callable, *, fast_xlsx: bool, read_ahead: bool = False):
    references = References()
    plan = Plan(hospital_codes=references.hospital_codes)
    checker = Checker(user=user, references=references, plan=plan)
    rejected_raw: dict = {}
    with SheetReader(path, fast=fast_xlsx, read_ahead=read_ahead) as reader:
        rows = reader.rows()
        header = find_header(rows)
        plan.header = header.cells
        total_estimate = max(reader.estimated_rows - header.row, 1)
        chunk: list = []
        processed = 0
        for row_number, cells in rows:
            if not any(cell not in (None, "") for cell in cells):
                continue
            chunk.append((row_number, cells))
            if len(chunk) >= CHUNK_ROWS:
                _check_chunk(chunk, header, checker, rejected_raw)
                processed += len(chunk)
                progress(processed, total_estimate)
                chunk = []
        if chunk:
            _check_chunk(chunk, header, checker, rejected_raw)
            processed += len(chunk)
        plan.total_rows = processed
        plan.reader_peak_kb = reader.reader_peak_kb
    if checker.late_rejects:
        # Rare: read the file again for the raw cells of these few rows.
        with SheetReader(path, fast=fast_xlsx) as reader:
            for row_number, cells in reader.rows():
                if row_number in checker.late_rejects:
                    rejected_raw[row_number] = cells
    plan.errors.sort(key=problem_order)
    classify(plan, user)
    return plan, rejected_raw, checker.row_errors


def build_plan(*, path: Path, user, progress: Callable | None = None) -> tuple[Plan, dict, dict]:
    """Check the whole file.

    Returns the plan, the raw cells of rejected rows and every problem per
    rejected row (both only for the rejected-rows file).
    """
    progress = progress or (lambda processed, total: None)
    # Read ahead in a separate process; if that fails, read here; a sheet the
    # fast reader does not understand is read again with openpyxl.
    attempts = [{"fast_xlsx": True, "read_ahead": True}, {"fast_xlsx": True}, {"fast_xlsx": False}]
    while True:
        options = attempts.pop(0)
        try:
            return _check_file(Path(path), user, progress, **options)
        except sheets.ReadAheadFailed as error:
            logger.warning("Reading %s in a separate process failed, reading it here: %s", path, error)
            continue
        except sheets.UnsupportedSheet:
            attempts = [{"fast_xlsx": False}]
            continue


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
    for row in plan.encounters:
        hospitals.add(row.hospital_id)
        departments.add(row.department_id)
        physicians.add(row.physician_id)
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
    """The stored plan, or None when it is missing, tampered with or of an earlier shape (then the file is checked again)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if not digest or not hmac.compare_digest(_digest(data), digest):
        return None
    try:
        plan = pickle.loads(data)
    except Exception:  # a plan pickled by an earlier version of these records
        logger.info("A stored import plan of an earlier shape is ignored: the file is checked again")
        return None
    return plan if isinstance(plan, Plan) else None
