"""The notification outbox: channels, fallback, retries, at-most-once sending, replies."""

import datetime as dt
import json

import pytest
from django.core import mail
from freezegun import freeze_time

from px360.notifications.choices import NotificationStatus
from px360.notifications.models import Notification
from px360.notifications.services import _claim, notifications_send_due
from px360.notifications.tasks import send_due
from px360.surveys.models import SurveyPolicy
from px360.surveys.services import survey_schedule_for_stage, surveys_dispatch_due

from ..surveys.conftest import riyadh

pytestmark = pytest.mark.django_db

DAYTIME = "2026-11-20T10:00:00+03:00"


@pytest.fixture
def invite(make_patient, complete_stage, opd_survey):
    """Schedule and dispatch one invitation for a patient; returns the instance."""

    def make(**patient_fields):
        patient = make_patient(**patient_fields)
        instance = survey_schedule_for_stage(
            stage=complete_stage(patient, survey=opd_survey, at=riyadh(2026, 11, 20, 9, 0), delay_hours=0)
        )
        surveys_dispatch_due()
        instance.refresh_from_db()
        return instance

    return make


@freeze_time(DAYTIME)
def test_the_invitation_is_short_in_the_patients_language_and_names_only_the_hospital(invite):
    instance = invite(preferred_language="ar", national_id="1000000008", mrn="MRN-SECRET")
    notification = instance.notifications.get()
    assert notification.channel == "whatsapp"  # first in the default order
    assert notification.language == "ar"
    body = notification.body
    assert "مستشفى أ" in body and "https://px.example.sa/s/" in body
    for private in ("سارة", "Sara", "الحربي", "MRN-SECRET", "1000000008"):
        assert private not in body
    assert len(body) < 200


@freeze_time(DAYTIME)
def test_an_english_speaking_patient_gets_english(invite):
    notification = invite(preferred_language="en").notifications.get()
    assert notification.language == "en"
    assert "Hospital A" in notification.body and "STOP" in notification.body


@freeze_time(DAYTIME)
def test_console_backend_writes_the_outbox_file_and_marks_delivered(invite, settings):
    instance = invite()
    counts = send_due()
    assert counts.get("delivered") == 1
    notification = instance.notifications.get()
    assert notification.status == NotificationStatus.DELIVERED
    files = list(settings.PX360_OUTBOX_DIR.glob("outbox-*.jsonl"))
    record = json.loads(files[0].read_text().splitlines()[0])
    assert record["id"] == str(notification.pk)


@freeze_time(DAYTIME)
def test_gateway_adapter_posts_the_payload_with_auth_header_and_sender(invite, gateway):
    instance = invite()
    send_due()
    request = gateway.requests[0]
    assert request["headers"]["Authorization"] == "Bearer test-token"
    payload = json.loads(request["body"])
    assert payload["to"] == "+966501234567" and payload["from"] == "PX360" and payload["channel"] == "whatsapp"
    notification = instance.notifications.get()
    assert (notification.status, notification.provider_id) == (NotificationStatus.SENT, "gw-1")


@freeze_time(DAYTIME)
def test_a_rerun_job_sends_each_notification_at_most_once(invite, gateway):
    invite()
    send_due()
    send_due()
    notifications_send_due()
    assert len(gateway.requests) == 1


@freeze_time(DAYTIME)
def test_a_crash_mid_batch_never_sends_twice(invite, gateway):
    """Rows a crashed worker claimed stay claimed; a later run does not resend them."""
    instance = invite()
    claimed = _claim(dt.datetime.now(dt.UTC), 10)  # the worker claims, then dies before sending
    assert claimed == [instance.notifications.get().pk]
    send_due()
    assert gateway.requests == []
    with freeze_time("2026-11-20T10:20:00+03:00"):
        send_due()
    assert gateway.requests == []
    notification = instance.notifications.get()
    assert notification.status == NotificationStatus.FAILED
    assert "not retried" in notification.error


@freeze_time(DAYTIME)
def test_transient_failures_retry_with_backoff_then_fail_over(invite, gateway, settings):
    settings.PX360_NOTIFY_MAX_ATTEMPTS = 2
    settings.PX360_NOTIFY_RETRY_BASE_SECONDS = 300
    gateway.responses = [(503, b"{}"), (503, b"{}")]
    instance = invite()
    send_due()
    notification = instance.notifications.get()
    assert notification.status == NotificationStatus.QUEUED
    assert notification.attempts == 1
    assert notification.next_attempt_at == riyadh(2026, 11, 20, 10, 5)
    send_due()  # not due yet: nothing happens
    assert len(gateway.requests) == 1
    with freeze_time("2026-11-20T10:06:00+03:00"):
        send_due()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED and notification.attempts == 2
    fallback = instance.notifications.exclude(pk=notification.pk).get()
    assert fallback.channel == "sms" and fallback.fallback_from == notification


