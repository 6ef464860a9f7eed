"""The records the import passes from step to step, by name.

A check keeps one :class:`EncounterRow` per valid row and one
:class:`PatientValues` per patient of the file; the plan and the write step
read them by field name. They are ``NamedTuple``\\ s: as cheap to make,
compare and pickle as plain tuples (a 100,000-row file makes 100,000 of them),
with C-level field access. The :class:`Plan` holding them is a dataclass with
slots, pickled between the check and the confirm (see ``plan.save_plan``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple


class EncounterRow(NamedTuple):
    """A valid row of the file, its codes resolved to ids."""

    row: int  # the row number in the file (1-based, as a spreadsheet shows it)
    hospital_id: uuid.UUID
    number: str
    encounter_type: str
    mrn: str
    department_id: uuid.UUID | None  # None: the cell was empty
    physician_id: uuid.UUID | None
    admitted_at: datetime
    discharged_at: datetime | None

    @property
    def key(self) -> tuple:
        """What identifies the visit: ``(hospital_id, number)``."""
        return (self.hospital_id, self.number)

    @property
    def patient_key(self) -> tuple:
        """What identifies the patient: ``(hospital_id, mrn)``."""
        return (self.hospital_id, self.mrn)

    def same_values(self, other: EncounterRow) -> bool:
        """Whether ``other`` (the same visit in another row) carries the same values."""
        return (
            self.encounter_type == other.encounter_type
            and self.mrn == other.mrn
            and self.department_id == other.department_id
            and self.physician_id == other.physician_id
            and self.admitted_at == other.admitted_at
            and self.discharged_at == other.discharged_at
        )


class PatientValues(NamedTuple):
    """A patient's details as the file gives them, cleaned; ``""`` / ``None``: not given (keeps what is stored)."""

    national_id: str
    name_ar: str
    name_en: str
    phone: str
    email: str
    preferred_language: str
    birth_date: date | None
    gender: str

    def updated_by(self, later: PatientValues) -> PatientValues:
        """These values with ``later``'s non-empty ones on top (the HIS lists visits in time order)."""
        return PatientValues._make(new if new not in ("", None) else old for old, new in zip(self, later, strict=True))


# Patient fields the file carries, in PatientValues order.
PATIENT_FIELDS = PatientValues._fields


class StoredEncounter(NamedTuple):
    """The stored values of an encounter the file names again (what the preview compares)."""

    encounter_type: str
    patient_mrn: str
    department_id: uuid.UUID | None
    attending_physician_id: uuid.UUID | None
    admitted_at: datetime
    discharged_at: datetime | None
    status: str


# The database columns a StoredEncounter is read from, in its order.
STORED_ENCOUNTER_COLUMNS = (
    "encounter_type",
    "patient__mrn",
    "department_id",
    "attending_physician_id",
    "admitted_at",
    "discharged_at",
    "status",
)


class Problem(NamedTuple):
    """A stored problem: where it is and what it is, as a code and its parameters (see ``report.PROBLEMS``).

    Stored on the job and in the rejected-rows file as the JSON list
    ``[row, column, code, params]``; worded only when it is read.
    """

    row: int | str
    column: str
    code: str
    params: dict


class WordedProblem(NamedTuple):
    """A problem worded in the reader's language."""

    row: int | str
    column: str
    text: str


@dataclass(slots=True)
class Plan:
    """Everything the write step needs, computed once by the check."""

    encounters: list[EncounterRow | None] = field(default_factory=list)
    # (hospital_id, mrn) -> the patient's values, merged over the file's rows
    patients: dict[tuple, PatientValues] = field(default_factory=dict)
    # The first problems, as stored on the job: [row, column, code, params] (JSON lists).
    errors: list[list] = field(default_factory=list)
    error_count: int = 0
    rejected_rows: set[int] = field(default_factory=set)
    header: list[str] = field(default_factory=list)
    total_rows: int = 0
    # {"new", "updated", "unchanged", "rejected", "duplicates", "patients": {...}}, stored on the job
    counts: dict = field(default_factory=dict)
    sample: list[dict] = field(default_factory=list)
    hospital_codes: dict = field(default_factory=dict)  # id -> code, for messages
    # Peak memory of the separate reading process, when the file was read in one (KiB).
    reader_peak_kb: int = 0
