import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from px360.core.masking import mask_national_id
from px360.core.validators import national_id_is_valid, normalize_phone

from ..factories import valid_national_id


def test_national_id_check_digit():
    good = valid_national_id(12345678)
    assert national_id_is_valid(good)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not national_id_is_valid(bad)


@pytest.mark.parametrize("value", ["", "123", "3123456789", "1a23456789", "12345678901"])
def test_malformed_national_ids(value):
    assert not national_id_is_valid(value)


def test_iqama_numbers_start_with_two():
    assert national_id_is_valid(valid_national_id(55555, first="2"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0501234567", "+966501234567"),
        ("501234567", "+966501234567"),
        ("966501234567", "+966501234567"),
        ("00966501234567", "+966501234567"),
        ("+966 50 123 4567", "+966501234567"),
        ("٠٥٠١٢٣٤٥٦٧", "+966501234567"),
        ("+201001234567", "+201001234567"),
        # Expatriates' own numbers, written as they come in HIS exports.
        ("00201001234567", "+201001234567"),
        ("+91 98123 45678", "+919812345678"),
        ("+92 300 1234567", "+923001234567"),
        ("+63 917 123 4567", "+639171234567"),
        # A Riyadh landline.
        ("011 234 5678", "+966112345678"),
        ("", ""),
    ],
)
def test_phone_normalised_to_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12", "05012", "+9665012", "phone", "+1000000008", "+20100123", "+91981234"])
def test_bad_phones_raise(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_a_saudi_number_outside_the_numbering_plan_is_refused_as_saudi():
    # 052 is not a Saudi mobile range: checked against the plan, not by length.
    with translation.override("en"), pytest.raises(ValidationError, match="valid Saudi phone number"):
        normalize_phone("0520000000")


def test_mask_keeps_last_four():
    assert mask_national_id("1234567890") == "••••••7890"
