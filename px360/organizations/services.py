"""Patients: one set of rules, whichever way their data arrives.

A patient's details reach PX360 through the encounter file import, the HIS
intake (HL7 v2 and JSON, applied by the journey engine) and the admin form.
All three clean them here, so the same value is accepted or refused the same
way, with the same translated message, wherever it comes from:

* national ID / iqama: ten digits with a valid check digit (Arabic-Indic
  digits read as ASCII);
* phone: parsed against the numbering plan of its country and stored in
  E.164 (a number without a country code is Saudi);
* e-mail: a valid address, its domain lower-cased;
* birth date: a real date, not in the future;
* gender ``M`` / ``F`` / ``U`` and language ``ar`` / ``en`` (the codes the HIS
  and the file use, in either case);
* names: trimmed, at most the stored length.

:class:`PatientRules` cleans field by field and remembers each distinct value
it has seen, so a file of a million rows costs one check per distinct phone
number, not per row, and no query at all. :func:`upsert_patient` is the one
write path for a single patient (the HIS intake); the import writes in bulk
with the values the same rules produced.

A minor (under 18 on the day, by birth date) is reached through a guardian
(:func:`is_minor`; the guardian's phone is cleaned by the same phone rule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from px360.core.choices import Gender, Language
from px360.core.validators import ascii_digits, normalize_phone, validate_national_id

from .models import Hospital, Patient

# The fields these rules clean, in the order forms and files show them.
PATIENT_FIELDS = ("national_id", "name_ar", "name_en", "phone", "email", "birth_date", "gender", "preferred_language")

ADULT_AGE = 18

# As HIS exports write them: codes and words, in English and Arabic.
_GENDERS = {
    "m": Gender.MALE.value,
    "male": Gender.MALE.value,
    "ذكر": Gender.MALE.value,
    "f": Gender.FEMALE.value,
    "female": Gender.FEMALE.value,
    "انثى": Gender.FEMALE.value,
    "أنثى": Gender.FEMALE.value,
    "u": Gender.UNKNOWN.value,
    "unknown": Gender.UNKNOWN.value,
}
_LANGUAGES = {"ar": Language.ARABIC.value, "en": Language.ENGLISH.value}
_NAME_LENGTH = Patient._meta.get_field("name_ar").max_length
_CACHE_LIMIT = 100_000
# Checked every time: nearly every value is distinct and the check costs less than remembering it.
_UNCACHED = frozenset({"name_ar", "name_en", "birth_date"})


def is_minor(birth_date: dt.date | None, *, on: dt.date | None = None) -> bool:
    """Under 18 on the day ``on`` (today in Riyadh). An unknown birth date counts as adult."""
    if birth_date is None:
        return False
    on = on or timezone.localdate()
    years = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return years < ADULT_AGE


@dataclass
class CleanedPatient:
    """What :meth:`PatientRules.clean` made of one patient's raw values."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, ValidationError] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class PatientRules:
    """Clean patient values field by field, the same way for every source.

    Each cleaner takes the raw value (text, or a date for birth dates) and
    returns the value to store (``""`` / ``None`` for nothing) or raises a
    ``ValidationError`` with a code and a translated message that does not
    repeat the value (callers show it beside the message where they may).
    Results are remembered per distinct raw value.
    """

    def __init__(self, *, today: dt.date | None = None):
        self.today = today or timezone.localdate()
        # Per field: raw value -> (cleaned value, refusal). Values in files and messages are
        # text, numbers or dates: all hashable.
        self._seen: dict[str, dict[Any, tuple[Any, ValidationError | None]]] = {}
        self._cleaners: dict[str, Any] = {}

    def clean(self, raw: Mapping[str, Any], fields: tuple[str, ...] = PATIENT_FIELDS) -> CleanedPatient:
        """Clean the given fields of ``raw`` (missing keys are left out of the result)."""
        result = CleanedPatient()
        for name in fields:
            if name not in raw:
                continue
            try:
                result.values[name] = self.clean_field(name, raw[name])
            except ValidationError as error:
                result.errors[name] = error
        return result

    def clean_field(self, name: str, value: Any) -> Any:
        if value is None or value == "":
            return None if name == "birth_date" else ""
        if name in _UNCACHED:
            return getattr(self, f"clean_{name}")(value)
        seen = self._seen.get(name)
        if seen is None:
            seen = self._seen[name] = {}
            self._cleaners[name] = getattr(self, f"clean_{name}")
        known = seen.get(value)
        if known is None:
            try:
                known = (self._cleaners[name](value), None)
            except ValidationError as error:
                known = (None, error)
            if len(seen) < _CACHE_LIMIT:
                seen[value] = known
        if known[1] is not None:
            raise known[1]
        return known[0]

    # --- one cleaner per field ---------------------------------------------------

    @staticmethod
    def _text(value: Any) -> str:
        return "" if value is None else str(value).strip()

    def clean_national_id(self, value: Any) -> str:
        text = ascii_digits(self._text(value))
        validate_national_id(text)
        return text

    def clean_name_ar(self, value: Any) -> str:
        return self._name(value)

    def clean_name_en(self, value: Any) -> str:
        return self._name(value)

    def _name(self, value: Any) -> str:
        text = " ".join(self._text(value).split())
        if len(text) > _NAME_LENGTH:
            raise ValidationError(
                _("The name is longer than %(limit)d characters."), code="name_too_long", params={"limit": _NAME_LENGTH}
            )
        return text

    def clean_phone(self, value: Any) -> str:
        return normalize_phone(self._text(value))

    def clean_email(self, value: Any) -> str:
        text = self._text(value)
        if not text:
            return ""
        validate_email(text)  # Django's own message, as the admin's e-mail field gives it
        local, _at, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"

    def clean_birth_date(self, value: Any) -> dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            try:
                value = dt.date.fromisoformat(ascii_digits(self._text(value)))
            except ValueError:
                raise ValidationError(
                    _("Not a date: write the birth date as YYYY-MM-DD."), code="invalid_birth_date"
                ) from None
        if value > self.today:
            raise ValidationError(_("The birth date is in the future."), code="future_birth_date")
        if value.year < 1900:
            raise ValidationError(_("The birth date is before 1900."), code="invalid_birth_date")
        return value

    def clean_gender(self, value: Any) -> str:
        text = self._text(value)
        if not text:
            return ""
        gender = _GENDERS.get(text.lower())
        if gender is None:
            raise ValidationError(_("Unknown gender: use M, F or U."), code="invalid_gender")
        return gender

    def clean_preferred_language(self, value: Any) -> str:
        text = self._text(value)
        if not text:
            return ""
        language = _LANGUAGES.get(text.lower())
        if language is None:
            raise ValidationError(_("Unknown language: use ar or en."), code="invalid_language")
        return language


def upsert_patient(
    hospital: Hospital, mrn: str, raw: Mapping[str, Any], *, rules: PatientRules | None = None
) -> Patient:
    """Create or update the patient ``mrn`` of ``hospital`` with the given details.

    Only details that are given change the stored patient (an HIS message
    that leaves out the e-mail does not erase it); nothing is written when
    nothing changes. Raises ``ValidationError`` (a dict of field errors) and
    writes nothing when any given detail breaks the rules.
    """
    mrn = ascii_digits(str(mrn or "").strip())
    if not mrn:
        raise ValidationError({"mrn": ValidationError(_("The patient MRN is missing."), code="missing_mrn")})
    cleaned = (rules or PatientRules()).clean(raw)
    if not cleaned.ok:
        raise ValidationError(cleaned.errors)
    changes = {name: value for name, value in cleaned.values.items() if value not in ("", None)}
    patient = Patient.objects.filter(hospital=hospital, mrn=mrn).first() or Patient(hospital=hospital, mrn=mrn)
    if patient._state.adding or any(getattr(patient, name) != value for name, value in changes.items()):
        for name, value in changes.items():
            setattr(patient, name, value)
        patient.save()
    return patient
