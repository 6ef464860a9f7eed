"""Negative thresholds belong to the survey template, not to the hospital's contact policy.

Two hospitals with their own copies of the outpatient survey and different bottom boxes: each
response follows the template its patient answered. DOMAIN.md's defaults (1–2 of 5, 0–6 of 10)
apply where a template keeps them.
"""

import pytest
from freezegun import freeze_time

from px360.surveys.models import SurveyPolicy, SurveyTemplate

from . import test_negative_rules
from .test_negative_rules import HAPPY_OPD, NOW

pytestmark = pytest.mark.django_db

answer = test_negative_rules.answer  # the fixture, shared


def own_copy(library, hospital, code, **rules):
    source = library["opd-visit"]
    template = SurveyTemplate.objects.create(
        code=code, name=code, name_ar=f"زيارة {code}", name_en=f"Visit {code}", hospital=hospital, **rules
    )
    for question in source.questions.order_by("order"):
        question.pk, question.id, question.template, question.follow_up_of = None, None, template, None
        question.save()
    return template


@freeze_time(NOW)
def test_each_templates_thresholds_decide_the_flag_of_its_own_responses(answer, library, hospital_a, hospital_b):
    strict = own_copy(library, hospital_a, "a-visit", negative_rating_max=3)
    lenient = own_copy(library, hospital_b, "b-visit", negative_rating_max=1)
    cases = [
        (strict, hospital_a, "3", True),  # the default (2) would say not negative
        (strict, hospital_a, "4", False),
        (lenient, hospital_b, "2", False),  # the default would say negative
        (lenient, hospital_b, "1", True),
    ]
    flags = [
        answer(template, {**HAPPY_OPD, "q_wait_time": value}, hospital=hospital).is_negative
        for template, hospital, value, _expected in cases
    ]
    assert flags == [expected for *_rest, expected in cases]


@freeze_time(NOW)
def test_the_contact_policy_has_no_say(answer, hospital_a):
    SurveyPolicy.objects.create(hospital=hospital_a, frequency_days=0)
    assert not hasattr(SurveyPolicy, "negative_rating_max") and not hasattr(SurveyPolicy, "negative_nps_max")
    cases = [({"q_recommend": "6"}, True), ({"q_recommend": "7"}, False)]
    assert [answer("nps-only", answers).is_negative for answers, _expected in cases] == [e for _a, e in cases]
    cases = [({**HAPPY_OPD, "q_wait_time": "2"}, True), ({**HAPPY_OPD, "q_wait_time": "3"}, False)]
    assert [answer("opd-visit", answers).is_negative for answers, _expected in cases] == [e for _a, e in cases]
