"""In Chromium, a coordinator reads why a response is negative, in Arabic and in English, at 1,366 and 360 px.

The issue's patient: booking rated 1 (very poor), a complaint about the pharmacy wait, 10 on
likelihood to recommend. The response page lists that answer with the question as the reader reads
it and the rule in words, right to left in Arabic, inside the screen on a phone.
"""

import datetime as dt

import pytest

from tests.browser.test_survey_phone import CHROMIUM, CHROMIUM_ARGS, pytestmark  # noqa: F401 (the browser marks)

PASSWORD = "a-long-test-password-2026"
PHARMACY = "انتظرت أكثر من ساعتين في الصيدلية لاستلام الدواء، ولم يشرح لي أحد سبب التأخير."

WORDS = {
    # (the answer label, the rule, the section title, the flag)
    "ar": ("سيئ جدًا", "الفئة الدنيا في سؤال تقييم", "لماذا يُعدّ سلبيًا", "سلبي"),
    "en": ("Very poor", "Bottom box of a rated question", "Why negative", "Negative"),
}


@pytest.fixture
def unhappy(transactional_db, settings):
    """A coordinator of the patient's hospital and the submitted response."""
    from django.utils import timezone
    from django.utils.datastructures import MultiValueDict

    from px360.accounts.roles import RoleCode
    from px360.accounts.services import create_default_roles
    from px360.journeys.models import Encounter, JourneyInstance, JourneyStageInstance, JourneyTemplate
    from px360.surveys.library import load_library
    from px360.surveys.models import SurveyPolicy, SurveyTemplate
    from px360.surveys.services import (
        survey_open,
        survey_schedule_for_stage,
        survey_submit,
        surveys_dispatch_due,
    )

    from ..factories import HospitalFactory, PatientFactory, UserFactory

    create_default_roles()
    load_library()
    hospital = HospitalFactory(code="RYD", name="مستشفى النور", name_ar="مستشفى النور", name_en="Al-Noor Hospital")
    SurveyPolicy.objects.create(hospital=hospital, quiet_hours_start=dt.time(0, 0), quiet_hours_end=dt.time(0, 0))
    patient = PatientFactory(hospital=hospital, phone="+966501234567", preferred_language="ar")
    now = timezone.now()
    encounter = Encounter.objects.create(
        hospital=hospital,
        encounter_number="NEG1",
        encounter_type="OPD",
        patient=patient,
        admitted_at=now - dt.timedelta(hours=2),
        discharged_at=now - dt.timedelta(hours=1),
        status="discharged",
    )
    journey = JourneyInstance.objects.create(
        encounter=encounter,
        template=JourneyTemplate.objects.create(
            journey_type="OPD", hospital=hospital, name="j", name_ar="رحلة", name_en="Journey"
        ),
        journey_type="OPD",
        started_at=encounter.admitted_at,
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
    instance = survey_schedule_for_stage(stage=stage)
    surveys_dispatch_due()
    instance.refresh_from_db()
    survey_open(instance=instance)
    answers = {
        "q_access_ease": "1",
        "q_wait_time": "5",
        "q_doctor_explained": "5",
        "q_doctor_listened": "5",
        "q_staff_courtesy": "5",
        "q_care_coordination": "1",
        "q_recommend": "10",
        "q_comments": PHARMACY,
    }
    response = survey_submit(instance=instance, data=MultiValueDict({k: [v] for k, v in answers.items()}))
    user = UserFactory(role=RoleCode.PX_COORDINATOR, hospital=hospital, username="ryd_coordinator")
    user.set_password(PASSWORD)
    user.save()
    return user, response


@pytest.mark.parametrize("width", [1366, 360])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_reasons_on_the_response_page(live_server, unhappy, monkeypatch, tmp_path, language, width):
    from playwright.sync_api import sync_playwright

    user, response = unhappy
    assert response.is_negative and response.nps_value == 10
    question = response.version.question("access_ease")[f"text_{language}"]
    label, rule, title, flag = WORDS[language]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900}, timezone_id="Asia/Riyadh")
            page.goto(f"{live_server.url}/{language}/admin/login/")
            page.fill("input[name=username]", user.username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{live_server.url}/{language}/admin/surveys/surveyresponse/{response.pk}/change/")
            assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
            reasons = page.locator(".px-negative-reason")
            assert reasons.count() == 1
            reason = reasons.first
            reason.scroll_into_view_if_needed()
            assert reason.is_visible()
            text = reason.inner_text()
            assert question in text and label in text and rule in text
            assert "access_ease" in text  # the code, for the data team, beside the words
            assert title in page.content()
            # Flagged in red, not with a green tick.
            assert page.locator("span.bg-red-100", has_text=flag).count() == 1
            if language == "ar":
                assert "Bottom box" not in text and "Very poor" not in text
                # The reason reads right to left; its numbers stay left to right.
                assert reason.evaluate("e => getComputedStyle(e).direction") == "rtl"
                assert reason.locator("bdi").first.evaluate("e => getComputedStyle(e).direction") == "ltr"
            # The reason is inside the screen, and the page does not scroll sideways.
            box = reason.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(tmp_path / f"negative-{language}-{width}.png"), full_page=True)
        finally:
            browser.close()
