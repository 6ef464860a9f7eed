"""The public complaint form, from the outside: what a visitor sends is what staff receive, and nothing else."""

import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from px360.complaints.choices import Channel, ComplainantKind, ComplaintStatus
from px360.complaints.models import Complaint, ComplaintAttachment
from px360.sla.choices import ClockKind
from px360.sla.selectors import clocks_of

from ..factories import DepartmentFactory, HospitalFactory
from .samples import png_bytes

pytestmark = pytest.mark.django_db

URL = "/complaints/"
REFERENCE = re.compile(r"CMP-\d{4}-\d{6}")


def form_data(where, **changes):
    data = {
        "lang": "ar",
        "hospital": where.code,
        "complainant_kind": ComplainantKind.PATIENT,
        "contact_name": "نورة العتيبي",
        "contact_phone": "0501234567",
        "contact_email": "",
        "language": "ar",
        "department": "",
        "summary": "تأخر موعد العيادة",
        "description": "انتظرت ثلاث ساعات بعد موعدي في عيادة الباطنة دون أي توضيح.",
        "website": "",
    }
    data.update(changes)
    return data


def test_a_complaint_sent_from_the_form_gets_a_reference_and_its_clocks(client, hospital_a, department_a):
    response = client.post(URL, form_data(hospital_a, department=str(department_a.pk), identity_withheld="on"))

    assert response.status_code == 302
    assert response["Location"] == "/complaints/thanks/?lang=ar"
    complaint = Complaint.objects.get()
    assert REFERENCE.fullmatch(complaint.reference)
    assert complaint.reference.startswith(f"CMP-{timezone.localtime().year}-")
    assert complaint.channel == Channel.WEB
    assert complaint.status == ComplaintStatus.NEW
    assert (complaint.hospital, complaint.department) == (hospital_a, department_a)
    assert complaint.contact_phone == "+966501234567"
    assert complaint.contact_name == "نورة العتيبي"
    assert complaint.identity_withheld is True
    assert complaint.created_by is None
    # The default policy the migrations seed starts both clocks; the expected date is told to the complainant.
    assert {clock.clock for clock in clocks_of(complaint)} == {ClockKind.ACKNOWLEDGE, ClockKind.RESOLVE}
    assert complaint.expected_by is not None and complaint.expected_by > complaint.received_at

    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    page = thanks.content.decode()
    assert f'<bdi dir="ltr" data-testid="reference">{complaint.reference}</bdi>' in page
    assert 'href="/complaints/status/?lang=ar"' in page
    assert "نورة" not in page  # the page repeats nothing the visitor typed


def test_the_thank_you_page_without_a_complaint_sends_the_visitor_to_the_form(client):
    response = client.get("/complaints/thanks/?lang=en")
    assert response.status_code == 302
    assert response["Location"] == "/complaints/?lang=en"


def test_the_page_is_arabic_right_to_left_by_default_and_switches_to_english(client, hospital_a):
    arabic = client.get(URL)
    page = arabic.content.decode()
    assert arabic.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page
    assert arabic["Content-Language"] == "ar"
    with translation.override("ar"):
        assert f'<h1 id="form-title">{translation.gettext("Send a complaint")}</h1>' in page
    assert 'href="?lang=en"' in page

    english = client.get(URL + "?lang=en")
    assert '<html lang="en" dir="ltr">' in english.content.decode()
    assert "Send a complaint" in english.content.decode()
    assert 'href="?lang=ar"' in english.content.decode()


