"""A patient sends a complaint in Arabic from a 360-pixel phone, then follows it on the status page."""

import shutil
from pathlib import Path

import pytest

from ..complaints.samples import png_bytes
from .test_survey_phone import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def riyadh(transactional_db, settings, tmp_path, monkeypatch):
    from django.core.cache import cache

    from ..factories import DepartmentFactory, HospitalFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    hospital = HospitalFactory(
        code="RYD", name="مستشفى النور العام", name_ar="مستشفى النور العام", name_en="Al-Noor Hospital"
    )
    other = HospitalFactory(code="JED", name="مستشفى الساحل", name_ar="مستشفى الساحل", name_en="Coast Hospital")
    clinic = DepartmentFactory(hospital=hospital, code="OPD", name_ar="العيادات الخارجية", name_en="Outpatients")
    DepartmentFactory(hospital=hospital, code="ER", name_ar="الطوارئ", name_en="Emergency")
    DepartmentFactory(hospital=other, code="LAB", name_ar="المختبر", name_en="Laboratory")
    yield {"hospital": hospital, "clinic": clinic}
    cache.clear()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_an_arabic_complaint_from_a_360_pixel_phone(live_server, riyadh, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    from px360.complaints.choices import Channel
    from px360.complaints.models import Complaint

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    photo = tmp_path / "صورة.png"
    photo.write_bytes(png_bytes(64, 48))
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740}, locale="ar-SA")
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "console",
                lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None,
            )
            page.goto(f"{live_server.url}/complaints/?h=RYD")
            assert page.get_attribute("html", "dir") == "rtl"
            assert page.get_attribute("html", "lang") == "ar"
            assert fits(page)
            assert page.input_value("#id_hospital") == "RYD"
            # The department list follows the hospital (the page's own script, under the CSP).
            departments = page.locator("#id_department option").all_inner_texts()
            assert sorted(departments[1:]) == sorted(["العيادات الخارجية", "الطوارئ"]), departments
            page.select_option("#id_hospital", "JED")
            assert page.locator("#id_department option").all_inner_texts()[1:] == ["المختبر"]
            page.select_option("#id_hospital", "RYD")

            # Only the fields that apply are shown.
            assert page.locator("#id_contact_relation").is_hidden()
            page.check('input[name="complainant_kind"][value="on_behalf"]')
            assert page.locator("#id_contact_relation").is_visible()
            page.check('input[name="complainant_kind"][value="anonymous"]')
            assert page.locator("#id_contact_name").is_hidden()
            page.check('input[name="complainant_kind"][value="patient"]')
            assert page.locator("#id_contact_name").is_visible()
            trap = page.locator(".px-trap").bounding_box()  # the field people never see
            assert trap is None or (trap["width"] <= 1 and trap["height"] <= 1)

            page.fill("#id_contact_name", "نورة العتيبي")
            page.fill("#id_contact_phone", "٠٥٠١٢٣٤٥٦٧")  # as an Arabic keyboard types it
            page.select_option("#id_department", str(riyadh["clinic"].pk))
            page.fill("#id_summary", "تأخر موعد العيادة")
            page.fill("#id_description", "انتظرت ثلاث ساعات بعد موعدي دون أي توضيح من الاستقبال.")
            page.set_input_files("#id_attachments", str(photo))
            assert fits(page)
            page.screenshot(path=str(tmp_path / "complaint-form.png"), full_page=True)
            page.click('button[type="submit"]')
            page.wait_for_selector('[data-testid="thanks"]')
            assert page.get_attribute("html", "dir") == "rtl"
            assert fits(page)
            shown = page.inner_text('[data-testid="reference"]')
            page.screenshot(path="/tmp/px360-complaint-ar-thanks.png", full_page=True)

            complaint = Complaint.objects.get()
            assert shown == complaint.reference
            assert complaint.channel == Channel.WEB
            assert complaint.contact_phone == "+966501234567"
            assert complaint.department == riyadh["clinic"]
            assert [a.content_type for a in complaint.attachments.all()] == ["image/png"]

            # Following it: the reference and the last four digits, typed the Arabic way.
            page.click(".px-thanks a.px-button")
            page.wait_for_selector('[data-testid="status-form"]')
            page.fill("#id_reference", shown)
            page.fill("#id_phone_digits", "٤٥٦٧")
            page.click('button[type="submit"]')
            page.wait_for_selector('[data-testid="status-result"]')
            assert fits(page)
            assert shown in page.inner_text('[data-testid="status-result"]')
            assert "انتظرت" not in page.content()
            page.screenshot(path="/tmp/px360-complaint-ar-status.png", full_page=True)
        finally:
            browser.close()
    assert problems == []
    shutil.copy(tmp_path / "complaint-form.png", "/tmp/px360-complaint-ar-form.png")
