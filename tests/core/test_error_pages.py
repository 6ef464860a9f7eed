"""Error pages speak the user's language, look like the admin, and reveal nothing.

A Viewer who opens a screen outside their role, a link with a refused filter,
a record out of scope and a server error each get a page in Arabic (right to
left) or English with a way back, never Django's bare English text.
"""

import re
import uuid

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from px360.accounts.roles import RoleCode
from px360.core.views import bad_request, server_error

from ..factories import PatientFactory

pytestmark = pytest.mark.django_db

DIRECTION = {"ar": "rtl", "en": "ltr"}
OTHER = {"ar": "en", "en": "ar"}


def _text_in(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def _assert_admin_error_page(response, *, language: str, status: int, heading: str):
    assert response.status_code == status
    page = response.content.decode()
    assert f'lang="{language}" dir="{DIRECTION[language]}"' in page
    assert "unfold/css/styles.css" in page  # the admin's look, not Django's bare page
    assert f"{_text_in(language, heading)}</h1>" in page
    assert f'<bdi dir="ltr">{status}</bdi>' in page
    return page


@pytest.fixture
def viewer(make_user, hospital_a):
    return make_user(RoleCode.VIEWER, hospital=hospital_a, username="viewer_a")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_viewer_opening_a_screen_outside_their_role_gets_the_403_page_in_their_language(client, viewer, language):
    client.force_login(viewer)
    response = client.get(f"/{language}/admin/integrations/inboundevent/")
    page = _assert_admin_error_page(
        response, language=language, status=403, heading="You do not have access to this page"
    )
    assert "403 Forbidden" not in page
    assert f'href="/{language}/admin/"' in page  # back to the dashboard
    assert f'href="/{OTHER[language]}/admin/integrations/inboundevent/"' in page  # the same page, other language


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_refused_changelist_lookup_answers_the_400_page(client, make_user, hospital_a, language):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a")
    client.force_login(coordinator)
    response = client.get(f"/{language}/admin/organizations/patient/", {"national_id__startswith": "1"})
    _assert_admin_error_page(response, language=language, status=400, heading="This address cannot be opened")


def _without_varying_parts(page: str, *ids) -> str:
    for value in ids:
        page = page.replace(str(value), "<id>")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_record_out_of_scope_reads_exactly_like_a_missing_one(client, make_user, hospital_a, hospital_b, language):
    other_hospitals_patient = PatientFactory(hospital=hospital_a)
    missing = uuid.uuid4() if isinstance(other_hospitals_patient.pk, uuid.UUID) else other_hospitals_patient.pk + 10**6
    outsider = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_b, username="coord_b")
    client.force_login(outsider)
    pages = []
    for pk in (other_hospitals_patient.pk, missing):
        response = client.get(f"/{language}/admin/organizations/patient/{pk}/change/")
        page = _assert_admin_error_page(response, language=language, status=404, heading="Page not found")
        pages.append(_without_varying_parts(page, other_hospitals_patient.pk, missing))
    assert pages[0] == pages[1]
    assert other_hospitals_patient.mrn not in pages[0]


@pytest.mark.parametrize("language", ["ar", "en"])
def test_an_unknown_address_offers_sign_in_to_a_visitor(client, language):
    response = client.get(f"/{language}/no-such-page/")
    page = _assert_admin_error_page(response, language=language, status=404, heading="Page not found")
    assert f'href="/{language}/admin/login/"' in page
    assert "no-such-page" in page  # only in the link to the other language
    assert page.count("no-such-page") == 1


def test_a_request_refused_before_it_has_a_user_still_gets_the_page():
    request = RequestFactory().get("/en/admin/")  # no session, no user: refused by a middleware
    with translation.override("en"):
        response = bad_request(request)
    assert response.status_code == 400
    assert "This address cannot be opened</h1>" in response.content.decode()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_500_page_needs_neither_the_database_nor_the_request(django_db_blocker, language):
    request = RequestFactory().get(f"/{language}/admin/")
    with django_db_blocker.block(), translation.override(language):
        response = server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert f'lang="{language}" dir="{DIRECTION[language]}"' in page
    assert f"{_text_in(language, 'Something went wrong on our side')}</h1>" in page
    assert "unfold/css/styles.css" in page


def test_a_crash_in_the_admin_answers_the_500_page(hospital_admin_a, monkeypatch):
    def broken_dashboard(request, context):
        raise RuntimeError("the dashboard broke")

    monkeypatch.setattr("px360.core.dashboard.dashboard_callback", broken_dashboard)
    client = Client(raise_request_exception=False)
    client.force_login(hospital_admin_a)
    response = client.get("/ar/admin/")
    assert response.status_code == 500
    page = response.content.decode()
    assert 'lang="ar" dir="rtl"' in page
    assert "the dashboard broke" not in page
    assert f"{_text_in('ar', 'Something went wrong on our side')}</h1>" in page
