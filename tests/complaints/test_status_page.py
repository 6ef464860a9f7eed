"""The public status page: a reference and the last four digits of the phone show the status, and nothing else."""

import pytest
from django.test import Client
from django.utils import timezone, translation

from px360.complaints.choices import ComplainantKind, ComplaintStatus
from px360.complaints.services import Contact, NewComplaint, complaint_create, complaint_transition

pytestmark = pytest.mark.django_db

URL = "/complaints/status/"


def new_complaint(hospital, **contact):
    return complaint_create(
        NewComplaint(
            hospital=hospital,
            summary="SECRETSUMMARY",
            description="SECRETDESCRIPTION of what happened",
            contact=Contact(**{"name": "SECRETNAME", "phone": "0501234567", **contact}),
        )
    )


def look_up(client, reference, digits, language="en", **extra):
    return client.post(URL, {"lang": language, "reference": reference, "phone_digits": digits}, **extra)


def test_the_right_pair_shows_the_status_in_plain_words_and_nothing_else(client, hospital_a):
    complaint = new_complaint(hospital_a)
    response = look_up(client, complaint.reference, "4567")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<bdi dir="ltr">{complaint.reference}</bdi>' in page
    assert '<strong data-testid="status">Received</strong>' in page
    assert "We have received your complaint." in page
    received = timezone.localtime(complaint.received_at).date()
    assert f"{received.day} {received:%B} {received.year}" in page
    assert "We expect to answer by" in page and "AH)" in page
    assert "Answered on" not in page
    for secret in ("SECRETSUMMARY", "SECRETDESCRIPTION", "SECRETNAME", "0501234567", "+966", hospital_a.name_en):
        assert secret not in page
    assert response["Cache-Control"] == "no-store"


def test_arabic_indic_digits_and_a_reference_typed_loosely_are_understood(client, hospital_a):
    complaint = new_complaint(hospital_a)
    typed = complaint.reference.lower().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = look_up(client, f" {typed} ", "٤٥٦٧", language="ar")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page
    assert complaint.reference in page
    with translation.override("ar"):
        status = translation.pgettext("complaint for the public", "Received")
    assert f'<strong data-testid="status">{status}</strong>' in page


def test_a_resolved_complaint_shows_when_it_was_answered(client, hospital_a):
    complaint = new_complaint(hospital_a)
    complaint.resolution = "We apologised and retrained the reception team."
    complaint.save(update_fields=["resolution"])
    complaint_transition(complaint, ComplaintStatus.RESOLVED)
    page = look_up(client, complaint.reference, "4567").content.decode()
    assert '<strong data-testid="status">Answered</strong>' in page
    assert "Answered on" in page
    assert "We expect to answer by" not in page
    assert "retrained" not in page


def test_every_wrong_pair_gets_one_and_the_same_answer(hospital_a, hospital_b):
    with_phone = new_complaint(hospital_a)
    anonymous = new_complaint(hospital_a, kind=ComplainantKind.ANONYMOUS)
    email_only = new_complaint(hospital_b, phone="", email="sara@example.com")
    year = timezone.localtime().year
    tries = {
        "wrong digits": (with_phone.reference, "4568"),
        "right digits of another number": (with_phone.reference, "1234"),
        "unknown reference": (f"CMP-{year}-999999", "4567"),
        "anonymous, no phone": (anonymous.reference, "4567"),
        "e-mail only, no phone": (email_only.reference, "0000"),
        "too few digits": (with_phone.reference, "67"),
        "not a reference": ("hello", "4567"),
    }
    answers = {}
    for case, (reference, digits) in tries.items():
        client = Client()
        client.get(URL)  # a visitor reads the page first, as a person would
        answers[case] = look_up(client, reference, digits)
    first = next(iter(answers.values()))
    assert first.status_code == 200
    assert "We cannot show a complaint for these details" in first.content.decode()
    for case, response in answers.items():
        assert response.status_code == first.status_code, case
        assert response.content == first.content, case
        assert sorted(response.headers.items()) == sorted(first.headers.items()), case


def test_empty_fields_are_asked_for_in_the_pages_language(client):
    response = client.post(URL, {"lang": "en", "reference": "", "phone_digits": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write the reference you were given, e.g. CMP-2026-000123." in page
    assert "Write the last four digits of the mobile number you gave." in page


def test_look_ups_are_rate_limited_per_client_address(client, hospital_a, settings):
    settings.PX360_COMPLAINT_STATUS_RATE_LIMIT_PER_HOUR = 3
    complaint = new_complaint(hospital_a)
    year = timezone.localtime().year
    for number in range(3):
        assert look_up(client, f"CMP-{year}-99999{number}", "0000").status_code == 200
    # Even the right pair waits once the address has used its look-ups.
    refused = look_up(client, complaint.reference, "4567")
    assert refused.status_code == 429
    assert complaint.reference not in refused.content.decode()
    assert look_up(client, complaint.reference, "4567", REMOTE_ADDR="10.9.8.7").status_code == 200


def test_the_status_page_is_arabic_by_default(client):
    page = client.get(URL).content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'inputmode="numeric"' in page


def test_one_reference_cannot_be_guessed_from_many_addresses(client, hospital_a, settings):
    settings.PX360_COMPLAINT_STATUS_RATE_LIMIT_PER_HOUR = 3
    complaint = new_complaint(hospital_a)
    for number, digits in enumerate(("0000", "1111", "2222")):
        assert look_up(client, complaint.reference, digits, REMOTE_ADDR=f"10.0.0.{number}").status_code == 200
    assert look_up(client, complaint.reference.lower(), "4567", REMOTE_ADDR="10.0.0.9").status_code == 429
    # An unknown reference is counted the same way, so the count reveals nothing.
    unknown = f"CMP-{timezone.localtime().year}-999999"
    for number in range(3):
        assert look_up(client, unknown, "0000", REMOTE_ADDR=f"10.0.1.{number}").status_code == 200
    assert look_up(client, unknown, "0000", REMOTE_ADDR="10.0.1.9").status_code == 429
