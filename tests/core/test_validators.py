import pytest
from django.core.exceptions import ValidationError

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
        ("", ""),
    ],
)
def test_phone_normalised_to_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12", "05012", "+9665012", "phone"])
def test_bad_phones_raise(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_mask_keeps_last_four():
    assert mask_national_id("1234567890") == "••••••7890"