def test_an_english_browser_gets_english_and_the_switch_keeps_the_preselected_hospital(client, hospital_a):
    response = client.get(URL + f"?h={hospital_a.code}", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert '<html lang="en" dir="ltr">' in page
    assert f'href="?lang=ar&amp;h={hospital_a.code}"' in page


def test_the_hospital_in_the_link_is_chosen_and_only_active_hospitals_are_offered(client, hospital_a, hospital_b):
    closed = HospitalFactory(code="OLD", name_en="Closed Hospital", is_active=False)
    page = client.get(URL + f"?h={hospital_b.code}&lang=en").content.decode()
    assert f'<option value="{hospital_b.code}" selected>Hospital B</option>' in page
    assert f'<option value="{hospital_a.code}">Hospital A</option>' in page
    assert closed.code not in page


def test_the_page_has_csrf_and_refuses_a_post_without_it(hospital_a):
    client = Client(enforce_csrf_checks=True)
    page = client.get(URL).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    response = client.post(URL, form_data(hospital_a))
    assert response.status_code == 403
    assert not Complaint.objects.exists()


def test_a_robot_filling_the_hidden_field_gets_the_same_answer_and_nothing_is_kept(client, hospital_a, caplog):
    caplog.set_level(logging.DEBUG)
    person = Client()
    person_thanks = person.get(person.post(URL, form_data(hospital_a))["Location"])
    real = Complaint.objects.get()

    files = [SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")]
    response = client.post(URL, {**form_data(hospital_a, website="http://spam.example"), "attachments": files})

    assert response.status_code == 302
    assert response["Location"] == "/complaints/thanks/?lang=ar"
    robot_thanks = client.get(response["Location"])
    assert robot_thanks.status_code == person_thanks.status_code == 200
    robot_reference = REFERENCE.search(robot_thanks.content.decode()).group()
    assert robot_reference != real.reference
    # The same page, word for word, but for the reference.
    strip = lambda response: REFERENCE.sub("REF", response.content.decode())  # noqa: E731
    assert strip(robot_thanks) == strip(person_thanks)
    assert Complaint.objects.count() == 1
    assert not ComplaintAttachment.objects.exists()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for typed in ("نورة", "0501234567", "501234567", "انتظرت", "spam.example"):
        assert typed not in logged


def test_sending_is_rate_limited_per_client_address(client, hospital_a, settings):
    settings.PX360_COMPLAINT_RATE_LIMIT_PER_HOUR = 2
    for _ in range(2):
        assert client.post(URL, form_data(hospital_a)).status_code == 302
    refused = client.post(URL + "?lang=en", form_data(hospital_a, lang="en"))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "Too many attempts" in refused.content.decode()
    assert Complaint.objects.count() == 2
    # Another address is not held back.
    assert client.post(URL, form_data(hospital_a), REMOTE_ADDR="10.1.2.3").status_code == 302
    # Reading the form is not counted.
    assert client.get(URL).status_code == 200


def test_an_anonymous_complaint_keeps_no_contact_details(client, hospital_a):
    response = client.post(
        URL,
        form_data(
            hospital_a,
            complainant_kind=ComplainantKind.ANONYMOUS,
            contact_email="noura@example.com",
            contact_phone="not a number",
        ),
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.complainant_kind == ComplainantKind.ANONYMOUS
    assert (complaint.contact_name, complaint.contact_phone, complaint.contact_email, complaint.contact_relation) == (
        "",
        "",
        "",
        "",
    )
    assert complaint.identity_withheld is True
    with translation.override("en"):
        thanks = client.get("/complaints/thanks/?lang=en").content.decode()
    assert complaint.reference in thanks
    assert "You chose to stay anonymous" in thanks


def test_someone_writing_on_the_patients_behalf_gives_the_relation(client, hospital_a):
    missing = client.post(URL, form_data(hospital_a, lang="en", complainant_kind=ComplainantKind.ON_BEHALF))
    assert missing.status_code == 400
    assert "Say how you are related to the patient." in missing.content.decode()
    assert not Complaint.objects.exists()

    client.post(URL, form_data(hospital_a, complainant_kind=ComplainantKind.ON_BEHALF, contact_relation="child"))
    complaint = Complaint.objects.get()
    assert (complaint.complainant_kind, complaint.contact_relation) == (ComplainantKind.ON_BEHALF, "child")


@pytest.mark.parametrize(
    "language, message",
    [("ar", "أدخل رقم هاتف سعوديًا صحيحًا."), ("en", "Enter a valid Saudi phone number.")],
)
def test_an_invalid_phone_number_is_refused_in_the_pages_language(client, hospital_a, language, message):
    response = client.post(URL, form_data(hospital_a, lang=language, contact_phone="0512"))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="help-contact_phone error-contact_phone"' in page
    # What was typed is kept for the visitor to correct.
    assert 'value="0512"' in page and "انتظرت ثلاث ساعات" in page
    assert not Complaint.objects.exists()


def test_missing_answers_are_named_in_english(client, hospital_a):
    response = client.post(
        URL,
        form_data(hospital_a, lang="en", hospital="", contact_name="", contact_phone="", summary="", description=""),
    )
    assert response.status_code == 400
    page = response.content.decode()
    for message in (
        "Choose the hospital.",
        "Write your name, or choose to stay anonymous.",
        "Give a mobile number or an e-mail address so that we can answer you.",
        "Give a short summary.",
        "Describe what happened.",
    ):
        assert message in page, message
    assert "Please correct the points below." in page


def test_an_e_mail_alone_is_a_way_to_answer(client, hospital_a):
    client.post(URL, form_data(hospital_a, contact_phone="", contact_email="noura@example.com"))
    complaint = Complaint.objects.get()
    assert (complaint.contact_phone, complaint.contact_email) == ("", "noura@example.com")
    thanks = client.get("/complaints/thanks/?lang=en").content.decode()
    assert "We will answer you by e-mail." in thanks


def test_a_department_of_another_hospital_is_refused(client, hospital_a, department_b):
    response = client.post(URL, form_data(hospital_a, lang="en", department=str(department_b.pk)))
    assert response.status_code == 400
    assert "Choose a department of the hospital you chose." in response.content.decode()
    assert not Complaint.objects.exists()


def test_departments_are_offered_per_hospital_for_the_page_script(client, hospital_a, department_a, department_b):
    inactive = DepartmentFactory(hospital=hospital_a, code="OLD", name_en="Old ward", is_active=False)
    page = client.get(URL + "?lang=en").content.decode()
    assert '<script id="px-departments" type="application/json">' in page
    assert f'"{hospital_a.code}": [["{department_a.pk}", "Medicine"]]' in page
    assert f'"{department_b.hospital.code}": [["{department_b.pk}", "Medicine B"]]' in page
    assert str(inactive.pk) not in page
    assert '<script src="/static/complaints/public.js" defer></script>' in page
