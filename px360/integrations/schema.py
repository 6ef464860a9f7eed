"""The JSON event contract: validation with readable problems, and its OpenAPI description."""

from __future__ import annotations

from django.apps import apps
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from px360.journeys.events import SUPPORTED_EVENTS, HISEvent

ENCOUNTER_TYPES = ("EMS", "INPATIENT", "OPD")

# Where each value of an event ends up. The limits are read from these model
# fields, so a value is refused at the door rather than overflowing a column
# later (PostgreSQL refuses an over-long varchar; SQLite silently stores it).
_COLUMNS = {
    "message_id": ("integrations.InboundEvent", "message_id"),
    "hospital_code": ("organizations.Hospital", "code"),
    "encounter_number": ("journeys.Encounter", "encounter_number"),
    "department_code": ("organizations.Department", "code"),
    "physician_license": ("organizations.Physician", "license_number"),
    "patient.mrn": ("organizations.Patient", "mrn"),
    "patient.national_id": ("organizations.Patient", "national_id"),
    "patient.name_ar": ("organizations.Patient", "name_ar"),
    "patient.name_en": ("organizations.Patient", "name_en"),
    "patient.email": ("organizations.Patient", "email"),
}
# Values checked against a fixed vocabulary, or rewritten before they are
# stored: a phone number is normalised to E.164 (at most 16 characters) when
# the event is applied, so the sender's spelling may be a little longer.
_FIXED_LIMITS = {
    "event_type": 3,
    "encounter_type": 10,
    "patient.gender": 1,
    "patient.phone": 20,
    "patient.language": 2,
}

_STRING_FIELDS = {
    "message_id": True,
    "event_type": True,
    "hospital_code": True,
    "encounter_number": True,
    "encounter_type": False,
    "department_code": False,
    "physician_license": False,
}
_DATETIME_FIELDS = ("occurred_at", "admitted_at", "discharged_at")
_PATIENT_FIELDS = ("mrn", "national_id", "name_ar", "name_en", "gender", "phone", "email", "language")


def max_length(name: str) -> int:
    """The longest value accepted for an event field (``patient.mrn`` for patient fields)."""
    if name in _FIXED_LIMITS:
        return _FIXED_LIMITS[name]
    model, field = _COLUMNS[name]
    return apps.get_model(model)._meta.get_field(field).max_length


def _length_problems(values: dict[str, str]) -> list[dict]:
    """One problem per value longer than the column it is stored in."""
    problems = []
    for name, value in values.items():
        limit = max_length(name)
        if len(value) > limit:
            problems.append(_problem(name, _("At most %(count)d characters.") % {"count": limit}))
    return problems


def _problem(field: str, message: str) -> dict:
    # A field name is the sender's text (an unknown key may be any length).
    return {"field": field[:100], "message": message}


def _parses(parser, value) -> bool:
    """Whether ``value`` is a string the parser reads (well-formed but impossible values are not)."""
    if not isinstance(value, str):
        return False
    try:
        return parser(value) is not None
    except ValueError:  # e.g. 2026-02-30, or an offset of 99 hours
        return False


def validate_event(data) -> tuple[HISEvent | None, list[dict]]:
    """Check a decoded JSON body; returns the event or the list of problems."""
    if not isinstance(data, dict):
        return None, [_problem("", _("The body must be a JSON object."))]
    problems = []
    known = set(_STRING_FIELDS) | set(_DATETIME_FIELDS) | {"patient"}
    for key in sorted(set(data) - known):
        problems.append(_problem(key, _("Unknown field.")))
    lengths = {}
    for name, required in _STRING_FIELDS.items():
        value = data.get(name)
        if value in (None, ""):
            if required:
                problems.append(_problem(name, _("This field is required.")))
            continue
        if not isinstance(value, str):
            problems.append(_problem(name, _("Must be a string.")))
        else:
            lengths[name] = value
    if isinstance(data.get("event_type"), str) and data["event_type"] and data["event_type"] not in SUPPORTED_EVENTS:
        problems.append(
            _problem(
                "event_type",
                _("Unsupported event type; use one of %(types)s.") % {"types": ", ".join(sorted(SUPPORTED_EVENTS))},
            )
        )
    if data.get("encounter_type") and data.get("encounter_type") not in ENCOUNTER_TYPES:
        problems.append(_problem("encounter_type", _("Use EMS, INPATIENT or OPD.")))
    for name in _DATETIME_FIELDS:
        value = data.get(name)
        if value in (None, ""):
            continue
        if not _parses(parse_datetime, value):
            problems.append(_problem(name, _("Must be an ISO 8601 date and time, e.g. 2026-11-27T09:30:00+03:00.")))
    patient = data.get("patient")
    if patient is None:
        problems.append(_problem("patient", _("This field is required.")))
    elif not isinstance(patient, dict):
        problems.append(_problem("patient", _("Must be an object.")))
    else:
        for key in sorted(set(patient) - set(_PATIENT_FIELDS) - {"birth_date"}):
            problems.append(_problem(f"patient.{key}", _("Unknown field.")))
        for name in _PATIENT_FIELDS:
            value = patient.get(name)
            if value in (None, ""):
                continue
            if not isinstance(value, str):
                problems.append(_problem(f"patient.{name}", _("Must be a string.")))
            else:
                lengths[f"patient.{name}"] = value
        if not patient.get("mrn"):
            problems.append(_problem("patient.mrn", _("This field is required.")))
        birth = patient.get("birth_date")
        if birth not in (None, "") and not _parses(parse_date, birth):
            problems.append(_problem("patient.birth_date", _("Must be a date, e.g. 1980-05-31.")))
    problems.extend(_length_problems(lengths))
    if problems:
        return None, problems
    values = {key: data.get(key) or "" for key in _STRING_FIELDS}
    for name in _DATETIME_FIELDS:
        values[name] = data.get(name) or None
    values["patient"] = {key: (patient.get(key) or "") for key in _PATIENT_FIELDS}
    values["patient"]["birth_date"] = patient.get("birth_date") or None
    return HISEvent.from_json(values), []


