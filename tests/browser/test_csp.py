"""The admin and the public pages under the Content-Security-Policy, in Chromium.

Unfold runs on Alpine.js, HTMX and Chart.js, modeltranslation's tabs on the
vendored jQuery UI, Django's date widgets on its own calendar script: a policy
that blocks one of them leaves a page that looks fine in the HTML and does
nothing in the browser. These tests load each kind of page with the policy on,
listen for every violation the browser reports, and use the page (a tab
switches, a calendar opens, a related form opens in its frame).
"""

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .test_survey_phone import CHROMIUM, CHROMIUM_ARGS, arabic_invitation  # noqa: F401 (a fixture)

# Per test, not per module: the header test below needs no browser.
browser_test = pytest.mark.browser
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

PASSWORD = "a-long-test-password-2026"

# Runs in every page and frame before the page's own scripts; init scripts are
# not subject to the page's policy, so the listener itself is never blocked.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.pxReportViolation(
        `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`
    );
});
"""


class Watcher:
    """Everything a page did that the policy (or a broken script) would explain."""

    def __init__(self, context, origin):
        self.origin = origin
        self.violations = []
        self.errors = []
        self.outside = []
        context.expose_function("pxReportViolation", self._violation)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("request", self._request)

    def _violation(self, text):
        self.violations.append(text)

    def watch(self, page):
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)
        return page

    def _console(self, message):
        # Chromium also logs each refusal ("Refused to ... Content Security Policy").
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)

    def _request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.outside.append(request.url)

    def assert_clean(self, where):
        assert self.violations == [], f"{where}: {self.violations}"
        assert self.errors == [], f"{where}: {self.errors}"
        assert self.outside == [], f"{where}: requests to other hosts {self.outside}"


@pytest.fixture
def browser_page(live_server, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    # Playwright's sync API runs an event loop; scoped to the test.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="Asia/Riyadh")
            # A shared two-core machine can take its time; nothing here measures speed.
            context.set_default_timeout(90_000)
            watcher = Watcher(context, live_server.url)
            yield watcher.watch(context.new_page()), watcher
        finally:
            browser.close()


@pytest.fixture
def admin_data(transactional_db):
    from px360.accounts.models import User
    from px360.journeys.choices import JobStatus
    from px360.journeys.models import ImportJob

    from ..factories import DepartmentFactory, HospitalFactory, PatientFactory, PhysicianFactory

    user = User.objects.create_superuser("csp-admin", email="csp@example.sa", password=PASSWORD)
    hospital = HospitalFactory(code="RYD", name="مستشفى النور", name_ar="مستشفى النور", name_en="Al-Noor Hospital")
    department = DepartmentFactory(hospital=hospital, code="MED", name_ar="الباطنة", name_en="Medicine")
    physician = PhysicianFactory(hospital=hospital, department=department, license_number="LIC-CSP-1")
    PatientFactory(hospital=hospital, birth_date=dt.date(1980, 5, 1))
    job = ImportJob.objects.create(
        user=user, hospital=hospital, status=JobStatus.RUNNING, total_rows=10, processed_rows=4, progress=40
    )
    return {"user": user, "physician": physician, "job": job}


def sign_in(page, base, language):
    page.goto(f"{base}/{language}/admin/login/")
    page.fill("input[name=username]", "csp-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"), wait_until="domcontentloaded")


def shot(page, name):
    page.screenshot(path=f"/tmp/px360-csp-{name}.png", full_page=False)


@browser_test
@needs_chromium
@pytest.mark.parametrize("language", ["ar", "en"])
def test_admin_pages_work_under_the_policy(live_server, admin_data, browser_page, language):
    from playwright.sync_api import expect

    page, watcher = browser_page
    base = live_server.url
    admin = f"{base}/{language}/admin"
    sign_in(page, base, language)
    watcher.assert_clean("login")

    # Index: Alpine.js has run (it removes x-cloak, which hides the whole page) and the sidebar shows.
    page.goto(f"{admin}/")
    shot(page, f"{language}-index")
    watcher.assert_clean("index")
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    assert page.get_attribute("html", "x-cloak") is None
    # The command palette: Alpine opens it, HTMX fetches the matching records.
    command = page.locator("#search-input-command")
    expect(command).to_be_hidden()
    page.keyboard.press("Control+k")
    expect(command).to_be_visible()
    command.press_sequentially("LIC-CSP")
    expect(page.locator("#command-results")).to_contain_text("LIC-CSP-1")
    shot(page, f"{language}-command")
    page.keyboard.press("Escape")
    watcher.assert_clean("command palette")
    # The sidebar's groups open on a click (Alpine), and lead to a changelist.
    physicians = page.locator("#nav-sidebar-apps a[href$='/organizations/physician/']")
    expect(physicians).to_be_hidden()
    group = page.locator("#nav-sidebar-apps > div", has=page.locator("a[href$='/organizations/physician/']"))
    group.locator("h2").click()
    expect(physicians).to_be_visible()
    physicians.click()
    page.wait_for_url("**/organizations/physician/")

    # A changelist.
    expect(page.get_by_text("LIC-CSP-1").first).to_be_visible()
    shot(page, f"{language}-changelist")
    watcher.assert_clean("changelist")

    # A change form: modeltranslation's tabs (jQuery UI) switch between the languages ...
    page.goto(f"{admin}/organizations/physician/{admin_data['physician'].pk}/change/")
    other = "en" if language == "ar" else "ar"
    expect(page.locator(f"#id_name_{language}")).to_be_visible()
    expect(page.locator(f"#id_name_{other}")).to_be_hidden()
    page.locator(f"a.ui-tabs-anchor[href='#tab_id_name_{other}']").click()
    expect(page.locator(f"#id_name_{other}")).to_be_visible()
    expect(page.locator(f"#id_name_{language}")).to_be_hidden()
    shot(page, f"{language}-change-tabs")
    # ... and the related hospital opens in Unfold's modal frame (frame-src, frame-ancestors).
    page.locator("[x-ref=relatedWidgetWrapperhospital]").click()
    page.locator("#change_id_hospital").click()
    frame = page.frame_locator("iframe.related-modal-frame")
    expect(frame.locator("input[name=code]")).to_have_value("RYD")
    shot(page, f"{language}-change-related")
    watcher.assert_clean("change form")

    # A date widget: Django's calendar opens next to the birth date.
    page.goto(f"{admin}/organizations/patient/add/")
    calendar = page.locator("#id_birth_date ~ .datetimeshortcuts a[id^=calendarlink]")
    box = page.locator(f"#calendarbox{calendar.get_attribute('id').removeprefix('calendarlink')}")
    expect(box).to_be_hidden()
    calendar.click()
    expect(box).to_be_visible()
    shot(page, f"{language}-date-widget")
    watcher.assert_clean("date widget")

    # The encounter import page, and a running import polling its progress (the
    # project's one inline script, allowed by the request's nonce).
    page.goto(f"{admin}/journeys/encounter/import/")
    expect(page.locator("input[type=file]").first).to_be_visible()
    shot(page, f"{language}-import")
    watcher.assert_clean("import page")
    # import-export's own pages (Unfold's templates), as the physician list offers them.
    for step, field in (("import", "input[type=file]"), ("export", "#id_format")):
        page.goto(f"{admin}/organizations/physician/{step}/")
        expect(page.locator(field).first).to_be_visible()
        shot(page, f"{language}-physician-{step}")
        watcher.assert_clean(f"physician {step}")
    job = admin_data["job"]
    with page.expect_request(lambda request: f"/importjob/{job.pk}/status/" in request.url, timeout=60_000):
        page.goto(f"{admin}/journeys/importjob/{job.pk}/change/")
    shot(page, f"{language}-import-job")
    watcher.assert_clean("import job")


@browser_test
@needs_chromium
def test_the_survey_page_and_the_sign_in_page_work_under_the_policy(live_server, arabic_invitation, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    from px360.surveys.services import survey_link_value

    page, watcher = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/s/{survey_link_value(arabic_invitation)}/")
    assert page.get_attribute("html", "dir") == "rtl"
    # The page's own script shows the follow-up question after a low score.
    follow_up = page.locator("#question-recommend_why")
    expect(follow_up).to_be_hidden()
    page.check('input[name="q_recommend"][value="3"]')
    expect(follow_up).to_be_visible()
    shot(page, "ar-survey")
    watcher.assert_clean("survey page")

    for path in ("/ar/admin/login/", "/en/admin/login/", "/health/"):
        page.goto(f"{live_server.url}{path}")
        watcher.assert_clean(path)
    page.goto(f"{live_server.url}/ar/admin/login/")
    shot(page, "ar-login")


def test_every_kind_of_page_carries_the_policy(client, admin_data, arabic_invitation):  # noqa: F811
    """The header is on the admin (both languages), its forms and import page, the survey page, sign-in and health."""
    from px360.surveys.services import survey_link_value

    def policy_of(response):
        header = response["Content-Security-Policy"]
        # No outside host anywhere.
        assert "http" not in header and "*" not in header
        return dict(directive.strip().split(" ", 1) for directive in header.split(";"))

    anonymous = ["/ar/admin/login/", "/en/admin/login/", "/health/", f"/s/{survey_link_value(arabic_invitation)}/"]
    signed_in = [
        "/ar/admin/",
        "/en/admin/",
        "/en/admin/organizations/physician/",
        f"/ar/admin/organizations/physician/{admin_data['physician'].pk}/change/",
        "/en/admin/organizations/patient/add/",
        "/ar/admin/journeys/encounter/import/",
        f"/en/admin/journeys/importjob/{admin_data['job'].pk}/change/",
    ]
    responses = {path: client.get(path) for path in anonymous}
    client.force_login(admin_data["user"])
    responses.update({path: client.get(path) for path in signed_in})
    for path, response in responses.items():
        assert response.status_code in (200, 503), path  # health is 503 until the job cluster beats
        policy = policy_of(response)
        assert policy["default-src"] == "'self'", path
        assert policy["object-src"] == "'none'", path
        assert policy["base-uri"] == "'self'" and policy["form-action"] == "'self'", path
        assert policy["frame-ancestors"] == "'self'", path
        # Inline scripts run only with this response's nonce.
        assert "'unsafe-inline'" not in policy["script-src"], path

    # The running import's progress script carries the nonce its response allows.
    response = client.get(f"/en/admin/journeys/importjob/{admin_data['job'].pk}/change/")
    nonce = response["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'<script nonce="{nonce}">' in response.content.decode()
