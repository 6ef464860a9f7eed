"""A response is negative by its survey template's rules (DOMAIN.md's by default), and keeps why.

Default rules: any rated question in the bottom box (1–2 of 5), an overall rating in the bottom
box (0–6 of 10) or a detractor (0–6) on likelihood to recommend. Each template switches them on
and off and sets its thresholds. The answers that met a rule are stored with the response when the
patient submits, so they stay as scored when the rules change later. Patients answer on the public
survey page here, as they do for real.
"""

import pytest
from freezegun import freeze_time

from px360.surveys.models import NegativeItems, SurveyResponse, SurveyTemplate
from px360.surveys.services import survey_link_value, survey_schedule_for_stage, surveys_dispatch_due

from ..factories import PatientFactory
from .conftest import riyadh

pytestmark = pytest.mark.django_db

NOW = "2026-11-20T10:00:00+03:00"

# An outpatient who is happy with everything ...
HAPPY_OPD = {
    "q_access_ease": "5",
    "q_wait_time": "5",
    "q_doctor_explained": "5",
    "q_doctor_listened": "5",
    "q_staff_courtesy": "5",
    "q_care_coordination": "1",
    "q_recommend": "10",
}
# ... and an inpatient who is too.
HAPPY_INPATIENT = {
    "q_nurse_courtesy": "5",
    "q_nurse_listen": "5",
    "q_nurse_explain": "5",
    "q_doctor_courtesy": "5",
    "q_doctor_explain": "5",
    "q_call_button": "4",
    "q_room_clean": "5",
    "q_room_quiet": "4",
    "q_medicine_explained": "1",
    "q_discharge_info": "1",
    "q_overall_rating": "10",
    "q_recommend": "10",
}
PHARMACY = "انتظرت أكثر من ساعتين في الصيدلية لاستلام الدواء."


@pytest.fixture
def answer(client, library, complete_stage, settings, hospital_a):
    """A patient of ``hospital`` (A by default) is invited to ``survey`` and submits ``answers``."""
    settings.PX360_SURVEY_RATE_LIMIT_PER_MINUTE = 1000
    counter = iter(range(1, 1000))

    def submit(survey, answers, *, hospital=None) -> SurveyResponse:
        template = survey if isinstance(survey, SurveyTemplate) else library[survey]
        patient = PatientFactory(
            hospital=hospital or hospital_a, mrn=f"NR{next(counter)}", phone="+966501234567", preferred_language="ar"
        )
        journey_type = "INPATIENT" if template.code == "inpatient-stay" else "OPD"
        stage = complete_stage(
            patient, survey=template, at=riyadh(2026, 11, 20, 9, 0), delay_hours=0, journey_type=journey_type
        )
        instance = survey_schedule_for_stage(stage=stage)
        surveys_dispatch_due()
        page = client.post(f"/s/{survey_link_value(instance)}/", {"action": "submit", **answers})
        assert page.status_code == 302, page.content.decode()[:800]
        return SurveyResponse.objects.get(instance=instance)

    return submit


def rules(template, **fields):
    for name, value in fields.items():
        setattr(template, name, value)
    template.full_clean()
    template.save()
    return template


@freeze_time(NOW)
def test_one_very_poor_booking_with_a_complaint_is_negative_though_the_patient_would_recommend_us(answer):
    response = answer("opd-visit", {**HAPPY_OPD, "q_access_ease": "1", "q_comments": PHARMACY})

    assert response.is_negative is True
    assert (response.nps_value, response.nps_category) == (10, "promoter")
    assert response.comments == PHARMACY
    assert response.negative_reasons == [
        {"question": "access_ease", "type": "rating_1_5", "value": 1, "scale": 5, "max": 2, "rule": "bottom_box"}
    ]


@freeze_time(NOW)
def test_a_happy_patient_is_not_negative_and_has_no_reasons(answer):
    response = answer("opd-visit", HAPPY_OPD)
    assert (response.is_negative, response.negative_reasons) == (False, [])


@freeze_time(NOW)
def test_every_answer_that_met_a_rule_is_listed_in_question_order(answer):
    response = answer("opd-visit", {**HAPPY_OPD, "q_wait_time": "2", "q_doctor_explained": "1", "q_recommend": "3"})
    assert [(r["question"], r["value"], r["rule"]) for r in response.negative_reasons] == [
        ("wait_time", 2, "bottom_box"),
        ("doctor_explained", 1, "bottom_box"),
        ("recommend", 3, "detractor"),
    ]


# --- each rule on and off, per template ----------------------------------------------------------------


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (NegativeItems.ANY, [("access_ease", "bottom_box"), ("doctor_explained", "bottom_box")]),
        (NegativeItems.KEY, [("doctor_explained", "key_bottom_box")]),  # doctor_explained is a key question
        (NegativeItems.NONE, []),
    ],
)
def test_which_rated_questions_count(answer, library, items, expected):
    rules(library["opd-visit"], negative_items=items)
    response = answer("opd-visit", {**HAPPY_OPD, "q_access_ease": "2", "q_doctor_explained": "1"})
    assert [(r["question"], r["rule"]) for r in response.negative_reasons] == expected
    assert response.is_negative is bool(expected)


