"""Finding the messages sent to a patient: by the number or address they went to, or by the patient.

Recipients are matched whole, in the form they are stored (E.164 phone
numbers), however the coordinator writes them; the message text (which holds
the survey link) is never searched, and another hospital's messages are never
found, even to the same number.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.core.models import AuditAction, AuditEvent
from px360.notifications.models import Notification

from ..factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "admin:notifications_notification_changelist"


def message(hospital, key, *, recipient, patient=None, channel="sms", purpose="survey_invitation"):
    return Notification.objects.create(
        hospital=hospital,
        patient=patient,
        purpose=purpose,
        channel=channel,
        recipient=recipient,
        language="ar",
        template_key=purpose,
        body=f"https://px.example.sa/s/TOKEN-{key}/",
        idempotency_key=f"search-{key}",
    )


@pytest.fixture
def outbox(hospital_a, hospital_b):
    noura = PatientFactory(hospital=hospital_a, mrn="N-1", name_ar="نورة إبراهيم", phone="+966551234567")
    noura_b = PatientFactory(hospital=hospital_b, mrn="N-1", name_ar="نورة إبراهيم", phone="+966551234567")
    child = PatientFactory(hospital=hospital_a, mrn="C-9", name_ar="ريم", phone="")
    return {
        "sms": message(hospital_a, "a1", recipient="+966551234567", patient=noura),
        "email": message(hospital_a, "a2", recipient="Noura.I@Example.com", patient=noura, channel="email"),
        "reminder": message(hospital_a, "a3", recipient="+966551234567", patient=noura, purpose="survey_reminder"),
        # A minor's survey goes to the guardian's number.
        "guardian": message(hospital_a, "a4", recipient="+966562223344", patient=child),
        # The same person, the same number, in hospital B.
        "other": message(hospital_b, "b1", recipient="+966551234567", patient=noura_b),
        "other_only": message(hospital_b, "b2", recipient="+966590000001"),
    }


@pytest.fixture
def coordinator(make_user, hospital_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="outbox_coordinator")


def found(client, term):
    response = client.get(reverse(URL), {"q": term})
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def ids(outbox, *names):
    return {outbox[name].pk for name in names}


@pytest.mark.parametrize(
    "term", ["0551234567", "+966551234567", "٠٥٥١٢٣٤٥٦٧", "00966 55 123 4567", "966551234567", "551234567"]
)
def test_a_phone_written_any_way_finds_the_messages_sent_to_it_in_the_users_hospital(client, outbox, coordinator, term):
    client.force_login(coordinator)
    assert found(client, term) == ids(outbox, "sms", "email", "reminder")


def test_an_address_is_found_whatever_its_case(client, outbox, coordinator):
    client.force_login(coordinator)
    assert found(client, "noura.i@example.com") == ids(outbox, "email")
    assert found(client, "Noura.I@Example.com") == ids(outbox, "email")
    assert found(client, "example.com") == set()  # whole addresses only


def test_the_patients_mrn_or_name_finds_their_messages(client, outbox, coordinator):
    client.force_login(coordinator)
    assert found(client, "N-1") == ids(outbox, "sms", "email", "reminder")
    assert found(client, "نوره ابراهيم") == ids(outbox, "sms", "email", "reminder")  # ة/ه, إ/ا
    assert found(client, "ريم") == ids(outbox, "guardian")


def test_a_guardians_number_finds_the_message_sent_to_it(client, outbox, coordinator):
    client.force_login(coordinator)
    assert found(client, "0562223344") == ids(outbox, "guardian")


@pytest.mark.parametrize("persona", [RoleCode.PX_COORDINATOR, RoleCode.HOSPITAL_ADMIN])
def test_another_hospitals_messages_are_never_found(client, outbox, make_user, hospital_a, persona):
    client.force_login(make_user(persona, hospital=hospital_a, username=f"outbox_{persona}"))
    assert found(client, "0590000001") == set()
    assert outbox["other"].pk not in found(client, "0551234567")
    assert outbox["other"].pk not in found(client, "N-1")


def test_the_text_and_parts_of_a_recipient_are_not_searched(client, outbox, coordinator):
    client.force_login(coordinator)
    for term in ("TOKEN-a1", "px.example.sa", "1234567", "4567", "+9665"):
        assert found(client, term) == set(), term
    # Nor filtered on, by URL.
    for param in ("recipient__startswith", "recipient", "body__contains", "patient__mrn"):
        assert client.get(reverse(URL), {param: "+966"}).status_code == 400, param


def test_searches_are_audited_and_not_counted(client, outbox, coordinator):
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as queries:
        found(client, "0551234567")
    assert not [q for q in queries if "COUNT(" in q["sql"].upper() and "notifications_notification" in q["sql"]]
    event = AuditEvent.objects.get(action=AuditAction.SEARCH)
    assert event.content_type.model == "notification" and event.details["term"]["kind"] == "phone"
    assert "0551234567" not in str(event.details)


def test_a_px_admin_finds_the_number_in_every_hospital(client, outbox, make_user, hospital_a):
    client.force_login(make_user(RoleCode.PX_ADMIN, hospital=hospital_a, username="outbox_px_admin"))
    assert found(client, "0551234567") == ids(outbox, "sms", "email", "reminder", "other")


def test_the_list_shows_purposes_and_hospital_names_not_keys_or_codes(client, outbox, coordinator):
    client.force_login(coordinator)
    english = client.get("/en/admin/notifications/notification/").content.decode()
    assert "Survey invitation" in english and "Survey reminder" in english and "Hospital A" in english
    assert "survey_invitation" not in english.replace('value="survey_invitation"', "")
    assert ">HA<" not in english and "HA · " not in english
    arabic = client.get("/ar/admin/notifications/notification/").content.decode()
    assert "مستشفى أ" in arabic and ">HA<" not in arabic and "HA · " not in arabic
    for secret in ("TOKEN-a1", "+966551234567", "Noura.I@Example.com"):
        assert secret not in english and secret not in arabic


def test_the_message_page_names_the_template_and_keeps_its_key(client, outbox, coordinator):
    client.force_login(coordinator)
    page = client.get(f"/en/admin/notifications/notification/{outbox['sms'].pk}/change/").content.decode()
    assert "Survey invitation" in page and "survey_invitation" in page
    assert "TOKEN-a1" not in page and "+966551234567" not in page
