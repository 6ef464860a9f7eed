"""Name search that ignores Arabic spelling variants.

Patients' names are typed by many hands: أحمد / احمد / إحمد, فاطمة / فاطمه,
مصطفى / مصطفي, with or without diacritics and tatweel. Both the stored
``Patient.name_search`` column and the search term go through
:func:`normalize_name`, so a plain substring match (backed by a trigram index
on PostgreSQL) finds every variant.
"""

import re

from django.core.exceptions import ValidationError
from django.db.models import Q

from px360.core.validators import ascii_digits, normalize_phone

# Tashkeel (harakat, tanween, shadda, sukun, superscript alef, Quranic marks) and tatweel.
_IGNORED = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]")
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_SPACES = re.compile(r"\s+")

SEPARATOR = " | "
# How people write a phone number: digits, spaces, dashes, brackets, a leading + or 00.
_PHONE = re.compile(r"\+?[\d\s\-()]{8,20}")


def normalize_name(value: str | None) -> str:
    """Fold Arabic letter variants, drop diacritics and tatweel, casefold Latin, squeeze spaces."""
    if not value:
        return ""
    text = _IGNORED.sub("", str(value)).translate(_FOLD).casefold()
    return _SPACES.sub(" ", text).strip()


def name_search_value(*names: str | None) -> str:
    """The value stored in ``name_search`` for a record with these names."""
    return SEPARATOR.join(part for part in (normalize_name(name) for name in names) if part)


def patient_match(term: str, *, path: str = "", hospital_ids: list[int] | None = None) -> Q | None:
    """What a coordinator's search term matches on a patient, or ``None`` when it can match nothing.

    The same term finds the patient wherever they are listed (patients,
    encounters, invitations, responses, messages): their MRN or national ID
    (exact), their phone number written any way people write it (``05…``,
    ``+966…``, Arabic-Indic digits: compared in E.164), or part of either name,
    folded as :func:`normalize_name` does. ``path`` leads from the listed model
    to the patient (``"encounter__patient__"``); ``hospital_ids``, when given,
    lets the MRN be looked up with its hospital (the unique index's order).
    """
    text = ascii_digits(str(term or "").strip())
    if not text:
        return None
    if hospital_ids is not None:
        match = Q(**{f"{path}hospital_id__in": hospital_ids, f"{path}mrn": text})
    else:
        match = Q(**{f"{path}mrn": text})
    match |= Q(**{f"{path}national_id": text})
    try:
        phone = normalize_phone(text) if _PHONE.fullmatch(text) else ""
    except ValidationError:
        phone = ""
    if phone:
        match |= Q(**{f"{path}phone": phone})
    name = normalize_name(term)
    if len(name) >= 2 and not any(char.isdigit() for char in name):
        # A substring of the folded names: "احمد" finds "أحمد", "فاطمه" finds "فاطمة".
        match |= Q(**{f"{path}name_search__contains": name})
    return match
