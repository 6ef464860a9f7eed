"""The encounter import in Chromium, in Arabic and English, on a desktop and on a phone-sized screen.

A data team member uploads a large file, which the job cluster checks; the job
page follows the check without a reload, shows the problems, takes the
confirmation once, and follows the save to its result. At 360 px no page is
wider than the screen: tables scroll inside their own box and the title reads
whole.
"""

import re

import pytest

from .test_survey_phone import CHROMIUM, CHROMIUM_ARGS, pytestmark  # noqa: F401 (the browser marks)

PASSWORD = "a-long-test-password-2026"

ROWS = [
    "hospital_code,encounter_number,encounter_type,patient_mrn,admitted_at,discharged_at",
    *(f"HA,E{n},OPD,M{n},2026-11-01 08:00,2026-11-01 10:00" for n in range(5)),
    "HA,BAD,XRAY,M9,31/02/2026,",
]

WORDS = {
    "en": {
        "checked": "Checked, waiting for confirmation",
        "confirm": "Confirm import",
        "confirmed": "Confirmed, waiting to be saved",
        "saved": "The import is saved.",
        "type_problem": "Unknown encounter type “XRAY”: use EMS, INPATIENT or OPD.",
    },
    "ar": {
        "checked": "تم الفحص، بانتظار التأكيد",
        "confirm": "تأكيد الاستيراد",
        "confirmed": "تم التأكيد، بانتظار الحفظ",
        "saved": "تم حفظ الاستيراد.",
        "type_problem": "نوع الزيارة «XRAY» غير معروف: استخدم EMS أو INPATIENT أو OPD.",
    },
}


@pytest.fixture
def data_team(transactional_db, settings):
    from px360.accounts.models import User
    from px360.accounts.roles import RoleCode
    from px360.accounts.services import create_default_roles

    from ..factories import DepartmentFactory, HospitalFactory, UserFactory

    create_default_roles()
    hospital = HospitalFactory(code="HA", name="مستشفى أ", name_ar="مستشفى أ", name_en="Hospital A")
    DepartmentFactory(hospital=hospital, code="MED", name_ar="الباطنة", name_en="Medicine")
    user = UserFactory(role=RoleCode.HOSPITAL_ADMIN, hospital=hospital, username="data-team")
    user.set_password(PASSWORD)
    user.save()
    settings.PX360_IMPORT_BACKGROUND_BYTES = 10  # every file goes to the job cluster
    return User.objects.get(pk=user.pk)


@pytest.fixture
def queue():
    """Tasks wait in the queue (as with a real cluster) until the test runs them."""
    from django_q.conf import Conf

    previous = Conf.SYNC
    Conf.SYNC = False
    yield
    Conf.SYNC = previous


def run_queued_task(page, name: str, job) -> None:
    """What the job cluster would do next, run here while the page's requests to the job wait.

    The live server shares the test's database connection: the page's polling is
    held back (routed) while this thread uses it.
    """
    from px360.journeys import tasks

    getattr(tasks, name)(str(job.pk))


def fits_the_screen(page) -> None:
    width = page.evaluate("() => window.innerWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1
    # The page title reads whole (not cut to a few letters).
    title = page.locator("h1").first
    assert title.evaluate("e => e.scrollWidth <= e.clientWidth + 1")


def scrolls_in_its_own_box(page, selector: str) -> None:
    """A wide table scrolls inside its box, and the box stays within the screen."""
    box = page.locator(selector)
    assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    edges = box.evaluate("e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; }")
    assert edges[0] >= -1 and edges[1] <= page.evaluate("() => window.innerWidth") + 1


@pytest.mark.parametrize("width", [1366, 360])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_job_page_follows_a_background_import_to_its_end(
    live_server, data_team, queue, monkeypatch, language, width
):
    from playwright.sync_api import expect, sync_playwright

    from px360.journeys.models import ImportJob

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    words = WORDS[language]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": 900}, timezone_id="Asia/Riyadh")
            context.set_default_timeout(60_000)
            expect.set_options(timeout=30_000)
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            base = f"{live_server.url}/{language}/admin"
            page.goto(f"{base}/login/")
            page.fill("input[name=username]", "data-team")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r"/admin/$"))

            # The import page: the columns, the template, the form; nothing wider than the screen.
            page.goto(f"{base}/journeys/encounter/import/")
            expect(page.locator("#px-import-columns tr[data-column=admitted_at]")).to_be_visible()
            expect(page.locator("#px-import-template a").first).to_be_visible()
            hint = page.locator("#px-import-columns tr[data-column=admitted_at] bdi")
            assert hint.get_attribute("dir") == "ltr"
            fits_the_screen(page)
            scrolls_in_its_own_box(page, "#px-import-columns .overflow-x-auto")
            page.screenshot(path=f"/tmp/px360-import-{language}-{width}-upload.png", full_page=True)

            page.set_input_files(
                "input[type=file]",
                files=[{"name": "visits.csv", "mimeType": "text/csv", "buffer": "\n".join(ROWS).encode()}],
            )
            page.locator("input[name=mode][value=valid]").check(force=True)
            page.locator("form[enctype] button[type=submit]").click()
            page.wait_for_url(re.compile(r"/importjob/[0-9a-f-]+/change/$"))
            job = ImportJob.objects.get()
            expect(page.locator("#px-job-following")).to_be_visible()
            # Hold the page's requests to the job while the "cluster" checks the file.
            page.route("**/importjob/**", lambda route: route.continue_())
            run_queued_task(page, "import_check", job)

            # Without a reload: the page shows the result of the check, the problems and the button.
            expect(page.locator("#px-job-status")).to_have_text(words["checked"])
            confirm = page.locator("#px-job-confirm button[type=submit]")
            expect(confirm).to_be_visible()
            expect(confirm).to_have_text(re.compile(words["confirm"]))
            expect(page.locator("#px-job-problems")).to_contain_text(words["type_problem"])
            expect(page.locator("#px-job-problems bdi", has_text="31/02/2026")).to_have_count(1)
            fits_the_screen(page)
            scrolls_in_its_own_box(page, "#px-job-problems .overflow-x-auto")
            page.screenshot(path=f"/tmp/px360-import-{language}-{width}-checked.png", full_page=True)

            confirm.click()
            page.wait_for_load_state("domcontentloaded")
            expect(page.locator("#px-job-status")).to_have_text(words["confirmed"])
            expect(page.locator("#px-job-confirm")).to_have_count(0)
            expect(page.locator("#px-job-confirmed")).to_be_visible()
            run_queued_task(page, "import_run", job)

            # Without a reload: the result, with the counts.
            expect(page.locator("#px-job-result")).to_contain_text(words["saved"])
            expect(page.locator("#px-count-new")).to_have_text("5")
            expect(page.locator("#px-count-rejected")).to_have_text("1")
            expect(page.locator("#px-job-following")).to_have_count(0)
            fits_the_screen(page)
            page.screenshot(path=f"/tmp/px360-import-{language}-{width}-done.png", full_page=True)
            assert errors == []
        finally:
            browser.close()
