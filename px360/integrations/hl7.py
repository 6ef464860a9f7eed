"""A small, strict-enough HL7 v2 reader for ADT messages, and ACK writer.

Only what PX360 needs (DESIGN §5b): MSH, EVN, PID and PV1. Unknown segments
and fields are ignored. Field numbers below are HL7's (1-based).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from px360.journeys.events import SUPPORTED_EVENTS, HISEvent, PatientData

from .schema import max_length

RIYADH = ZoneInfo("Asia/Riyadh")
MLLP_START, MLLP_END = "\x0b", "\x1c"
_ARABIC = re.compile(r"[\u0600-\u06FF]")
_PATIENT_CLASS = {"E": "EMS", "I": "INPATIENT", "O": "OPD", "P": "INPATIENT", "R": "OPD", "B": "INPATIENT"}
# HL7 table 0001 (administrative sex): other, ambiguous, not applicable and
# non-binary are stored as unknown; anything else is refused by the patient rules.
_GENDERS = {"M": "M", "F": "F", "U": "U", "O": "U", "A": "U", "N": "U", "X": "U"}
_LANGUAGES = {"AR": "ar", "ARA": "ar", "ARABIC": "ar", "EN": "en", "ENG": "en", "ENGLISH": "en"}
# The HL7 field each event value is read from, to name it in a problem.
_FIELDS = {
    "message_id": "MSH-10",
    "hospital_code": "MSH-4",
    "encounter_number": "PV1-19",
    "department_code": "PV1-3",
    "physician_license": "PV1-7",
    "patient.mrn": "PID-3",
    "patient.national_id": "PID-3",
    "patient.name_ar": "PID-5",
    "patient.name_en": "PID-5",
    "patient.phone": "PID-13",
}


class HL7Error(ValueError):
    """The message cannot be read; ``control_id`` is MSH-10 when it was found."""

    def __init__(self, problems: list[str], control_id: str = "", header: dict | None = None):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.control_id = control_id
        self.header = header or {}


class Message:
    def __init__(self, text: str):
        text = text.strip().lstrip(MLLP_START).rstrip("\r\n").rstrip(MLLP_END).strip()
        lines = [line for line in re.split(r"\r\n|\r|\n", text) if line.strip()]
        if not lines or not lines[0].startswith("MSH") or len(lines[0]) < 8:
            raise HL7Error([_("The message does not start with an MSH segment.")])
        self.field_sep = lines[0][3]
        encoding = lines[0][4:8]
        self.component_sep, self.repetition_sep, self.escape, self.subcomponent_sep = (
            encoding[0],
            encoding[1],
            encoding[2],
            encoding[3] if len(encoding) > 3 else "&",
        )
        self.segments: dict[str, list[list[str]]] = {}
        for line in lines:
            fields = line.split(self.field_sep)
            name = fields[0].strip()
            if name == "MSH":
                # MSH-1 is the separator itself, so MSH-n is fields[n - 1].
                fields = ["MSH", self.field_sep, *fields[1:]]
            self.segments.setdefault(name, []).append(fields)

    def _unescape(self, value: str) -> str:
        e = self.escape
        if e not in value:
            return value
        return (
            value.replace(f"{e}F{e}", self.field_sep)
            .replace(f"{e}S{e}", self.component_sep)
            .replace(f"{e}T{e}", self.subcomponent_sep)
            .replace(f"{e}R{e}", self.repetition_sep)
            .replace(f"{e}E{e}", e)
        )

    def field(self, segment: str, number: int) -> str:
        rows = self.segments.get(segment)
        if not rows or len(rows[0]) <= number:
            return ""
        return rows[0][number]

    def repetitions(self, segment: str, number: int) -> list[str]:
        value = self.field(segment, number)
        return value.split(self.repetition_sep) if value else []

    def component(self, value: str, number: int) -> str:
        parts = value.split(self.component_sep)
        return self._unescape(parts[number - 1]).strip() if len(parts) >= number else ""

    def get(self, segment: str, number: int, component: int = 1) -> str:
        first = (self.repetitions(segment, number) or [""])[0]
        return self.component(first, component)


def parse_hl7_datetime(value: str) -> datetime | None:
    """``YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]``; no offset means Asia/Riyadh."""
    value = (value or "").strip()
    if not value:
        return None
    match = re.fullmatch(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?", value)
    if not match:
        raise ValueError(value)
    year, month, day, hour, minute, second, offset = match.groups()
    tz = RIYADH
    if offset:
        sign = 1 if offset[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
    return datetime(
        int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz
    )


def _parse_date(value: str) -> date | None:
    stamp = parse_hl7_datetime(value[:8] if value else value)
    return stamp.date() if stamp else None


def read_header(text: str) -> dict:
    """MSH fields needed for an ACK, even from a message that fails later."""
    message = Message(text)
    return {
        "sending_application": message.get("MSH", 3),
        "sending_facility": message.get("MSH", 4),
        "control_id": message.get("MSH", 10),
        "event_type": message.get("MSH", 9, 2) or message.get("EVN", 1),
        "version": message.get("MSH", 12) or "2.5",
    }


def parse_adt(text: str) -> HISEvent:
    """Read an ADT message into an :class:`HISEvent`, or raise :class:`HL7Error`."""
    message = Message(text)
    header = read_header(text)
    control_id = header["control_id"]
    problems = []
    message_type = message.get("MSH", 9, 1)
    if message_type and message_type != "ADT":
        problems.append(_("Only ADT messages are accepted, not %(type)s.") % {"type": message_type})
    if not control_id:
        problems.append(_("MSH-10 (message control ID) is empty."))
    if not header["event_type"]:
        problems.append(_("MSH-9.2 (trigger event) is empty."))
    elif header["event_type"].upper() not in SUPPORTED_EVENTS:
        problems.append(
            _("Trigger event %(event)s (MSH-9.2) is not supported; use one of %(types)s.")
            % {"event": header["event_type"][:10], "types": ", ".join(sorted(SUPPORTED_EVENTS))}
        )
    if not header["sending_facility"]:
        problems.append(_("MSH-4 (sending facility: the hospital code) is empty."))
    if "PV1" not in message.segments:
        problems.append(_("The message has no PV1 segment."))
    if "PID" not in message.segments:
        problems.append(_("The message has no PID segment."))

    def stamp(label, raw):
        try:
            return parse_hl7_datetime(raw)
        except ValueError:
            problems.append(_("%(field)s is not an HL7 date/time: “%(value)s”.") % {"field": label, "value": raw})
            return None

    occurred_at = stamp("EVN-2", message.get("EVN", 2)) or stamp("MSH-7", message.get("MSH", 7))

    mrn = national_id = ""
    identifiers = message.repetitions("PID", 3)
    for repetition in identifiers:
        number, kind = message.component(repetition, 1), message.component(repetition, 5).upper()
        if kind == "MR" and not mrn:
            mrn = number
        elif kind in ("NI", "SS", "NNSAU") and not national_id:
            national_id = number
    if not mrn and identifiers:
        mrn = message.component(identifiers[0], 1)

    name_ar = name_en = ""
    for repetition in message.repetitions("PID", 5):
        family, given = message.component(repetition, 1), message.component(repetition, 2)
        middle = message.component(repetition, 3)
        full = " ".join(part for part in (given, middle, family) if part)
        if _ARABIC.search(full):
            name_ar = name_ar or full
        else:
            name_en = name_en or full

    birth_raw = message.get("PID", 7)
    birth_date = None
    if birth_raw:
        try:
            birth_date = _parse_date(birth_raw)
        except ValueError:
            problems.append(
                _("%(field)s is not an HL7 date/time: “%(value)s”.") % {"field": "PID-7", "value": birth_raw}
            )
    phone_field = (message.repetitions("PID", 13) or [""])[0]
    phone = message.component(phone_field, 1) or message.component(phone_field, 12)
    language = _LANGUAGES.get(message.get("PID", 15).upper(), "")

    patient_class = message.get("PV1", 2).upper()
    encounter_type = _PATIENT_CLASS.get(patient_class, "")
    if patient_class and not encounter_type:
        problems.append(_("PV1-2 patient class “%(value)s” is not E, I or O.") % {"value": patient_class})

    event = HISEvent(
        message_id=control_id,
        event_type=header["event_type"].upper(),
        hospital_code=header["sending_facility"],
        encounter_number=message.get("PV1", 19),
        occurred_at=occurred_at,
        encounter_type=encounter_type,
        department_code=message.get("PV1", 3) or message.get("PV1", 10),
        physician_license=message.get("PV1", 7),
        admitted_at=stamp("PV1-44", message.get("PV1", 44)),
        discharged_at=stamp("PV1-45", message.get("PV1", 45)),
        patient=PatientData(
            mrn=mrn,
            national_id=national_id,
            name_ar=name_ar,
            name_en=name_en,
            birth_date=birth_date,
            gender=_GENDERS.get(message.get("PID", 8).upper(), message.get("PID", 8)),
            phone=phone,
            language=language,
        ),
    )
    problems.extend(_length_problems(event))
    if problems:
        raise HL7Error(problems, control_id=control_id, header=header)
    return event


def _length_problems(event: HISEvent) -> list[str]:
    """Values longer than the column they are stored in, named by their HL7 field."""
    problems = []
    for name, label in _FIELDS.items():
        holder, attribute = (event.patient, name[8:]) if name.startswith("patient.") else (event, name)
        value = getattr(holder, attribute)
        limit = max_length(name)
        if len(value) > limit:
            problems.append(_("%(field)s is longer than %(count)d characters.") % {"field": label, "count": limit})
    return problems


def build_ack(header: dict, code: str, text: str = "") -> str:
    """An ACK (``AA`` accepted, ``AE`` error, ``AR`` rejected) echoing MSH-10."""
    now = dj_timezone.localtime(dj_timezone.now(), RIYADH).strftime("%Y%m%d%H%M%S%z")
    event = header.get("event_type") or ""
    clean = text.replace("|", " ").replace("\r", " ").replace("\n", " ").replace("^", " ")
    segments = [
        "|".join(
            [
                "MSH",
                "^~\\&",
                "PX360",
                "PX360",
                header.get("sending_application", ""),
                header.get("sending_facility", ""),
                now,
                "",
                f"ACK^{event}^ACK" if event else "ACK",
                uuid.uuid4().hex[:20],
                "P",
                header.get("version") or "2.5",
            ]
        ),
        "|".join(["MSA", code, header.get("control_id", ""), clean[:80]]),
    ]
    if code != "AA" and clean:
        segments.append("|".join(["ERR", "", "", "", "E", "", "", "", clean[:250]]))
    return "\r".join(segments) + "\r"
