"""The negative flag follows the thresholds of the response's own hospital, from the patient's submit.

A response is negative when a key 1–5 question scores at or below the hospital's
``negative_rating_max``, or likelihood to recommend at or below its ``negative_nps_max``
(``SurveyPolicy``; 2 and 6 when a hospital has no policy). Patients of two hospitals with
different thresholds answer through the public page; every answer below sits where the
hospital's threshold and the default disagree, or on the hospital's own boundary.
"""

import pytest
from freezegun import freeze_time

from px360.surveys.models import SurveyPolicy, SurveyResponse
from px360.surveys.services import survey_link_value, survey_schedule_for_stage, surveys_dispatch_due

from ..factories import PatientFactory
from .conftest import riyadh

pytestmark = pytest.mark.django_db

NOW = "2026-11-20T10:00:00+03:00"

# (hospital, instrument, answers, negative?) — the default thresholds (2 and 6) would say
# the opposite wherever the comment says so.
SUBMISSIONS = [
    ("A", "nps-only", {"q_recommend": "8"}, True),  # A: at most 8; the default: not negative
    ("A", "nps-only", {"q_recommend": "7"}, True),  # the default: not negative
    ("A", "nps-only", {"q_recommend": "9"}, False),  # just above A's threshold
    ("A", "opd-visit", {"q_doctor_explained": "3", "q_recommend": "10"}, True),  # the default: not negative
    ("A", "opd-visit", {"q_doctor_explained": "4", "q_recommend": "10"}, False),
    ("B", "nps-only", {"q_recommend": "5"}, False),  # B: at most 4; the default: negative
    ("B", "nps-only", {"q_recommend": "4"}, True),  # B's boundary
    ("B", "opd-visit", {"q_doctor_explained": "2", "q_recommend": "10"}, False),  # the default: negative
    ("B", "opd-visit", {"q_doctor_explained": "1", "q_recommend": "10"}, True),
]

OPD_OTHER_ANSWERS = {
    "q_access_ease": "5",
    "q_wait_time": "5",
    "q_doctor_listened": "5",
    "q_staff_courtesy": "5",
    "q_care_coordination": "1",
}


@pytest.fixture
def submit(client, library, complete_stage, settings):
    """A patient of ``hospital`` is invited to ``survey`` and submits ``answers`` on the public page."""
    settings.PX360_SURVEY_RATE_LIMIT_PER_MINUTE = 1000
    counter = iter(range(1, 1000))

    def answer(hospital, survey, answers) -> SurveyResponse:
        patient = PatientFactory(
            hospital=hospital, mrn=f"NEG{next(counter)}", phone="+966501234567", preferred_language="ar"
        )
        stage = complete_stage(patient, survey=library[survey], at=riyadh(2026, 11, 20, 9, 0), delay_hours=0)
        instance = survey_schedule_for_stage(stage=stage)
        surveys_dispatch_due()
        data = {"action": "submit", **answers}
        if survey == "opd-visit":
            data.update(OPD_OTHER_ANSWERS)
        page = client.post(f"/s/{survey_link_value(instance)}/", data)
        assert page.status_code == 302, page.content.decode()[:500]
        return SurveyResponse.objects.get(instance=instance)

    return answer


@freeze_time(NOW)
def test_each_hospitals_thresholds_decide_the_negative_flag_of_its_own_responses(submit, hospital_a, hospital_b):
    SurveyPolicy.objects.create(hospital=hospital_a, negative_rating_max=3, negative_nps_max=8)
    SurveyPolicy.objects.create(hospital=hospital_b, negative_rating_max=1, negative_nps_max=4)
    hospitals = {"A": hospital_a, "B": hospital_b}

    flags = []
    for code, survey, answers, _expected in SUBMISSIONS:
        response = submit(hospitals[code], survey, answers)
        assert response.hospital == hospitals[code]
        flags.append((code, survey, answers, response.is_negative))

    assert flags == [(code, survey, answers, expected) for code, survey, answers, expected in SUBMISSIONS]


@freeze_time(NOW)
def test_a_hospital_without_a_policy_uses_the_default_thresholds(submit, hospital_a, hospital_b):
    # Hospital B's strict policy must not leak into hospital A, which has none.
    SurveyPolicy.objects.create(hospital=hospital_b, negative_rating_max=4, negative_nps_max=9)
    cases = [
        ({"q_recommend": "6"}, "nps-only", True),
        ({"q_recommend": "7"}, "nps-only", False),
        ({"q_doctor_explained": "2", "q_recommend": "10"}, "opd-visit", True),
        ({"q_doctor_explained": "3", "q_recommend": "10"}, "opd-visit", False),
    ]
    flags = [submit(hospital_a, survey, answers).is_negative for answers, survey, _expected in cases]
    assert flags == [expected for _answers, _survey, expected in cases]


@freeze_time(NOW)
def test_a_changed_threshold_applies_to_the_next_submission(submit, hospital_a):
    policy = SurveyPolicy.objects.create(hospital=hospital_a, negative_nps_max=6)
    assert submit(hospital_a, "nps-only", {"q_recommend": "7"}).is_negative is False
    policy.negative_nps_max = 7
    policy.save()
    assert submit(hospital_a, "nps-only", {"q_recommend": "7"}).is_negative is True
