"""The admin's layout in both directions, on a desktop and on a phone, in Chromium.

Arabic pages run right to left: arrows that lead onwards point left, and a
phone number or a code stays a left-to-right unit (its "+" first) inside
Arabic text. On a 360 px phone the page title stays readable and no page is
wider than the screen: wide lists scroll inside their own box.
"""

import pytest

from .test_survey_phone import CHROMIUM, CHROMIUM_ARGS, pytestmark  # noqa: F401 (the browser marks)

PASSWORD = "a-long-test-password-2026"
PHONE = "+966501234567"
DESKTOP, PHONE_SCREEN = 1366, 360


@pytest.fixture
def ward(transactional_db):
    """A hospital with a patient, a failed HIS message and the people who read them."""
    from django.contrib.auth.models import Permission

    from px360.accounts.roles import RoleCode
    from px360.accounts.services import create_default_roles
    from px360.integrations.choices import EventStatus
    from px360.integrations.models import InboundEvent, IntegrationSource
    from px360.journeys.models import Encounter

    from ..factories import DepartmentFactory, HospitalFactory, PatientFactory, UserFactory

    create_default_roles()
    hospital = HospitalFactory(
        code="RYD", name="مستشفى النور العام", name_ar="مستشفى النور العام", name_en="Al-Noor General Hospital"
    )
    department = DepartmentFactory(hospital=hospital, code="MED", name_ar="الباطنة", name_en="Internal Medicine")
    patient = PatientFactory(
        hospital=hospital,
        mrn="RYD1000001",
        phone=PHONE,
        name_ar="فاطمة عبدالله الغامدي",
        name_en="Fatimah Abdullah Al-Ghamdi",
    )
    for number in range(3):
        Encounter.objects.create(
            hospital=hospital,
            department=department,
            encounter_number=f"RYD-OPD-9000{number}",
            encounter_type="OPD",
            patient=patient,
            admitted_at="2026-11-01T09:00:00+03:00",
            status="active",
        )
    source = IntegrationSource.objects.create(code="his-ryd", name="HIS")
    source.hospitals.add(hospital)
    raw = "MSH|^~\\&|HIS|RYD|PX360|RYD|20261101090000||ADT^A03|RYD-ADT-000102|P|2.5\r" + "PID|1||" + "9" * 300
    event = InboundEvent.objects.create(
        source=source,
        message_id="RYD-ADT-000102",
        format="hl7",
        event_type="A03",
        hospital=hospital,
        encounter_number="RYD-OPD-90017",
        status=EventStatus.FAILED,
        raw=raw,
        payload={"segments": raw.split("\r")},
        error="Unknown encounter RYD-OPD-90017.",
    )
    # A reader of patients who may not change them: the phone number is shown, not edited.
    reader = UserFactory(username="ryd-reader", role=RoleCode.VIEWER, hospital=hospital)
    reader.user_permissions.add(Permission.objects.get(codename="view_patient"))
    users = {
        "reader": reader,
        "coordinator": UserFactory(username="ryd-coordinator", role=RoleCode.PX_COORDINATOR, hospital=hospital),
    }
    for user in users.values():
        user.set_password(PASSWORD)
        user.save()
    return {"patient": patient, "event": event, "users": users}


