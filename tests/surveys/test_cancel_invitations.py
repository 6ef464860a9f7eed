"""The admin action "Cancel selected invitations" cancels the invitations selected, not their encounter's others."""

import pytest
from django.urls import reverse
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.journeys.models import JourneyStageInstance, StageStatus
from px360.notifications.choices import NotificationStatus
from px360.notifications.models import Notification
from px360.surveys.choices import SurveyStatus
from px360.surveys.models import SurveyInstance, SurveyPolicy
from px360.surveys.services import survey_schedule_for_stage, surveys_cancel, surveys_dispatch_due

from .conftest import riyadh

pytestmark = pytest.mark.django_db

NOW = "2026-11-20T12:00:00+03:00"


@pytest.fixture
def two_pending_on_one_encounter(make_patient, complete_stage, library, hospital_a):
    """One visit with two surveyed stages, each with its invitation sent (its message queued)."""
    # The one-survey-per-period rule would suppress the second; this hospital allows both.
    with freeze_time(NOW):
        SurveyPolicy.objects.create(hospital=hospital_a, frequency_days=0)
        first_stage = complete_stage(make_patient(), survey=library["nps-only"], at=riyadh(2026, 11, 20, 9, 0))
        second_stage = JourneyStageInstance.objects.create(
            journey=first_stage.journey,
            order=2,
            code="pharmacy",
            name_ar="الصيدلية",
            name_en="Pharmacy",
            survey_template=library["opd-visit"],
            survey_delay_hours=2,
            status=StageStatus.COMPLETED,
            completed_at=riyadh(2026, 11, 20, 9, 30),
        )
        first = survey_schedule_for_stage(stage=first_stage)
        second = survey_schedule_for_stage(stage=second_stage)
        surveys_dispatch_due()
        first.refresh_from_db()
        second.refresh_from_db()
        assert {first.status, second.status} == {SurveyStatus.INVITED}
        assert first.encounter_id == second.encounter_id
    assert Notification.objects.filter(survey_instance=first).exists()
    assert Notification.objects.filter(survey_instance=second).exists()
    return first, second


@freeze_time(NOW)
def test_cancelling_one_invitation_leaves_the_other_of_the_same_encounter(
    client, two_pending_on_one_encounter, hospital_admin_a
):
    selected, other = two_pending_on_one_encounter
    client.force_login(hospital_admin_a)

    response = client.post(
        reverse("admin:surveys_surveyinstance_changelist"),
        {"action": "cancel_selected", "_selected_action": [str(selected.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == ["أُلغيت دعوة واحدة."]  # one cancelled
    selected.refresh_from_db()
    other.refresh_from_db()
    assert selected.status == SurveyStatus.CANCELLED and selected.cancel_reason == "cancelled by ha_admin"
    assert other.status == SurveyStatus.INVITED and other.cancelled_at is None
    assert not Notification.objects.filter(survey_instance=other, status=NotificationStatus.CANCELLED).exists()
    unsent = Notification.objects.filter(survey_instance=selected).exclude(status=NotificationStatus.CANCELLED)
    assert not unsent.exists()  # the cancelled invitation's message will not go out


@freeze_time(NOW)
def test_an_answered_invitation_is_not_cancelled(client, two_pending_on_one_encounter, hospital_admin_a):
    selected, answered = two_pending_on_one_encounter
    SurveyInstance.objects.filter(pk=answered.pk).update(status=SurveyStatus.COMPLETED)
    client.force_login(hospital_admin_a)

    client.post(
        reverse("admin:surveys_surveyinstance_changelist"),
        {"action": "cancel_selected", "_selected_action": [str(selected.pk), str(answered.pk)]},
    )

    selected.refresh_from_db()
    answered.refresh_from_db()
    assert selected.status == SurveyStatus.CANCELLED
    assert answered.status == SurveyStatus.COMPLETED and answered.cancelled_at is None


@freeze_time(NOW)
def test_the_service_cancels_only_pending_invitations_among_those_given(two_pending_on_one_encounter):
    selected, answered = two_pending_on_one_encounter
    SurveyInstance.objects.filter(pk=answered.pk).update(status=SurveyStatus.COMPLETED)

    cancelled = surveys_cancel(instances=SurveyInstance.objects.filter(pk__in=[selected.pk, answered.pk]), reason="x")

    assert cancelled == 1
    assert set(SurveyInstance.objects.values_list("status", flat=True)) == {
        SurveyStatus.CANCELLED,
        SurveyStatus.COMPLETED,
    }


@freeze_time(NOW)
def test_another_hospitals_invitations_are_not_cancelled(client, two_pending_on_one_encounter, make_user, hospital_b):
    selected, other = two_pending_on_one_encounter
    outsider = make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_b, username="hb_admin")
    client.force_login(outsider)
    client.post(
        reverse("admin:surveys_surveyinstance_changelist"),
        {"action": "cancel_selected", "_selected_action": [str(selected.pk), str(other.pk)]},
    )
    selected.refresh_from_db()
    other.refresh_from_db()
    assert selected.status == other.status == SurveyStatus.INVITED  # another hospital's admin cannot touch them
