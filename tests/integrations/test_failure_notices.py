"""A failed HIS message reaches the hospital's PX Coordinators as a staff notice."""

import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.integrations.choices import EventStatus
from px360.integrations.models import InboundEvent
from px360.notifications.models import StaffNotice

from .messages import adt

pytestmark = pytest.mark.django_db


def test_the_hospitals_coordinators_hear_of_a_failed_his_message_and_no_one_else(
    send, make_user, hospital_a, hospital_b
):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord-a")
    other_hospital = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_b, username="coord-b")
    viewer = make_user(RoleCode.VIEWER, hospital=hospital_a, username="viewer-a")

    send(adt("A08", control_id="UPD-404", visit="NEVER"), hl7=True)

    event = InboundEvent.objects.get(message_id="UPD-404")
    assert event.status == EventStatus.FAILED
    notices = list(StaffNotice.objects.all())
    assert [notice.user for notice in notices] == [coordinator]
    assert notices[0].kind == "integrations.his_message_failed"
    assert notices[0].link == reverse("admin:integrations_inboundevent_change", args=[event.pk])
    assert not StaffNotice.objects.filter(user__in=[other_hospital, viewer]).exists()
    # The details name the message, never the patient.
    assert "NEVER" not in str(notices[0].params) and "MRN" not in str(notices[0].params)
