"""A patient opens an Arabic invitation on a phone-sized Chromium, answers and submits."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def arabic_invitation(transactional_db, settings):
    from px360.journeys.models import Encounter, JourneyInstance, JourneyStageInstance, JourneyTemplate
    from px360.surveys.library import load_library
    from px360.surveys.models import SurveyTemplate
    from px360.surveys.services import survey_schedule_for_stage, surveys_dispatch_due

    from ..factories import HospitalFactory, PatientFactory

    settings.PX360_SURVEY_RATE_LIMIT_PER_MINUTE = 1000
    load_library()
    hospital = HospitalFactory(
        code="RYD", name="مستشفى النور العام", name_ar="مستشفى النور العام", name_en="Al-Noor Hospital"
    )
    patient = PatientFactory(
        hospital=hospital,
        phone="+966501234567",
        preferred_language="ar",
        name_ar="فاطمة الغامدي",
        birth_date=dt.date(1985, 1, 1),
    )
    now = timezone.now()
    encounter = Encounter.objects.create(
        hospital=hospital,
        encounter_number="B1",
        encounter_type="OPD",
        patient=patient,
        admitted_at=now - dt.timedelta(hours=2),
        discharged_at=now - dt.timedelta(hours=1),
        status="discharged",
    )
    template = JourneyTemplate.objects.create(
        journey_type="OPD", hospital=hospital, name="j", name_ar="رحلة", name_en="Journey"
    )
    journey = JourneyInstance.objects.create(
        encounter=encounter, template=template, journey_type="OPD", started_at=encounter.admitted_at
    )
    stage = JourneyStageInstance.objects.create(
        journey=journey,
        order=1,
        code="end_of_visit",
        name_ar="نهاية",
        name_en="End",
        survey_template=SurveyTemplate.objects.get(code="opd-visit"),
        survey_delay_hours=0,
        status="completed",
        completed_at=now - dt.timedelta(hours=1),
    )
    from px360.surveys.models import SurveyPolicy

    # The test may run at any hour: no quiet hours here.
    SurveyPolicy.objects.create(hospital=hospital, quiet_hours_start=dt.time(0, 0), quiet_hours_end=dt.time(0, 0))
    instance = survey_schedule_for_stage(stage=stage)
    surveys_dispatch_due()
    instance.refresh_from_db()
    return instance


def test_an_arabic_invitation_on_a_360_pixel_phone(live_server, arabic_invitation, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    from px360.surveys.models import SurveyResponse
    from px360.surveys.services import survey_link_value

    # Playwright's sync API runs an event loop; scoped to this test so the
    # setting never reaches other tests (or a production check they run).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    url = f"{live_server.url}/s/{survey_link_value(arabic_invitation)}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740}, locale="ar-SA")
            page.goto(url)
            assert page.get_attribute("html", "dir") == "rtl"
            assert page.get_attribute("html", "lang") == "ar"
            assert "فاطمة" in page.content() and "الغامدي" not in page.content()
            # Nothing overflows a 360-pixel screen sideways.
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            # Answer by keyboard and by tapping labels, like a patient would.
            for code, value in [
                ("access_ease", "5"),
                ("wait_time", "4"),
                ("doctor_explained", "5"),
                ("doctor_listened", "5"),
                ("staff_courtesy", "4"),
                ("care_coordination", "1"),
                ("recommend", "9"),
            ]:
                page.check(f'input[name="q_{code}"][value="{value}"]')
            follow_up = page.locator("#question-recommend_why")
            assert follow_up.is_hidden()  # a 9 is not a low score
            page.fill("#q_comments", "خدمة ممتازة")
            page.screenshot(path=str(tmp_path / "survey-ar-form.png"), full_page=True)
            page.click('button[value="submit"]')
            page.wait_for_selector('[data-testid="thanks"]')
            screenshot = tmp_path / "survey-ar-thanks.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    shutil.copy(tmp_path / "survey-ar-form.png", "/tmp/px360-survey-ar.png")
    shutil.copy(screenshot, "/tmp/px360-survey-ar-thanks.png")
    response = SurveyResponse.objects.get(instance=arabic_invitation)
    assert response.submitted_at is not None and response.nps_value == 9
    assert response.comments == "خدمة ممتازة"
