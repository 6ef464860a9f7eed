"""Hijri (Umm al-Qura) dates beside Gregorian ones, as many Saudi users read them first."""

from __future__ import annotations

from datetime import date

from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from hijridate import Gregorian


def hijri_parts(day: date) -> tuple[int, int, int] | None:
    """``(year, month, day)`` in the Umm al-Qura calendar, or ``None`` outside its supported range."""
    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):
        return None
    return hijri.year, hijri.month, hijri.day


def hijri_label(day: date | None, language: str | None = None) -> str:
    """E.g. "17 Jumada al-Akhirah 1448 AH" / "17 جمادى الآخرة 1448 هـ"; empty outside the supported range."""
    if day is None:
        return ""
    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):
        return ""
    language = (language or get_language() or "ar")[:2]
    month = hijri.month_name("ar" if language == "ar" else "en")
    with translation.override(language):
        return _("%(day)d %(month)s %(year)d AH") % {"day": hijri.day, "month": month, "year": hijri.year}
