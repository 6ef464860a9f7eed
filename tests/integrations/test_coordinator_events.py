"""A PX Coordinator follows up the HIS messages of their own hospital.

They read and retry failed messages of their hospital; another hospital's
messages, and unreadable messages from a source that sends for several
hospitals (which name no hospital), stay out of their reach and answer 404
like a message that does not exist.
"""

import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.integrations.choices import EventStatus
from px360.integrations.models import InboundEvent, IntegrationSource
from px360.integrations.services import api_key_create

from ..factories import DepartmentFactory
from .messages import adt

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(make_user, hospital_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a")


@pytest.fixture
def shared_source_key(hospital_a, hospital_b):
    """A source that sends for both hospitals: its unreadable messages name neither."""
    source = IntegrationSource.objects.create(code="engine", name="Interface engine")
    source.hospitals.add(hospital_a, hospital_b)
    return api_key_create(source=source)[1]


def _changelist_ids(client, **params):
    response = client.get(reverse("admin:integrations_inboundevent_changelist"), params)
    assert response.status_code == 200
    return {event.message_id or event.pk for event in response.context["cl"].result_list}


def test_a_coordinator_finds_the_failed_messages_of_their_hospital(client, send, coordinator):
    send(adt("A04", control_id="FAILED-A", point_of_care="NOPE"), hl7=True)
    client.force_login(coordinator)
    assert _changelist_ids(client, status__exact="failed") == {"FAILED-A"}
    event = InboundEvent.objects.get(message_id="FAILED-A")
    page = client.get(reverse("admin:integrations_inboundevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert "NOPE" in page.content.decode()  # the reason is readable
    # The sidebar offers the screen.
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:integrations_inboundevent_changelist") in index


def test_a_coordinator_retries_a_failed_message_of_their_hospital(
    client, send, coordinator, hospital_a, django_capture_on_commit_callbacks
):
    send(adt("A04", control_id="RETRY-C", visit="RC1", point_of_care="CARD"), hl7=True)
    event = InboundEvent.objects.get(message_id="RETRY-C")
    assert event.status == EventStatus.FAILED
    DepartmentFactory(hospital=hospital_a, code="CARD")
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:integrations_inboundevent_retry_one", args=[event.pk]))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED


def test_messages_of_another_hospital_answer_like_missing_ones(client, send, make_user, hospital_b):
    send(adt("A04", control_id="HOSPITAL-A", point_of_care="NOPE"), hl7=True)
    event = InboundEvent.objects.get(message_id="HOSPITAL-A")
    outsider = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_b, username="coord_b")
    client.force_login(outsider)
    assert _changelist_ids(client) == set()
    for url in (
        reverse("admin:integrations_inboundevent_change", args=[event.pk]),
        reverse("admin:integrations_inboundevent_retry_one", args=[event.pk]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    event.refresh_from_db()
    assert event.status == EventStatus.FAILED


def test_unreadable_messages_of_a_multi_hospital_source_stay_with_the_px_admin(
    client, send, coordinator, shared_source_key, make_user
):
    response = send("this is not a message", key=shared_source_key)
    assert response.status_code == 400
    event = InboundEvent.objects.get(status=EventStatus.REJECTED)
    assert event.hospital is None
    client.force_login(coordinator)
    assert _changelist_ids(client) == set()
    assert client.get(reverse("admin:integrations_inboundevent_change", args=[event.pk])).status_code == 404
    px_admin = make_user(RoleCode.PX_ADMIN, username="px_admin")
    client.force_login(px_admin)
    assert client.get(reverse("admin:integrations_inboundevent_change", args=[event.pk])).status_code == 200


def test_a_viewer_still_has_no_integration_screens(client, send, make_user, hospital_a):
    viewer = make_user(RoleCode.VIEWER, hospital=hospital_a, username="viewer_a")
    client.force_login(viewer)
    assert client.get(reverse("admin:integrations_inboundevent_changelist")).status_code == 403
