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


def _rows(page, selector):
    """The distinct vertical positions of the elements: how many rows they fill."""
    return sorted(
        {
            round(box["y"])
            for box in page.eval_on_selector_all(selector, "els => els.map(e => e.getBoundingClientRect())")
        }
    )


@pytest.mark.parametrize("first, second", [("ar", "en"), ("en", "ar")])
def test_a_patient_switches_language_and_sees_progress_and_a_two_row_scale_on_a_phone(
    live_server, arabic_invitation, monkeypatch, first, second
):
    from playwright.sync_api import sync_playwright

    from px360.surveys.services import survey_link_value

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    url = f"{live_server.url}/s/{survey_link_value(arabic_invitation)}/?lang={first}"
    words = {
        "ar": {"very_poor": "1 · سيئ جدًا", "title": "هذا الرابط غير متاح", "dir": "rtl"},
        "en": {"very_poor": "1 · Very poor", "title": "This link is not available", "dir": "ltr"},
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740}, locale="ar-SA")
            page.goto(url)
            assert page.get_attribute("html", "lang") == first
            page.click(".px-switch")
            page.wait_for_url(f"**?lang={second}")
            assert page.get_attribute("html", "lang") == second
            assert page.get_attribute("html", "dir") == words[second]["dir"]
            labels = page.locator("#question-access_ease .px-option span").all_inner_texts()
            assert labels[0] == words[second]["very_poor"], labels
            assert words[first]["very_poor"] not in page.content()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.screenshot(path=f"/tmp/px360-survey-{second}-top.png")

            # The 0-10 scale: 0-5 on one row, 6-10 on the next, the ends labelled.
            rows = _rows(page, "#question-recommend .px-option")
            assert len(rows) == 2, rows
            first_row = page.eval_on_selector_all(
                "#question-recommend .px-option",
                f"els => els.filter(e => Math.round(e.getBoundingClientRect().y) === {rows[0]}).map(e => e.innerText.trim())",
            )
            assert first_row == ["0", "1", "2", "3", "4", "5"], first_row
            for option in page.locator("#question-recommend .px-option").all():
                box = option.bounding_box()
                assert box["width"] >= 40 and box["height"] >= 44, box  # a finger-sized target
            hint = page.locator("#question-recommend .px-scale-hint span").all_inner_texts()
            assert hint[0].startswith("0 · ") and hint[1].startswith("10 · ")

            # Progress follows the answers.
            progress = page.locator(".px-progress-text")
            before = progress.inner_text()
            assert "0" in before and "9" in before
            page.check('input[name="q_access_ease"][value="4"]')
            page.check('input[name="q_recommend"][value="10"]')
            assert progress.inner_text() == before.replace("0", "2", 1)
            assert page.locator(".px-progress progress").evaluate("p => p.value") == 2
            page.locator("#question-recommend").screenshot(path=f"/tmp/px360-survey-{second}-scale.png")
            page.screenshot(path=f"/tmp/px360-survey-{second}-switched.png", full_page=False)

            # A spent or forged link: the same page, with its own switch.
            page.goto(f"{live_server.url}/s/not-a-link/?lang={first}")
            assert page.get_attribute("html", "lang") == first
            page.click(".px-switch")
            page.wait_for_url(f"**?lang={second}")
            assert page.get_attribute("html", "lang") == second
            assert page.locator("h1").inner_text() == words[second]["title"]
            page.screenshot(path=f"/tmp/px360-invalid-{second}.png")
        finally:
            browser.close()
