"""Name search that ignores Arabic spelling variants.

Patients' names are typed by many hands: أحمد / احمد / إحمد, فاطمة / فاطمه,
مصطفى / مصطفي, with or without diacritics and tatweel. Both the stored
``Patient.name_search`` column and the search term go through
:func:`normalize_name`, so a plain substring match (backed by a trigram index
on PostgreSQL) finds every variant.
"""

import re

# Tashkeel (harakat, tanween, shadda, sukun, superscript alef, Quranic marks) and tatweel.
_IGNORED = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]")
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_SPACES = re.compile(r"\s+")

SEPARATOR = " | "


def normalize_name(value: str | None) -> str:
    """Fold Arabic letter variants, drop diacritics and tatweel, casefold Latin, squeeze spaces."""
    if not value:
        return ""
    text = _IGNORED.sub("", str(value)).translate(_FOLD).casefold()
    return _SPACES.sub(" ", text).strip()


def name_search_value(*names: str | None) -> str:
    """The value stored in ``name_search`` for a record with these names."""
    return SEPARATOR.join(part for part in (normalize_name(name) for name in names) if part)
