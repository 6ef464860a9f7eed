"""The admin in Arabic, in Chromium: right to left, and widgets laid out for it."""

import pytest

from .test_survey_phone import CHROMIUM, CHROMIUM_ARGS, pytestmark  # noqa: F401 (the browser marks)

PASSWORD = "a-long-test-password-2026"


@pytest.fixture
def admin_user(transactional_db):
    from px360.accounts.models import User

    return User.objects.create_superuser("rtl-admin", email="rtl@example.sa", password=PASSWORD)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_time_fields_keep_their_clock_clear_of_the_value(live_server, admin_user, monkeypatch, language):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Riyadh")
            page.goto(f"{live_server.url}/{language}/admin/login/")
            page.fill("input[name=username]", admin_user.username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{live_server.url}/{language}/admin/surveys/surveypolicy/add/")
            assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
            field = page.locator("input[name=quiet_hours_start]")
            clock = page.locator("input[name=quiet_hours_start] + .datetimeshortcuts")
            box, icon = field.bounding_box(), clock.bounding_box()
            # The time reads left to right in both languages ...
            assert field.evaluate("e => getComputedStyle(e).direction") == "ltr"
            # ... and the clock sits at the end the value does not: the left in Arabic, the right in English.
            middle = box["x"] + box["width"] / 2
            if language == "ar":
                assert icon["x"] + icon["width"] < middle
                assert field.evaluate("e => getComputedStyle(e).textAlign") == "right"
            else:
                assert icon["x"] > middle
        finally:
            browser.close()
