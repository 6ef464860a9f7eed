"""The SLA pages in Chromium: Arabic, right to left, on a 360 px phone."""

import pytest

from ..browser.test_survey_phone import CHROMIUM, CHROMIUM_ARGS, pytestmark  # noqa: F401 (the browser marks)
from .conftest import TEST_KIND, riyadh

PASSWORD = "a-long-test-password-2026"


@pytest.fixture
def sla_world(transactional_db):
    from px360.accounts.services import create_default_roles
    from px360.sla.choices import Recipient, StepTrigger
    from px360.sla.models import EscalationStep, SLAPolicy
    from px360.sla.services import start_clocks

    from ..factories import DepartmentFactory, HospitalFactory, UserFactory

    create_default_roles()
    hospital = HospitalFactory(code="RYD", name="مستشفى النور", name_ar="مستشفى النور", name_en="Al-Noor Hospital")
    policy = SLAPolicy.objects.create(
        name_ar="الشكاوى القياسية",
        name_en="Standard complaints",
        kind=TEST_KIND.code,
        acknowledge_target=1,
        resolve_target=5,
    )
    for percent, recipient in ((50, Recipient.ASSIGNEE), (80, Recipient.DEPARTMENT_MANAGER)):
        EscalationStep.objects.create(policy=policy, trigger=StepTrigger.PERCENT, percent=percent, audience=recipient)
    item = DepartmentFactory(hospital=hospital, code="ITEM1")
    start_clocks(
        item,
        kind=TEST_KIND.code,
        received_at=riyadh(2026, 11, 1, 9),
        status="new",
        hospital=hospital,
        reference="CMP-2026-000123",
    )
    root = UserFactory(username="root-sla", is_superuser=True)
    root.set_password(PASSWORD)
    root.save()
    return {"policy": policy, "user": root}


@pytest.fixture
def phone_page(live_server, monkeypatch, sla_world):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 360, "height": 800}, timezone_id="Asia/Riyadh")
    page.goto(f"{live_server.url}/ar/admin/login/")
    page.fill("input[name=username]", sla_world["user"].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.px_url = lambda path: f"{live_server.url}/ar/admin/{path}"
    yield page
    browser.close()
    playwright.stop()


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_the_policy_preview_reads_right_to_left_on_a_phone(phone_page, sla_world):
    page = phone_page
    page.goto(page.px_url(f"sla/slapolicy/{sla_world['policy'].pk}/change/?received=2026-11-26T15:00"))
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "dir") == "rtl"
    table = page.locator("table.px360-sla-whatif")
    assert table.count() == 1
    text = table.inner_text()
    assert "جمادى الآخرة" in text  # Hijri dates beside the Gregorian ones
    assert overflow(page) <= 1
    box = table.evaluate("e => [getComputedStyle(e.parentElement).overflowX, e.parentElement.clientWidth]")
    assert box[0] == "auto" and box[1] <= 360


def test_the_clock_list_fits_a_phone(phone_page):
    page = phone_page
    for path in ("sla/slaclock/", "sla/businesscalendar/", "sla/calendarexception/"):
        page.goto(page.px_url(path))
        page.wait_for_load_state("networkidle")
        assert page.get_attribute("html", "dir") == "rtl"
        assert overflow(page) <= 1, path
    page.goto(page.px_url("sla/slaclock/?due=breached"))
    assert page.locator("#result_list", has_text="CMP-2026-000123").count() == 1
