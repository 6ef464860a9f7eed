"""A nurse's notification bell and inbox in Chromium, in Arabic and English, on a desktop and a phone.

The bell in the header counts her unread notices; the inbox lists them newest
first, marks one read, and opens one at its record in the page's language —
all inside the screen at 360 px, right to left in Arabic, under the
Content-Security-Policy.
"""

import re

import pytest

from .test_csp import Watcher
from .test_survey_phone import CHROMIUM, CHROMIUM_ARGS, pytestmark  # noqa: F401 (the browser marks)

PASSWORD = "a-long-test-password-2026"


@pytest.fixture
def nurse(transactional_db):
    from px360.accounts.roles import RoleCode
    from px360.accounts.services import create_default_roles
    from px360.notifications.services import staff_notices_create

    from ..factories import DepartmentFactory, HospitalFactory, UserFactory
    from ..notifications.notice_kinds import ESCALATION, IMPORT_FINISHED, WAITING

    create_default_roles()
    hospital = HospitalFactory(code="RYD", name="مستشفى النور", name_ar="مستشفى النور", name_en="Al-Noor Hospital")
    ward = DepartmentFactory(hospital=hospital, code="W3", name_ar="الجناح ٣", name_en="Ward 3")
    user = UserFactory(
        username="nurse_amal", role=RoleCode.NURSE, hospital=hospital, department=ward, email="amal@example.sa"
    )
    user.set_password(PASSWORD)
    user.save()
    for key, kind, params, link in [
        ("1", IMPORT_FINISHED, {"file": "encounters-ward3-2026-11-very-long-file-name.xlsx", "new": 124}, "/ar/admin/"),
        ("2", WAITING, {"reference": "ACT-2026-000123"}, ""),
        ("3", ESCALATION, {"reference": "CMP-2026-000456"}, "/ar/admin/"),
    ]:
        staff_notices_create(
            user_ids=[user.pk], kind=kind.code, params=params, link=link, hospital_id=hospital.pk, key=key
        )
    return user


def bell_count(page) -> str:
    count = page.locator("#px-inbox-bell-count")
    return count.inner_text() if count.count() else "0"


def assert_inside(page, locator, width):
    box = locator.bounding_box()
    assert box is not None, "shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, f"inside the {width} px screen: {box}"


@pytest.mark.parametrize("width", [1366, 360])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_bell_counts_and_the_inbox_marks_read_and_opens(live_server, nurse, monkeypatch, language, width):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": 800}, timezone_id="Asia/Riyadh")
            context.set_default_timeout(60_000)
            watcher = Watcher(context, base)
            page = watcher.watch(context.new_page())
            page.goto(f"{base}/{language}/admin/login/")
            page.fill("input[name=username]", "nurse_amal")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r"/admin/$"), wait_until="domcontentloaded")

            bell = page.locator("#px-inbox-bell")
            expect(bell).to_be_visible()
            assert bell_count(page) == "3"
            assert_inside(page, bell, width)
            page.screenshot(path=f"/tmp/px360-inbox-bell-{language}-{width}.png")

            bell.click()
            page.wait_for_url(re.compile(rf"/{language}/admin/inbox/$"))
            assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
            heading = "إشعاراتي" if language == "ar" else "My notifications"
            assert heading in page.title()
            notices = page.locator(".px-inbox-notice")
            expect(notices).to_have_count(3)
            # Newest first.
            assert "CMP-2026-000456" in notices.nth(0).inner_text()
            assert "encounters-ward3" in notices.nth(2).inner_text()
            for index in range(3):
                assert_inside(page, notices.nth(index), width)
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, "no sideways scrolling"
            page.screenshot(path=f"/tmp/px360-inbox-{language}-{width}.png", full_page=True)

            notices.nth(1).locator(".px-inbox-read").click()
            page.wait_for_load_state("domcontentloaded")
            expect(page.locator("#px-inbox-bell-count")).to_have_text("2")
            expect(page.locator(".px-inbox-notice").nth(1)).to_have_attribute("data-unread", "0")

            page.locator(".px-inbox-notice").nth(2).locator(".px-inbox-open").click()
            # The link was stored in Arabic; it opens in the page's language.
            page.wait_for_url(re.compile(rf"/{language}/admin/$"))
            expect(page.locator("#px-inbox-bell-count")).to_have_text("1")

            page.goto(f"{base}/{language}/admin/inbox/")
            page.locator("#px-inbox-read-all").click()
            page.wait_for_load_state("domcontentloaded")
            expect(page.locator("#px-inbox-bell-count")).to_have_count(0)
            assert page.locator("#px-inbox-bell").get_attribute("data-unread") == "0"
            watcher.assert_clean(f"inbox {language} {width}")
        finally:
            browser.close()


@pytest.mark.parametrize("width", [1366, 360])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_profile_page_fits_and_saves(live_server, nurse, monkeypatch, language, width):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": 800}, timezone_id="Asia/Riyadh")
            context.set_default_timeout(60_000)
            watcher = Watcher(context, base)
            page = watcher.watch(context.new_page())
            page.goto(f"{base}/{language}/admin/login/")
            page.fill("input[name=username]", "nurse_amal")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r"/admin/$"), wait_until="domcontentloaded")

            page.goto(f"{base}/{language}/admin/profile/")
            assert ("ملفي الشخصي" if language == "ar" else "My profile") in page.title()
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, "no sideways scrolling"
            phone = page.locator("input[name='account-phone']")
            assert_inside(page, phone, width)
            assert phone.evaluate("e => getComputedStyle(e).direction") == "ltr"
            page.screenshot(path=f"/tmp/px360-profile-{language}-{width}.png", full_page=True)

            phone.fill("0501234567")
            page.select_option("select[name='notices-digest_hour']", "9")
            page.locator("#px-profile-form button[type=submit]").click()
            page.wait_for_load_state("domcontentloaded")
            expect(phone).to_have_value("+966501234567")
            expect(page.locator("select[name='notices-digest_hour']")).to_have_value("9")
            watcher.assert_clean(f"profile {language} {width}")
        finally:
            browser.close()