@freeze_time(DAYTIME)
def test_fallback_follows_the_hospitals_channel_order(invite, gateway, hospital_a):
    SurveyPolicy.objects.create(hospital=hospital_a, channel_order=["sms", "whatsapp", "email"])
    gateway.responses = [(400, b'{"error": "invalid number"}'), (400, b'{"error": "not on whatsapp"}')]
    instance = invite()
    send_due()
    send_due()
    send_due()
    channels = list(instance.notifications.order_by("created_at").values_list("channel", "status"))
    assert channels == [("sms", "failed"), ("whatsapp", "failed"), ("email", "sent")]
    assert len(mail.outbox) == 1


@freeze_time(DAYTIME)
def test_email_is_bilingual_html_and_text(invite, hospital_a):
    SurveyPolicy.objects.create(hospital=hospital_a, channel_order=["email"])
    invite(preferred_language="ar")
    send_due()
    message = mail.outbox[0]
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "https://px.example.sa/s/" in message.body and "https://px.example.sa/s/" in html


def test_messages_queued_at_night_wait_for_the_morning(make_patient, complete_stage, opd_survey):
    with freeze_time(DAYTIME):
        instance = survey_schedule_for_stage(
            stage=complete_stage(make_patient(), survey=opd_survey, at=riyadh(2026, 11, 20, 9, 0), delay_hours=0)
        )
    with freeze_time("2026-11-20T22:30:00+03:00"):  # the job ran late (downtime)
        surveys_dispatch_due()
        assert instance.notifications.get().next_attempt_at == riyadh(2026, 11, 21, 8, 0)
        send_due()
        assert instance.notifications.get().status == NotificationStatus.QUEUED


# --- inbound hook -----------------------------------------------------------------------------


def _post(client, payload, secret="hook-secret"):
    return client.post(
        "/s/hooks/inbound/", data=json.dumps(payload), content_type="application/json", HTTP_X_PX360_SECRET=secret
    )


@freeze_time(DAYTIME)
@pytest.mark.parametrize("word", ["إيقاف", "ايقاف", "STOP", " stop "])
def test_a_stop_reply_opts_the_patient_out_of_that_channel(client, settings, invite, word):
    settings.PX360_INBOUND_SECRET = "hook-secret"
    instance = invite()
    response = _post(client, {"type": "reply", "channel": "whatsapp", "from": "0501234567", "text": word})
    assert response.json() == {"status": "ok", "opted_out": 1}
    patient = instance.patient
    patient.refresh_from_db()
    assert patient.opted_out_whatsapp and not patient.opted_out_sms
    assert instance.notifications.get().status == NotificationStatus.CANCELLED


@freeze_time(DAYTIME)
def test_other_replies_change_nothing(client, settings, invite):
    settings.PX360_INBOUND_SECRET = "hook-secret"
    instance = invite()
    assert (
        _post(client, {"type": "reply", "channel": "sms", "from": "+966501234567", "text": "thanks"}).json()[
            "opted_out"
        ]
        == 0
    )
    instance.patient.refresh_from_db()
    assert not instance.patient.opted_out_sms


def test_the_hook_needs_the_shared_secret(client, settings):
    settings.PX360_INBOUND_SECRET = ""
    assert _post(client, {}).status_code == 404
    settings.PX360_INBOUND_SECRET = "hook-secret"
    assert _post(client, {"type": "reply"}, secret="wrong").status_code == 403


@freeze_time(DAYTIME)
def test_delivery_reports_mark_messages_delivered(client, settings, invite, gateway):
    settings.PX360_INBOUND_SECRET = "hook-secret"
    instance = invite()
    send_due()
    assert _post(client, {"type": "status", "id": "gw-1", "status": "delivered"}).json()["updated"] == 1
    notification = instance.notifications.get()
    assert notification.status == NotificationStatus.DELIVERED and notification.delivered_at is not None


def test_queueing_twice_with_one_key_makes_one_row(hospital_a):
    from px360.notifications.services import notification_queue

    args = {
        "hospital": hospital_a,
        "channel": "sms",
        "recipient": "+966500000000",
        "language": "ar",
        "template_key": "survey_invitation",
        "purpose": "survey_invitation",
        "idempotency_key": "k1",
        "context": {"hospital": "X", "link": "https://x/s/1/"},
    }
    first, created = notification_queue(**args)
    second, created_again = notification_queue(**args)
    assert created and not created_again and first.pk == second.pk
    assert Notification.objects.count() == 1
