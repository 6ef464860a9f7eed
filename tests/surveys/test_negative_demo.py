"""The demo shows negative responses as the rules define them, the issue's example among them.

In each demo hospital one outpatient rated booking 1 (very poor), complained about the pharmacy wait
and still gave 10 on likelihood to recommend: negative, with that answer as the reason. Every
negative demo response lists its reasons.
"""

import io

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from px360.surveys.demo import NEGATIVE_COMMENTS
from px360.surveys.models import SurveyResponse, SurveyTemplate

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_patient_negative_only_for_one_very_poor_booking(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("PX360_DEMO_PASSWORD", "demo-password-360")
    with freeze_time("2026-11-27T11:00:00+03:00"):
        call_command("load_demo", stdout=io.StringIO())
    pharmacy = NEGATIVE_COMMENTS[0]
    for code in ("RYD", "JED"):
        submitted = SurveyResponse.objects.filter(hospital__code=code, submitted_at__isnull=False)
        example = submitted.get(template__code="opd-visit", nps_value=10, is_negative=True)
        assert example.nps_category == "promoter"
        assert example.negative_reasons == [
            {"question": "access_ease", "type": "rating_1_5", "value": 1, "scale": 5, "max": 2, "rule": "bottom_box"}
        ]
        assert example.comments == (pharmacy[0] if example.language == "ar" else pharmacy[1])
        negative = submitted.filter(is_negative=True)
        assert negative.count() > 1 and all(response.negative_reasons for response in negative)
        assert not any(response.negative_reasons for response in submitted.filter(is_negative=False))
    assert SurveyTemplate.objects.get(code="inpatient-stay").overall_questions == ["overall_rating"]
