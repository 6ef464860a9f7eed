"""The integration analyst's screens."""

import re

import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.core.models import AuditAction, AuditEvent
from px360.integrations.choices import EventStatus
from px360.integrations.models import ApiKey, InboundEvent
from px360.journeys.models import Encounter
from px360.organizations.models import Patient

from ..factories import DepartmentFactory
from .messages import adt

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user, hospital_a):
    return make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="analyst")


def test_failed_events_are_found_by_status_and_show_why(client, send, analyst):
    send(adt("A04", control_id="BAD-DEPT", point_of_care="NOPE"), hl7=True)
    send(adt("A04", control_id="GOOD", visit="G1"), hl7=True)
    client.force_login(analyst)
    listing = client.get(reverse("admin:integrations_inboundevent_changelist"), {"status__exact": "failed"})
    assert [event.message_id for event in listing.context["cl"].result_list] == ["BAD-DEPT"]
    event = InboundEvent.objects.get(message_id="BAD-DEPT")
    page = client.get(reverse("admin:integrations_inboundevent_change", args=[event.pk])).content.decode()
    assert "NOPE" in page  # the error names the unknown department
    assert "MSH|^~\\&amp;|HIS|HA" in page  # the raw message is readable


def test_retry_one_event_after_fixing_its_cause(client, send, analyst, hospital_a, django_capture_on_commit_callbacks):
    send(adt("A04", control_id="RETRY-1", visit="R1", point_of_care="CARD"), hl7=True)
    event = InboundEvent.objects.get(message_id="RETRY-1")
    DepartmentFactory(hospital=hospital_a, code="CARD")
    client.force_login(analyst)
    url = reverse("admin:integrations_inboundevent_retry_one", args=[event.pk])
    assert client.get(url).status_code == 200  # a confirmation page; nothing happens on GET
    event.refresh_from_db()
    assert event.status == EventStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED


def test_retry_many_events(client, send, analyst, hospital_a, django_capture_on_commit_callbacks):
    for n in range(3):
        send(adt("A04", control_id=f"MANY-{n}", visit=f"M{n}", point_of_care="CARD"), hl7=True)
    DepartmentFactory(hospital=hospital_a, code="CARD")
    client.force_login(analyst)
    ids = [str(pk) for pk in InboundEvent.objects.values_list("pk", flat=True)]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:integrations_inboundevent_changelist"),
            {"action": "retry_selected", "_selected_action": ids},
        )
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {EventStatus.PROCESSED}


def test_stored_messages_cannot_be_edited(client, send, analyst):
    send(adt("A04", control_id="RO-1"), hl7=True)
    event = InboundEvent.objects.get()
    client.force_login(analyst)
    response = client.post(reverse("admin:integrations_inboundevent_change", args=[event.pk]), {"raw": "changed"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.raw.startswith("MSH")


def test_events_of_another_hospital_are_not_visible(client, send, make_user, hospital_b):
    send(adt("A04", control_id="HIDDEN"), hl7=True)
    outsider = make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_b, username="other_admin")
    client.force_login(outsider)
    event = InboundEvent.objects.get()
    assert client.get(reverse("admin:integrations_inboundevent_change", args=[event.pk])).status_code == 404
    listing = client.get(reverse("admin:integrations_inboundevent_changelist"))
    assert list(listing.context["cl"].result_list) == []


def test_px_admin_creates_a_key_shown_once_and_audited(client, his, make_user, hospital_a):
    px_admin = make_user(RoleCode.PX_ADMIN, hospital=hospital_a, username="pxa")
    client.force_login(px_admin)
    url = reverse("admin:integrations_integrationsource_new_key", args=[his["source"].pk])
    assert "data-testid" not in client.get(url).content.decode()  # confirmation first
    page = client.post(url).content.decode()
    key = re.search(r'data-testid="api-key">([^<]+)<', page).group(1)
    prefix = key.split("_")[1]
    api_key = ApiKey.objects.get(prefix=prefix)
    assert key not in (api_key.key_hash,)
    assert AuditEvent.objects.filter(action=AuditAction.API_KEY_CREATED, details__prefix=prefix).exists()
    # The change page never shows the full key again.
    change = client.get(reverse("admin:integrations_integrationsource_change", args=[his["source"].pk]))
    assert key not in change.content.decode()


def test_hospital_admin_cannot_create_keys(client, his, analyst):
    client.force_login(analyst)
    url = reverse("admin:integrations_integrationsource_new_key", args=[his["source"].pk])
    response = client.post(url)
    assert response.status_code == 403
    assert ApiKey.objects.count() == 1


def test_reprocess_asks_first_then_applies_a_processed_event_again(
    client, send, analyst, django_capture_on_commit_callbacks
):
    send(adt("A04", control_id="REP-REG"), hl7=True)
    send(adt("A08", control_id="REP-UPD").replace("Al-Harbi^Mohammed", "Al-Harbi^Mohamed"), hl7=True)
    event = InboundEvent.objects.get(message_id="REP-UPD")
    patient = Encounter.objects.get(encounter_number="V1001").patient
    Patient.objects.filter(pk=patient.pk).update(name_en="Changed Elsewhere")
    client.force_login(analyst)
    url = reverse("admin:integrations_inboundevent_reprocess_one", args=[event.pk])

    confirmation = client.get(url)
    assert confirmation.status_code == 200 and "<form" in confirmation.content.decode()
    patient.refresh_from_db()
    assert patient.name_en == "Changed Elsewhere"  # nothing happens on GET

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED and event.attempts == 2
    patient.refresh_from_db()
    assert patient.name_en == "Mohamed Al-Harbi"  # the event's values were applied again


def test_a_rejected_event_is_not_reprocessed(client, send, analyst, django_capture_on_commit_callbacks):
    send(adt("A04", control_id="REP-BAD", visit="V" * 41), hl7=True)
    event = InboundEvent.objects.get(message_id="REP-BAD")
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:integrations_inboundevent_reprocess_one", args=[event.pk]))
    event.refresh_from_db()
    assert event.status == EventStatus.REJECTED and event.attempts == 0


def test_reprocess_is_refused_outside_the_users_hospital_and_without_the_permission(
    client, send, make_user, hospital_a, hospital_b
):
    send(adt("A04", control_id="REP-OUT"), hl7=True)
    event = InboundEvent.objects.get(message_id="REP-OUT")
    url = reverse("admin:integrations_inboundevent_reprocess_one", args=[event.pk])
    client.force_login(make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_b, username="other_admin"))
    assert client.post(url).status_code == 404
    client.force_login(make_user(RoleCode.VIEWER, hospital=hospital_a, username="viewer_a"))
    assert client.post(url).status_code == 404  # no view permission: the event does not exist for them
    event.refresh_from_db()
    assert event.attempts == 1
