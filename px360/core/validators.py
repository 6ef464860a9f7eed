"""Validators and normalisers for identifiers hospitals exchange."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_DIGITS = re.compile(r"^\d+$")


def national_id_is_valid(value: str) -> bool:
    """A Saudi national ID (starts with 1) or iqama (starts with 2).

    Ten digits whose Luhn checksum is zero: the last digit is the check digit.
    """
    if not value or len(value) != 10 or not _DIGITS.match(value) or value[0] not in "12":
        return False
    total = 0
    for position, char in enumerate(value):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_national_id(value: str) -> None:
    if value and not national_id_is_valid(value):
        raise ValidationError(
            _("Enter a valid Saudi national ID or iqama number (10 digits, check digit)."),
            code="invalid_national_id",
        )


# Arabic-Indic and Eastern Arabic-Indic digits are common in Arabic forms and files.
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def ascii_digits(text: str) -> str:
    """Arabic-Indic digits as ASCII ones (an ASCII text has none: ``translate`` is skipped)."""
    return text if text.isascii() else text.translate(_ARABIC_DIGITS)


def normalize_phone(value: str, *, default_country_code: str = "966") -> str:
    """Return the number in E.164 (``+9665XXXXXXXX``) or raise ``ValidationError``.

    Saudi HIS exports mix ``05XXXXXXXX``, ``5XXXXXXXX``, ``9665XXXXXXXX`` and
    ``00966…``; numbers with another country code are kept as given.
    """
    if value is None:
        return ""
    raw = str(value).strip()
    if not raw:
        return ""
    digits = re.sub(r"[\s\-().]", "", raw)
    digits = ascii_digits(digits)
    if digits.startswith("+"):
        number = digits[1:]
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith("0"):
        number = default_country_code + digits[1:]
    elif digits.startswith(default_country_code):
        number = digits
    elif len(digits) == 9 and digits.startswith("5"):
        number = default_country_code + digits
    else:
        number = digits
    if not _DIGITS.match(number) or not 8 <= len(number) <= 15:
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone")
    if number.startswith("966") and not (len(number) == 12 and number[3] in "1234567"):
        raise ValidationError(_("Enter a valid Saudi phone number."), code="invalid_phone")
    return "+" + number
