"""The issue's "done when": an outpatient visit discharged through the journey engine
produces, after the delay and outside quiet hours, one invitation in the outbox, whose
link takes one set of answers that appears scored in the admin."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from freezegun import freeze_time

from px360.journeys import engine
from px360.journeys import library as journey_library
from px360.journeys.models import Encounter, StageStatus
from px360.notifications.models import Notification
from px360.notifications.tasks import send_due
from px360.surveys.demo import load_surveys
from px360.surveys.models import SurveyResponse
from px360.surveys.services import survey_link_value
from px360.surveys.tasks import run_due

from .conftest import riyadh

pytestmark = pytest.mark.django_db


def test_an_outpatient_visit_discharged_in_the_evening_is_invited_the_next_morning(client, make_patient, superuser):
    journey_library.load_journey_templates()
    load_surveys()
    patient = make_patient()
    discharged = riyadh(2026, 11, 20, 19, 30)  # + 2 h delay = 21:30, inside quiet hours
    with freeze_time(discharged):
        encounter = Encounter.objects.create(
            hospital=patient.hospital,
            encounter_number="OPD-1",
            encounter_type="OPD",
            patient=patient,
            admitted_at=discharged - dt.timedelta(hours=1),
            discharged_at=discharged,
            status="discharged",
        )
        journey = engine.journey_start(encounter=encounter)
        stage = journey.stages.get(code="end_of_visit")
        engine.stage_transition(stage=stage, status=StageStatus.COMPLETED, at=discharged, event_type="A03")
    for moment in ("2026-11-20T21:31:00+03:00", "2026-11-21T07:59:00+03:00"):
        with freeze_time(moment):
            run_due()
            send_due()
            assert not Notification.objects.exists()
    with freeze_time("2026-11-21T08:00:00+03:00"):
        run_due()
        run_due()
        send_due()
        notification = Notification.objects.get()
        assert notification.status == "delivered"
        instance = notification.survey_instance
        link = f"/s/{survey_link_value(instance)}/"
        page = client.get(link)
        assert 'dir="rtl"' in page.content.decode()
        answers = {
            "action": "submit",
            "q_recommend": "10",
            "q_access_ease": "5",
            "q_wait_time": "4",
            "q_doctor_explained": "5",
            "q_doctor_listened": "5",
            "q_staff_courtesy": "4",
            "q_care_coordination": "1",
        }
        assert client.post(link, answers).status_code == 302
        assert client.post(link, answers).status_code == 404
    response = SurveyResponse.objects.get()
    # Ratings 5, 4, 5, 5, 4 -> 100, 75, 100, 100, 75: a mean of 90; the yes/no answer is not a rating.
    assert response.mean_score == Decimal("90.00")
    assert (response.nps_value, response.nps_category, response.is_negative) == (10, "promoter", False)
    staff = Client()  # a fresh browser: the patient's session is not the admin's
    staff.force_login(superuser)
    admin_response = staff.get(f"/ar/admin/surveys/surveyresponse/{response.pk}/change/", follow=True)
    assert admin_response.status_code == 200
    admin_page = admin_response.content.decode()
    assert "كيف تقيّم سهولة حجز موعدك؟" in admin_page and "5 / 5" in admin_page
