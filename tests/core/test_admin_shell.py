"""The admin shell: languages, direction, branding, re-registered admins."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_arabic_login_page_is_right_to_left_and_arabic(client):
    response = client.get("/ar/admin/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'dir="rtl"' in html
    assert 'lang="ar"' in html
    assert "تجربة المريض 360" in html
    assert "اسم المستخدم" in html  # "Username"


def test_english_login_page_is_left_to_right(client):
    response = client.get("/en/admin/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'dir="rtl"' not in html
    assert 'lang="en"' in html
    assert "Username" in html


def test_bare_admin_url_redirects_to_a_language(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/ar/admin/"  # Arabic unless the browser asks otherwise
    assert client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")["Location"] == "/en/admin/"


def test_pages_load_no_asset_from_another_host(client, superuser):
    client.force_login(superuser)
    for url in ("/ar/admin/login/", "/ar/admin/", "/ar/admin/organizations/hospital/add/"):
        html = client.get(url).content.decode()
        for marker in ('src="http', 'href="http', 'src="//', 'href="//', "googleapis", "cdn."):
            assert marker not in html, (url, marker)


def test_arabic_stylesheet_and_font_are_served_locally(client, superuser):
    client.force_login(superuser)
    html = client.get("/ar/admin/").content.decode()
    assert "/static/px360/css/admin.css" in html


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:django_q_schedule_changelist",
        "admin:django_q_schedule_add",
        "admin:django_q_success_changelist",
        "admin:django_q_failure_changelist",
        "admin:django_q_ormq_changelist",
        "admin:auth_group_changelist",
        "admin:auth_group_add",
    ],
)
def test_system_admin_pages_render_for_a_superuser(client, superuser, url_name):
    client.force_login(superuser)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    # Unfold's templates, not Django's stock admin.
    assert "unfold" in response.content.decode()


def test_group_change_page_renders(client, superuser):
    group = Group.objects.create(name="Quality team")
    client.force_login(superuser)
    assert client.get(reverse("admin:auth_group_change", args=[group.pk])).status_code == 200


def test_environment_badge_is_shown(client, superuser):
    client.force_login(superuser)
    response = client.get("/en/admin/")
    # The suite runs with PX360_ENV=test: the badge names that environment.
    assert [str(part) for part in response.context["environment"]] == ["Test", "info"]
    assert re.search(r">\s*Test\s*</span>", response.content.decode())


@pytest.mark.django_db
def test_showing_translated_forms_leaves_the_admin_passing_its_checks(client, superuser):
    """A translated admin with fieldsets and a custom form stays valid after its pages are shown."""
    from django.core import checks

    client.force_login(superuser)
    for url in ("/en/admin/surveys/surveytemplate/add/", "/en/admin/sla/slapolicy/add/"):
        assert client.get(url).status_code == 200, url
    errors = [message for message in checks.run_checks() if message.is_serious()]
    assert errors == []
