"""Validators and normalisers for identifiers hospitals exchange."""

import re

import phonenumbers
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


def normalize_phone(value: str, *, region: str = "SA") -> str:
    """Return the number in E.164 (``+9665XXXXXXXX``) or raise ``ValidationError``.

    Parsed and checked against the numbering plan of its country by
    ``phonenumbers`` (Google's libphonenumber data): Saudi HIS exports mix
    ``05XXXXXXXX``, ``5XXXXXXXX``, ``9665XXXXXXXX`` and ``00966…``, and many
    patients are expatriates whose Egyptian, Indian, Pakistani or Filipino
    numbers must be as valid as a Saudi one, not stored unchecked. A number
    without a country code is read as Saudi (``region``).
    """
    if value is None:
        return ""
    raw = ascii_digits(str(value).strip())
    if not raw:
        return ""
    if raw.startswith("966") and not raw.startswith("+"):
        raw = "+" + raw  # written without its +, as many exports do
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if number is not None and number.country_code == 966:
            raise ValidationError(_("Enter a valid Saudi phone number."), code="invalid_saudi_phone")
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
