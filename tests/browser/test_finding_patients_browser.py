"""A coordinator finds a patient's invitation from the search box, in Chromium, on a desktop and a phone."""

import datetime as dt

import pytest

from .test_survey_phone import CHROMIUM, CHROMIUM_ARGS, pytestmark  # noqa: F401 (the browser marks)

PASSWORD = "a-long-test-password-2026"
RIYADH = dt.timezone(dt.timedelta(hours=3))


@pytest.fixture
def coordinator_and_invitations(transactional_db):
    from px360.accounts.models import Role, User
    from px360.accounts.roles import RoleCode
    from px360.accounts.services import create_default_roles, user_set_roles
    from px360.surveys.models import SurveyInstance, SurveyTemplate
    from px360.surveys.services import template_current_version

    from ..factories import HospitalFactory, PatientFactory

    create_default_roles()
    ours = HospitalFactory(code="HA", name_ar="مستشفى النور", name_en="Al-Noor Hospital")
    theirs = HospitalFactory(code="HB", name_ar="مستشفى الشفاء", name_en="Al-Shifa Hospital")
    user = User.objects.create_user("finder-coordinator", password=PASSWORD, is_staff=True, hospital=ours)
    user_set_roles(user=user, roles=[Role.objects.get(code=RoleCode.PX_COORDINATOR)], by=None)
    survey = SurveyTemplate.objects.create(code="visit", name="v", name_ar="استبيان الزيارة", name_en="Visit survey")
    version = template_current_version(template=survey)
    at = dt.datetime(2026, 11, 10, 9, 0, tzinfo=RIYADH)
    for index, (hospital, name, phone) in enumerate(
        [
            (ours, "أحمد سالم", "+966501112233"),
            (ours, "فاطمة علي", "+966509990000"),
            (theirs, "أحمد سالم", "+966501112233"),
        ]
    ):
        SurveyInstance.objects.create(
            template=survey,
            version=version,
            hospital=hospital,
            patient=PatientFactory(hospital=hospital, name_ar=name, phone=phone),
            journey_type="OPD",
            trigger_key=f"browser:{index}",
            token=f"browser-{index}",
            triggered_at=at,
            status="invited",
        )
    return user


@pytest.mark.parametrize("width", [1366, 360])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_phone_number_in_arabic_digits_finds_the_patients_invitation(
    live_server, coordinator_and_invitations, monkeypatch, language, width
):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900}, timezone_id="Asia/Riyadh")
            page.goto(f"{live_server.url}/{language}/admin/login/")
            page.fill("input[name=username]", coordinator_and_invitations.username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{live_server.url}/{language}/admin/surveys/surveyinstance/")
            rows = page.locator("#result_list tbody tr")
            assert rows.count() == 2  # their own hospital's two invitations
            search = page.locator("#searchbar")
            search.fill("٠٥٠١١١٢٢٣٣")
            search.press("Enter")
            page.wait_for_load_state("networkidle")
            assert rows.count() == 1
            hospital = "مستشفى النور" if language == "ar" else "Al-Noor Hospital"
            assert hospital in rows.first.inner_text()
            assert "مستشفى الشفاء" not in page.content() and "Al-Shifa" not in page.content()
            # The same patient by a folded spelling of the name.
            search = page.locator("#searchbar")
            search.fill("احمد")
            search.press("Enter")
            page.wait_for_load_state("networkidle")
            assert rows.count() == 1
        finally:
            browser.close()
