"""The patient 360 page in Chromium: Arabic right to left and English, on a desktop and on a phone."""

import pytest

from .test_survey_phone import CHROMIUM, CHROMIUM_ARGS, pytestmark  # noqa: F401 (the browser marks)

PASSWORD = "correct-horse-battery"  # the factories' password


@pytest.fixture
def story(transactional_db, roles, hospital_a):
    from ..organizations.test_patient_360 import Story

    return Story(hospital_a).full()


@pytest.fixture
def coordinator(make_user, hospital_a):
    from px360.accounts.roles import RoleCode

    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord360b")


@pytest.mark.parametrize("width", [1366, 360])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_patient_360_page_reads_in_both_languages_on_a_desktop_and_a_phone(
    live_server, story, coordinator, monkeypatch, language, width
):
    from django.urls import reverse
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    path = reverse("admin:organizations_patient_change", args=[story.patient.pk]).replace("/ar/", f"/{language}/", 1)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900}, timezone_id="Asia/Riyadh")
            page.goto(f"{live_server.url}/{language}/admin/login/")
            page.fill("input[name=username]", coordinator.username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")

            # From the patient's record, by its button.
            page.goto(f"{live_server.url}{path}")
            page.click("#px-open-360")
            page.wait_for_selector("#px-360-entries")
            assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")

            entries = page.locator("#px-360-entries > li")
            assert entries.count() == 12
            for index in range(entries.count()):
                entry = entries.nth(index)
                entry.scroll_into_view_if_needed()
                assert entry.is_visible()
                box = entry.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, f"entry {index} leaves the screen"

            # No horizontal scrolling, on the desktop or the phone.
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= page.evaluate("document.documentElement.clientWidth")

            # Values that read left to right stay whole inside Arabic text.
            mrn = page.locator("#px-360-facts bdi", has_text="MRN-360")
            assert mrn.evaluate("e => getComputedStyle(e).direction") == "ltr"
            first_time = page.locator("#px-360-entries time bdi").first
            assert first_time.evaluate("e => getComputedStyle(e).direction") == "ltr"

            # The words are the reader's: an encounter type, a status and a kind, never a code.
            text = page.inner_text("#px-360-entries")
            if language == "ar":
                assert "Outpatient" not in text and "Negative" not in text and "Discharged" not in text
                assert "discharged" not in text and "OPD" not in text
            else:
                assert "Outpatient" in text and "Negative" in text
        finally:
            browser.close()
