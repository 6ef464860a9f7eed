"""The admin keeps the language a user signs in with, until they save a preference."""

import pytest

from px360.accounts.roles import RoleCode

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _sign_in(client, url, username):
    response = client.post(url, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "the sign-in failed"
    return response["Location"]


def _first_page(client, location):
    """Follow the redirects after signing in; the final page and the path it was served at."""
    response = client.get(location, follow=True)
    assert response.status_code == 200
    return response, response.request["PATH_INFO"]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_user_without_a_preference_stays_in_the_language_they_signed_in_with(client, make_user, hospital_a, language):
    coordinator = make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="new_coord")
    assert coordinator.preferred_language == ""  # a new account has not chosen yet
    page, path = _first_page(client, _sign_in(client, f"/{language}/admin/login/", "new_coord"))
    assert path == f"/{language}/admin/"
    assert f'lang="{language}"' in page.content.decode()
    assert client.cookies["px360_language"].value == language


@pytest.mark.parametrize(("language", "other"), [("en", "ar"), ("ar", "en")])
def test_a_next_link_in_the_other_language_opens_in_the_sign_in_language(
    client, make_user, hospital_a, language, other
):
    make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="new_coord")
    url = f"/{language}/admin/login/?next=/{other}/admin/organizations/hospital/"
    _page, path = _first_page(client, _sign_in(client, url, "new_coord"))
    assert path == f"/{language}/admin/organizations/hospital/"


@pytest.mark.parametrize(("saved", "signed_in_with"), [("ar", "en"), ("en", "ar")])
def test_a_saved_preference_wins_over_the_sign_in_page(client, make_user, hospital_a, saved, signed_in_with):
    make_user(RoleCode.VIEWER, hospital=hospital_a, username="decided", preferred_language=saved)
    page, path = _first_page(client, _sign_in(client, f"/{signed_in_with}/admin/login/", "decided"))
    assert path == f"/{saved}/admin/"
    assert f'lang="{saved}"' in page.content.decode()
    # The user may switch afterwards: the next page is not sent back.
    assert client.get(f"/{signed_in_with}/admin/").status_code == 200