@pytest.fixture
def open_admin(live_server, monkeypatch):
    """open_admin(user, language, width) -> a signed-in Playwright page."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def open_page(user, language, width):
        page = browser.new_page(viewport={"width": width, "height": 800}, timezone_id="Asia/Riyadh")
        page.goto(f"{live_server.url}/{language}/admin/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.px_url = lambda path: f"{live_server.url}/{language}/admin/{path}"
        return page

    yield open_page
    browser.close()
    playwright.stop()


def scale_x(locator) -> str:
    return locator.evaluate("e => getComputedStyle(e).scale")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_breadcrumb_and_sidebar_chevrons_point_the_way_the_page_reads(ward, open_admin, language):
    page = open_admin(ward["users"]["coordinator"], language, DESKTOP)
    page.goto(page.px_url(f"organizations/patient/{ward['patient'].pk}/change/"))
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    crumbs = page.locator("#header-inner h1 .px-chevron")
    assert crumbs.count() == 2
    sidebar = page.locator("nav h2 .material-symbols-outlined", has_text="chevron_right").first
    for chevron in (crumbs.first, sidebar):
        # Right to left, the "onward" chevron is drawn mirrored: it points left.
        assert scale_x(chevron) == ("-1 1" if language == "ar" else "none")
    # And it sits between the parent and the page in reading order: the parent
    # on the right in Arabic, on the left in English.
    parent = page.locator("#header-inner h1 .px-title-parent").first.bounding_box()
    current = page.locator("#header-inner h1 .px-title-current").bounding_box()
    assert (parent["x"] > current["x"]) == (language == "ar")


@pytest.mark.parametrize("width", [DESKTOP, PHONE_SCREEN])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_phone_number_reads_with_its_plus_first(ward, open_admin, language, width):
    page = open_admin(ward["users"]["reader"], language, width)
    page.goto(page.px_url(f"organizations/patient/{ward['patient'].pk}/change/"))
    value = page.locator(".readonly bdi.px-ltr", has_text=PHONE[1:])
    assert value.count() == 1
    assert value.inner_text() == PHONE
    assert value.evaluate("e => getComputedStyle(e).direction") == "ltr"
    # The "+" is drawn at the value's left edge, before the country code, in both languages.
    plus, last = value.evaluate(
        """e => {
            const text = e.firstChild, range = document.createRange(), box = i => {
                range.setStart(text, i); range.setEnd(text, i + 1); return range.getBoundingClientRect().x;
            };
            return [box(0), box(text.length - 1)];
        }"""
    )
    assert plus < last
    assert abs(plus - value.bounding_box()["x"]) < 2


@pytest.mark.parametrize("language", ["ar", "en"])
def test_page_titles_stay_readable_on_a_phone(ward, open_admin, language):
    page = open_admin(ward["users"]["coordinator"], language, PHONE_SCREEN)
    for path in (
        f"organizations/patient/{ward['patient'].pk}/change/",
        f"integrations/inboundevent/{ward['event'].pk}/change/",
        "journeys/encounter/",
    ):
        page.goto(page.px_url(path))
        title = page.locator("#header-inner h1 .px-title-current")
        shown = title.evaluate(
            "e => ({width: e.getBoundingClientRect().width, clipped: e.scrollWidth > e.clientWidth + 1"
            " || e.scrollHeight > e.clientHeight + 1, text: e.innerText.trim()})"
        )
        # The page's own name, whole, not a letter or two of every crumb.
        assert shown["text"], path
        assert not shown["clipped"], (path, shown)
        assert shown["width"] >= 40, (path, shown)
        assert page.locator("#header-inner h1 .px-title-parent").first.is_hidden()


@pytest.mark.parametrize("width", [DESKTOP, PHONE_SCREEN])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_lists_and_the_failed_message_page_fit_the_screen(ward, open_admin, language, width):
    page = open_admin(ward["users"]["coordinator"], language, width)
    for path in (
        "journeys/encounter/",
        "organizations/patient/",
        "integrations/inboundevent/",
        f"integrations/inboundevent/{ward['event'].pk}/change/",
    ):
        page.goto(page.px_url(path))
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (path, overflow)
    # A list wider than a phone keeps its columns and scrolls inside its own box.
    page.goto(page.px_url("journeys/encounter/"))
    table = page.locator("#result_list")
    box = table.evaluate("e => { const p = e.parentElement; return [getComputedStyle(p).overflowX, p.clientWidth] }")
    assert box[0] == "auto"
    assert box[1] <= width
    # The encounter number is one left-to-right unit, never broken at its hyphens.
    number = page.locator("#result_list bdi.px-ltr", has_text="RYD-OPD-90001").first
    assert number.evaluate("e => e.getClientRects().length") == 1