@freeze_time(NOW)
@pytest.mark.parametrize(("detractor", "negative"), [(True, True), (False, False)])
def test_the_detractor_rule_can_be_switched_off(answer, library, detractor, negative):
    rules(library["nps-only"], negative_detractor=detractor)
    response = answer("nps-only", {"q_recommend": "0"})
    assert response.is_negative is negative
    assert (response.nps_value, response.nps_category) == (0, "detractor")  # still a detractor for the NPS


@freeze_time(NOW)
@pytest.mark.parametrize(("value", "negative"), [("6", True), ("7", False)])
def test_a_detractor_is_0_to_6(answer, value, negative):
    assert answer("nps-only", {"q_recommend": value}).is_negative is negative


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("overall", "items", "value", "expected"),
    [
        (True, NegativeItems.NONE, "6", "overall"),  # the overall rating counts whatever the items rule
        (True, NegativeItems.NONE, "7", None),  # 7 is above the 0–10 bottom box (0–6)
        (False, NegativeItems.NONE, "2", None),  # the rule is off: nothing counts
        (False, NegativeItems.ANY, "2", "bottom_box"),  # off, but it is still a rated question
    ],
)
def test_an_overall_rating_in_the_bottom_box(answer, library, overall, items, value, expected):
    template = rules(
        library["inpatient-stay"], overall_questions=["overall_rating"], negative_overall=overall, negative_items=items
    )
    assert template.negative_detractor  # recommend is 10 below: never a detractor
    response = answer("inpatient-stay", {**HAPPY_INPATIENT, "q_overall_rating": value})
    assert [r["rule"] for r in response.negative_reasons] == ([expected] if expected else [])
    if expected:
        assert response.negative_reasons[0]["question"] == "overall_rating"
        assert (response.negative_reasons[0]["scale"], response.negative_reasons[0]["max"]) == (10, 6)


@freeze_time(NOW)
def test_the_likelihood_to_recommend_is_the_recommend_question_not_the_overall_rating(answer, library):
    rules(library["inpatient-stay"], overall_questions=["overall_rating"])
    response = answer("inpatient-stay", {**HAPPY_INPATIENT, "q_overall_rating": "3", "q_recommend": "9"})
    assert (response.nps_value, response.nps_category) == (9, "promoter")
    assert [r["rule"] for r in response.negative_reasons] == ["overall"]


# --- thresholds -------------------------------------------------------------------------------------


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("rating_max", "value", "negative"),
    [(1, "1", True), (1, "2", False), (2, "2", True), (2, "3", False), (3, "3", True), (4, "4", True), (4, "5", False)],
)
def test_the_bottom_box_of_a_1_to_5_rating(answer, library, rating_max, value, negative):
    rules(library["opd-visit"], negative_rating_max=rating_max)
    response = answer("opd-visit", {**HAPPY_OPD, "q_wait_time": value})
    assert response.is_negative is negative
    if negative:
        assert response.negative_reasons[0]["max"] == rating_max


@freeze_time(NOW)
@pytest.mark.parametrize(("scale_max", "value", "negative"), [(4, "4", True), (4, "5", False), (8, "8", True)])
def test_the_bottom_box_of_a_0_to_10_overall_rating(answer, library, scale_max, value, negative):
    rules(library["inpatient-stay"], overall_questions=["overall_rating"], negative_scale_max=scale_max)
    response = answer("inpatient-stay", {**HAPPY_INPATIENT, "q_overall_rating": value})
    assert response.is_negative is negative


@freeze_time(NOW)
def test_two_templates_of_one_hospital_follow_their_own_rules(answer, library):
    rules(library["opd-visit"], negative_rating_max=3)
    rules(library["emergency-visit"], negative_rating_max=1)
    opd = answer("opd-visit", {**HAPPY_OPD, "q_wait_time": "3"})
    ed = answer(
        "emergency-visit",
        {"q_triage_wait": "2", "q_pain_managed": "5", "q_kept_informed": "5", "q_doctor_explained": "5"}
        | {"q_recommend": "10"},
    )
    assert (opd.is_negative, ed.is_negative) == (True, False)


@freeze_time(NOW)
def test_the_stored_reasons_stay_as_scored_when_the_rules_change(answer, library):
    response = answer("opd-visit", {**HAPPY_OPD, "q_access_ease": "2"})
    rules(library["opd-visit"], negative_rating_max=1, negative_items=NegativeItems.KEY)
    response.refresh_from_db()
    assert response.is_negative is True
    assert response.negative_reasons[0] | {} == {
        "question": "access_ease",
        "type": "rating_1_5",
        "value": 2,
        "scale": 5,
        "max": 2,
        "rule": "bottom_box",
    }
    # The next patient is scored by the new rules.
    assert answer("opd-visit", {**HAPPY_OPD, "q_access_ease": "2"}).is_negative is False
