"""The one shape every HIS event takes once parsed, whatever format it came in.

The journeys app owns this contract: the integrations app parses HL7 v2 and
JSON into an :class:`HISEvent` and hands it to
:func:`px360.journeys.engine.apply_his_event`, which raises
:class:`~px360.journeys.engine.JourneyError` when the event cannot be applied.
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

# DOMAIN.md, "HIS events": what each ADT trigger means.
ADMIT_EVENTS = {"A01", "A06"}
REGISTER_EVENTS = {"A04"}
TRANSFER_EVENTS = {"A02"}
DISCHARGE_EVENTS = {"A03"}
UPDATE_EVENTS = {"A08"}
CANCEL_EVENTS = {"A11": "A01", "A12": "A02", "A13": "A03"}
SUPPORTED_EVENTS = (
    ADMIT_EVENTS | REGISTER_EVENTS | TRANSFER_EVENTS | DISCHARGE_EVENTS | UPDATE_EVENTS | set(CANCEL_EVENTS)
)
# Events that may create an encounter PX360 has not seen yet.
CREATING_EVENTS = ADMIT_EVENTS | REGISTER_EVENTS


@dataclass
class PatientData:
    mrn: str = ""
    national_id: str = ""
    name_ar: str = ""
    name_en: str = ""
    birth_date: date | None = None
    gender: str = ""
    phone: str = ""
    email: str = ""
    language: str = ""


@dataclass
class HISEvent:
    message_id: str
    event_type: str
    hospital_code: str
    encounter_number: str
    occurred_at: datetime | None = None
    encounter_type: str = ""
    department_code: str = ""
    physician_license: str = ""
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    patient: PatientData = field(default_factory=PatientData)

    def as_json(self) -> dict:
        """A JSON-safe copy kept on the stored event, for reading in the admin."""

        def clean(value):
            if isinstance(value, datetime | date):
                return value.isoformat()
            if isinstance(value, dict):
                return {key: clean(item) for key, item in value.items()}
            return value

        return clean(asdict(self))

    @classmethod
    def from_json(cls, data: dict) -> "HISEvent":
        from django.utils.dateparse import parse_date, parse_datetime

        patient = dict(data.get("patient") or {})
        if patient.get("birth_date"):
            patient["birth_date"] = parse_date(patient["birth_date"])
        values = {key: value for key, value in data.items() if key != "patient"}
        for key in ("occurred_at", "admitted_at", "discharged_at"):
            if values.get(key):
                values[key] = parse_datetime(values[key])
        return cls(**values, patient=PatientData(**patient))
