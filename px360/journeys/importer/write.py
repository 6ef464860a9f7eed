"""The write step: upsert a checked plan's patients then encounters, with history, and audit the import.

Every created or changed record gets one history row naming the importing
user, written with the raw-SQL writer in :mod:`px360.common.fastwrite`
(``executemany`` on SQLite, ``COPY`` and ``UPDATE ... FROM (VALUES ...)`` on
PostgreSQL): django-simple-history's ``bulk_create_with_history`` /
``bulk_update_with_history`` go through Django's insert compiler and cost more
than the whole import's time budget. Unchanged rows are not touched and get no
history.

Transactions: on PostgreSQL the whole write is one transaction, so a failure
saves nothing. On SQLite one long write transaction would lock out every
other writer (the web server) for its duration, so the write is committed in
chunks of ``CHUNK_ROWS``; the file has been fully checked before the first
chunk, so a failure there means an unexpected database error, and the job then
reports how many rows its committed chunks kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from px360.common import fastwrite
from px360.core.models import AuditAction
from px360.core.services import audit_record
from px360.organizations.models import Patient
from px360.organizations.search import name_search_value

from ..choices import EncounterSource
from .plan import CHUNK_ROWS, keys_q, read_only_patient_fields, status_for
from .records import PATIENT_FIELDS, Plan

# The change reason on every history row the import writes.
HISTORY_CHANGE_REASON = "import"

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


def history_enabled() -> bool:
    return getattr(settings, "SIMPLE_HISTORY_ENABLED", True)


def single_transaction_writes() -> bool:
    """PostgreSQL: one transaction. SQLite: chunks, so other writers are not locked out."""
    if connection.vendor == "sqlite":
        return getattr(settings, "PX360_IMPORT_SQLITE_SINGLE_TRANSACTION", False)
    return True


def _chunk_transaction(single_transaction: bool):
    # Inside the one big transaction (PostgreSQL) chunks need no savepoints.
    return transaction.atomic(savepoint=False) if not single_transaction else contextlib.nullcontext()


class TableWriter:
    """Rows of one model and their history rows, written with :mod:`px360.common.fastwrite` (raw SQL, see there)."""

    def __init__(self, model, *, user_id, now):
        self.table = fastwrite.Table(model, connection)
        self.history = fastwrite.HistoryTable(model, connection, self.table) if history_enabled() else None
        self.user_id = user_id
        self.now = now

    def existing(self, keys, key_field: str) -> dict:
        """Stored rows (all columns, Python values) by (hospital_id, key), deleted ones included."""
        table = self.table
        hospital, number = table.index["hospital_id"], table.index[key_field]
        rows = table.model.all_objects.filter(keys_q(keys, key_field)).order_by().values_list(*table.attnames)
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
    from ..models import Encounter

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

    patients = TableWriter(Patient, user_id=user_id, now=now)
    encounters = TableWriter(Encounter, user_id=user_id, now=now)

    # Positions of the columns the import sets, in the tables' rows (rows are lists, one per record).
    p = patients.table.index
    p_id, p_name_ar, p_name_en, p_search, p_updated = (
        p["id"],
        p["name_ar"],
        p["name_en"],
        p["name_search"],
        p["updated_at"],
    )
    read_only = read_only_patient_fields(user)
    # (position in PatientValues, position in the table's row) of the fields a file may change.
    p_fields = [(position, p[name]) for position, name in enumerate(PATIENT_FIELDS) if name not in read_only]
    e = encounters.table.index
    e_compare = [e[name] for name in ENCOUNTER_FIELDS]
    e_department, e_physician, e_discharged, e_status = (
        e["department_id"],
        e["attending_physician_id"],
        e["discharged_at"],
        e["status"],
    )
    e_job, e_updated = e["import_job_id"], e["updated_at"]
    # New rows: the columns the import sets, in the order of the values given below.
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

    outer = transaction.atomic() if single else contextlib.nullcontext()
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
                        row = new_patient(
                            (
                                key[0],
                                key[1],
                                values.national_id,
                                values.name_ar,
                                values.name_en,
                                name_search_value(values.name_ar, values.name_en),
                                values.phone,
                                values.email,
                                values.preferred_language or "ar",
                                values.birth_date,
                                values.gender or "U",
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
                existing = encounters.existing({row.key for row in chunk}, "encounter_number")
                created, changed, changed_names = [], [], set()
                for row in chunk:
                    patient_id = patient_ids[row.patient_key]
                    stored = existing.get(row.key)
                    if stored is None:
                        created.append(
                            new_encounter(
                                (
                                    row.hospital_id,
                                    row.number,
                                    row.encounter_type,
                                    patient_id,
                                    row.department_id,
                                    row.physician_id,
                                    row.admitted_at,
                                    row.discharged_at,
                                    status_for(row.discharged_at),
                                    EncounterSource.IMPORT,
                                    job_id,
                                    now,
                                    now,
                                )
                            )
                        )
                        continue
                    # An empty department, physician or discharge cell keeps what is stored.
                    discharged = row.discharged_at if row.discharged_at is not None else stored[e_discharged]
                    new_values = (
                        row.encounter_type,
                        patient_id,
                        row.department_id if row.department_id is not None else stored[e_department],
                        row.physician_id if row.physician_id is not None else stored[e_physician],
                        row.admitted_at,
                        discharged,
                        status_for(discharged, stored[e_status]),
                    )
                    differs = [
                        (name, column, value)
                        for name, column, value in zip(ENCOUNTER_FIELDS, e_compare, new_values, strict=True)
                        if stored[column] != value
                    ]
                    if not differs:
                        counts["unchanged"] += 1
                        continue
                    updated = list(stored)
                    for name, column, value in differs:
                        updated[column] = value
                        changed_names.add(name)
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


def audit_import(*, job, counts: dict) -> None:
    """One audit event for a saved import: the file, its checksum, the mode and what it changed."""
    from ..models import Encounter

    audit_record(
        action=AuditAction.IMPORT,
        actor=job.user,
        obj=job,
        model=Encounter,
        hospital=job.hospital,
        row_count=counts["new"] + counts["updated"],
        details={
            "file": job.original_name,
            "sha256": job.file_sha256,
            "mode": job.mode,
            "new": counts["new"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            "rejected": counts["rejected"],
            "patients": counts["patients"],
        },
    )