def openapi_document(base_url: str = "") -> dict:
    """OpenAPI 3.1 description of the intake endpoint."""
    string = {"type": "string"}
    stamp = {"type": "string", "format": "date-time"}
    problem = {
        "type": "object",
        "properties": {"field": string, "message": string},
        "required": ["field", "message"],
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PX360 HIS event intake",
            "version": "1",
            "description": (
                "Send one HIS event per request, as JSON or as an HL7 v2 ADT message "
                "(Content-Type: application/hl7-v2; MLLP framing characters are tolerated). "
                "The same message_id (MSH-10) from the same source is processed once."
            ),
        },
        "servers": [{"url": base_url or "/"}],
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Api-Key <key>"}
            },
            "schemas": {
                "Patient": {
                    "type": "object",
                    "required": ["mrn"],
                    "additionalProperties": False,
                    "properties": {
                        "mrn": {"type": "string", "maxLength": max_length("patient.mrn")},
                        "national_id": {"type": "string", "pattern": "^[12][0-9]{9}$"},
                        "name_ar": {"type": "string", "maxLength": max_length("patient.name_ar")},
                        "name_en": {"type": "string", "maxLength": max_length("patient.name_en")},
                        "birth_date": {"type": "string", "format": "date"},
                        "gender": {"type": "string", "enum": ["M", "F", "U"]},
                        "phone": {"type": "string", "maxLength": max_length("patient.phone")},
                        "email": {"type": "string", "format": "email", "maxLength": max_length("patient.email")},
                        "language": {"type": "string", "enum": ["ar", "en"]},
                    },
                },
                "Event": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["message_id", "event_type", "hospital_code", "encounter_number", "patient"],
                    "properties": {
                        "message_id": {"type": "string", "maxLength": max_length("message_id")},
                        "event_type": {"type": "string", "enum": sorted(SUPPORTED_EVENTS)},
                        "occurred_at": stamp,
                        "hospital_code": {"type": "string", "maxLength": max_length("hospital_code")},
                        "encounter_number": {"type": "string", "maxLength": max_length("encounter_number")},
                        "encounter_type": {"type": "string", "enum": list(ENCOUNTER_TYPES)},
                        "department_code": {"type": "string", "maxLength": max_length("department_code")},
                        "physician_license": {"type": "string", "maxLength": max_length("physician_license")},
                        "admitted_at": stamp,
                        "discharged_at": stamp,
                        "patient": {"$ref": "#/components/schemas/Patient"},
                    },
                },
                "Accepted": {
                    "type": "object",
                    "properties": {"status": string, "event_id": string, "duplicate": {"type": "boolean"}},
                },
                "Problems": {
                    "type": "object",
                    "properties": {"status": string, "problems": {"type": "array", "items": problem}},
                },
            },
        },
        "security": [{"ApiKey": []}],
        "paths": {
            "/api/integrations/events/": {
                "post": {
                    "summary": "Submit one HIS event",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Event"}},
                            "application/hl7-v2": {"schema": {"type": "string"}},
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "Stored and queued",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
                        },
                        "200": {
                            "description": "Already received (same message id); nothing new done",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
                        },
                        "400": {
                            "description": "Malformed; stored as rejected",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problems"}}},
                        },
                        "401": {"description": "Missing, unknown or revoked key"},
                        "403": {"description": "Hospital outside the key's scope"},
                        "413": {"description": "Body too large"},
                        "429": {"description": "Over the key's rate limit"},
                    },
                }
            }
        },
    }
