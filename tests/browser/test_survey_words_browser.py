"""Survey lists in Arabic: a patient's English comment reads left to right, a short id stays one unit.

On the demo's data, as a PX Coordinator, in Chromium at 1,366 px and 360 px.
"""

import io

import pytest

from .test_rtl_layout import DESKTOP, PASSWORD, PHONE_SCREEN, open_admin  # noqa: F401 (the fixture)
from .test_survey_phone import CHROMIUM, pytestmark  # noqa: F401 (the browser marks)

COMMENT = "The wait at the pharmacy was two hours"


@pytest.fixture
def demo_coordinator(transactional_db, settings, tmp_path):
    from django.core.management import call_command

    from px360.accounts.roles import RoleCode
    from px360.organizations.models import Hospital
    from px360.surveys.models import SurveyResponse

    from ..factories import UserFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    hospital = Hospital.objects.get(code="RYD")
    response = SurveyResponse.objects.filter(hospital=hospital).order_by("-submitted_at").first()
    SurveyResponse.objects.filter(pk=response.pk).update(comments=COMMENT)
    user = UserFactory(username="ryd-px", role=RoleCode.PX_COORDINATOR, hospital=hospital)
    user.set_password(PASSWORD)
    user.save()
    return user, response


@pytest.mark.parametrize("width", [DESKTOP, PHONE_SCREEN])
def test_an_english_comment_and_a_short_id_keep_their_direction_in_an_arabic_list(
    demo_coordinator,
    open_admin,  # noqa: F811
    width,
):
    user, response = demo_coordinator
    page = open_admin(user, "ar", width)
    page.goto(page.px_url(f"surveys/surveyresponse/?q={response.instance.patient.mrn}"))
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "dir") == "rtl"
    comment = page.locator("#result_list bdi[dir=auto]", has_text=COMMENT)
    assert comment.count() == 1
    # The patient's English reads left to right inside the right-to-left row.
    assert comment.evaluate("e => getComputedStyle(e).direction") == "ltr"
    short = page.locator("#result_list bdi.px-ltr", has_text=str(response.pk)[:8])
    assert short.count() == 1
    assert short.evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert short.evaluate("e => e.getClientRects().length") == 1
