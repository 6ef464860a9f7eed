import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from px360.accounts.models import User
from px360.accounts.roles import RoleCode
from px360.integrations.choices import EventStatus
from px360.integrations.models import InboundEvent
from px360.journeys.models import Encounter, JourneyInstance, JourneyTemplate
from px360.notifications.models import Notification
from px360.organizations.models import Department, Hospital, Patient
from px360.surveys.choices import SurveyStatus
from px360.surveys.models import SurveyAnswer, SurveyInstance, SurveyResponse

pytestmark = pytest.mark.django_db(transaction=False)


def test_load_demo_is_bilingual_complete_and_idempotent(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("PX360_DEMO_PASSWORD", "demo-password-360")
    call_command("load_demo", stdout=io.StringIO())
    counts = [
        Hospital.objects.count(),
        Department.objects.count(),
        Patient.objects.count(),
        User.objects.count(),
        Encounter.objects.count(),
        JourneyInstance.objects.count(),
        JourneyTemplate.objects.count(),
    ]
    call_command("load_demo", stdout=io.StringIO())
    assert counts == [
        Hospital.objects.count(),
        Department.objects.count(),
        Patient.objects.count(),
        User.objects.count(),
        Encounter.objects.count(),
        JourneyInstance.objects.count(),
        JourneyTemplate.objects.count(),
    ]
    assert set(Hospital.objects.values_list("code", flat=True)) >= {"RYD", "JED"}
    for hospital in Hospital.objects.all():
        assert hospital.name_ar and hospital.name_en and hospital.name_ar != hospital.name_en
        for code in RoleCode:
            user = User.objects.get(username=f"{hospital.code.lower()}_{code.value}")
            assert user.check_password("demo-password-360")
            assert user.highest_role().code == code.value
    assert Department.objects.filter(parent__isnull=False).exists()
    assert Encounter.objects.count() >= 40
    assert JourneyInstance.objects.count() == Encounter.objects.exclude(status="cancelled").count()


def test_load_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(SystemExit):
        call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())


def _demo_counts():
    return {
        "instances": SurveyInstance.objects.count(),
        "statuses": sorted(SurveyInstance.objects.values_list("pk", "status")),
        "responses": SurveyResponse.objects.count(),
        "negative": SurveyResponse.objects.filter(is_negative=True).count(),
        "answers": SurveyAnswer.objects.count(),
        "events": sorted(InboundEvent.objects.values_list("pk", "status", "attempts")),
        "notifications": Notification.objects.count(),
        "encounters": Encounter.objects.count(),
    }


# 23:30 in Riyadh: inside the default quiet hours, when no invitation may be sent.
@pytest.mark.parametrize("moment", ["2026-11-27T11:00:00+03:00", "2026-11-27T23:30:00+03:00"])
def test_load_demo_has_answered_surveys_negative_ones_and_his_messages(settings, tmp_path, monkeypatch, moment):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("PX360_DEMO_PASSWORD", "demo-password-360")
    with freeze_time(moment):
        call_command("load_demo", stdout=io.StringIO())
        first = _demo_counts()
        call_command("load_demo", stdout=io.StringIO())
        assert _demo_counts() == first
    for code in ("RYD", "JED"):
        responses = SurveyResponse.objects.filter(hospital__code=code, submitted_at__isnull=False)
        assert responses.filter(is_negative=True).exists() and responses.filter(is_negative=False).exists()
        # Answered through the survey form: scored, with the patient's comment in their language.
        negative = responses.filter(is_negative=True, nps_category="detractor").exclude(comments="").first()
        assert negative is not None and negative.mean_score is not None and negative.nps_category == "detractor"
        assert negative.instance.status == SurveyStatus.COMPLETED
        statuses = set(SurveyInstance.objects.filter(hospital__code=code).values_list("status", flat=True))
        assert {SurveyStatus.INVITED, SurveyStatus.OPENED, SurveyStatus.COMPLETED} <= statuses
        events = InboundEvent.objects.filter(hospital__code=code)
        processed = events.get(status=EventStatus.PROCESSED)
        assert (
            processed.encounter is not None and JourneyInstance.objects.filter(encounter=processed.encounter).exists()
        )
        failed = events.get(status=EventStatus.FAILED)
        assert failed.error and failed.raw.startswith("{")
    assert SurveyInstance.objects.filter(status=SurveyStatus.SUPPRESSED, suppression_reason="too_late").exists()
    arabic = SurveyResponse.objects.filter(language="ar").exclude(comments="")
    english = SurveyResponse.objects.filter(language="en").exclude(comments="")
    assert any("\u0600" <= ch <= "\u06ff" for r in arabic for ch in r.comments)
    assert all(r.comments.isascii() for r in english)
    # Every timestamp is in the past, even when loaded in the quiet hours.
    with freeze_time(moment):
        now = timezone.now()
    assert not SurveyResponse.objects.filter(submitted_at__gt=now).exists()
    assert not SurveyInstance.objects.filter(invited_at__gt=now).exists()
    # ... and, as for real ones, no invitation went out in the quiet hours (21:00-08:00 in Riyadh).
    sent = SurveyInstance.objects.exclude(invited_at=None).values_list("invited_at", flat=True)
    assert sent and all(dt.time(8) <= timezone.localtime(at).time() < dt.time(21) for at in sent)
