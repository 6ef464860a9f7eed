"""The HIS encounter file's columns: the one place the contract is written, and how a cell is taken.

The import page, the downloadable template and the README's table are made
from (or checked against) :data:`COLUMN_DEFINITIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils.translation import gettext_lazy

from px360.core.resources import restore_formula

from ..choices import EncounterType


@dataclass(frozen=True)
class Column:
    """One column of the HIS encounter file.

    ``rule`` is prose (translated); ``pattern`` and ``allowed`` are the
    left-to-right part (formats, codes), shown apart so that they never mix
    into an Arabic sentence.
    """

    name: str
    label: str  # a lazy translation: the header people read
    required: bool
    rule: str  # a lazy translation: what the cell holds
    example: str = ""
    pattern: str = ""  # the accepted formats, as written in the file
    allowed: tuple = ()  # the only values accepted, when there is a short list

    @property
    def formats(self) -> str:
        return self.pattern or " | ".join(self.allowed)


_DATETIME_PATTERN = "YYYY-MM-DD HH:MM | DD/MM/YYYY HH:MM | YYYY-MM-DDTHH:MM+03:00"

# The HIS batch contract (DESIGN §5), in file order.
COLUMN_DEFINITIONS = (
    Column("hospital_code", gettext_lazy("Hospital code"), True, gettext_lazy("The hospital's code in PX360."), "RYD"),
    Column(
        "encounter_number",
        gettext_lazy("Encounter number"),
        True,
        gettext_lazy("The visit number the HIS gave, up to 40 characters; one row per visit."),
        "V2026000123",
    ),
    Column(
        "encounter_type",
        gettext_lazy("Encounter type"),
        True,
        gettext_lazy("Emergency, inpatient stay or outpatient visit."),
        "OPD",
        allowed=tuple(choice.value for choice in EncounterType),
    ),
    Column(
        "patient_mrn",
        gettext_lazy("Patient MRN"),
        True,
        gettext_lazy("The medical record number, up to 30 characters."),
        "MRN1234",
    ),
    Column(
        "patient_national_id",
        gettext_lazy("National ID or iqama"),
        False,
        gettext_lazy("Ten digits with a valid check digit."),
        "1000000008",
    ),
    Column(
        "patient_name_ar",
        gettext_lazy("Patient name (Arabic)"),
        False,
        gettext_lazy("Up to 200 characters."),
        "أحمد الحربي",
    ),
    Column(
        "patient_name_en",
        gettext_lazy("Patient name (English)"),
        False,
        gettext_lazy("Up to 200 characters."),
        "Ahmed Al-Harbi",
    ),
    Column(
        "patient_phone",
        gettext_lazy("Mobile phone"),
        False,
        gettext_lazy("A Saudi mobile number, or an international one with its country code."),
        "0501234567",
        "05XXXXXXXX | +966XXXXXXXXX | +20XXXXXXXXXX",
    ),
    Column("patient_email", gettext_lazy("E-mail"), False, gettext_lazy("An e-mail address."), "patient@example.com"),
    Column(
        "patient_language",
        gettext_lazy("Preferred language"),
        False,
        gettext_lazy("The language of the patient's messages."),
        "ar",
        allowed=("ar", "en"),
    ),
    Column(
        "patient_birth_date",
        gettext_lazy("Birth date"),
        False,
        gettext_lazy("Not in the future."),
        "1980-05-01",
        "YYYY-MM-DD | DD/MM/YYYY",
    ),
    Column(
        "patient_gender",
        gettext_lazy("Gender"),
        False,
        gettext_lazy("Male, female or unknown."),
        "M",
        allowed=("M", "F", "U"),
    ),
    Column(
        "department_code",
        gettext_lazy("Department code"),
        False,
        gettext_lazy("A department code of the row's hospital."),
        "MED",
    ),
    Column(
        "physician_license",
        gettext_lazy("Physician licence"),
        False,
        gettext_lazy("The attending physician's licence number in the row's hospital."),
        "LIC00001",
    ),
    Column(
        "admitted_at",
        gettext_lazy("Admitted / visit start"),
        True,
        gettext_lazy("Riyadh time, unless the value carries its own offset."),
        "2026-11-01 08:30",
        _DATETIME_PATTERN,
    ),
    Column(
        "discharged_at",
        gettext_lazy("Discharged / visit end"),
        False,
        gettext_lazy("Not before the admission; empty while the patient is still in."),
        "2026-11-01 11:00",
        _DATETIME_PATTERN,
    ),
)
COLUMNS = tuple(column.name for column in COLUMN_DEFINITIONS)
REQUIRED_HEADERS = tuple(column.name for column in COLUMN_DEFINITIONS if column.required)
COLUMN_ORDER = {name: position for position, name in enumerate(COLUMNS)}
# The header row is looked for in the first rows (a HIS export may start with titles).
HEADER_SEARCH_ROWS = 20

# The file's patient columns and the patient fields they fill.
PATIENT_COLUMNS = (
    ("patient_national_id", "national_id"),
    ("patient_name_ar", "name_ar"),
    ("patient_name_en", "name_en"),
    ("patient_phone", "phone"),
    ("patient_email", "email"),
    ("patient_language", "preferred_language"),
    ("patient_birth_date", "birth_date"),
    ("patient_gender", "gender"),
)


def cell_value(value):
    """A cell as the checks take it: text stripped (and un-guarded), numbers as text, dates and times as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        # Our own exports and rejected-rows files guard formula-like cells; a
        # file edited and uploaded again gets its values back.
        return restore_formula(value.strip())
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value  # datetime / date / time from Excel cells


def cell_text(value):
    """A cell value as text (ISO 8601 for dates and times)."""
    if type(value) is str:
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value
