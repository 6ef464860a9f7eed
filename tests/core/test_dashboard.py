import pytest
from django.urls import reverse
from django.utils import timezone, translation

from px360.accounts.roles import RoleCode
from px360.journeys.models import Encounter

from ..factories import PatientFactory

pytestmark = pytest.mark.django_db


def _encounter(hospital, number):
    return Encounter.objects.create(
        hospital=hospital,
        encounter_number=number,
        encounter_type="OPD",
        patient=PatientFactory(hospital=hospital),
        admitted_at=timezone.now(),
    )


def figures(client):
    with translation.override("en"):
        response = client.get(reverse("admin:index"))
        assert response.status_code == 200
        return {str(figure["label"]): figure["value"] for figure in response.context["px_figures"]}


def test_home_page_figures_count_only_the_users_scope(client, hospital_admin_a, hospital_a, hospital_b):
    _encounter(hospital_a, "A-1")
    _encounter(hospital_b, "B-1")
    _encounter(hospital_b, "B-2")
    client.force_login(hospital_admin_a)
    assert figures(client)["Encounters in the last 7 days"] == 1


def test_figures_the_user_may_not_see_are_left_out(client, make_user, hospital_a):
    staff = make_user(RoleCode.STAFF, hospital=hospital_a)
    client.force_login(staff)
    assert "Encounters in the last 7 days" not in figures(client)


def test_the_figure_links_to_its_filtered_list(client, superuser, hospital_a):
    _encounter(hospital_a, "A-9")
    client.force_login(superuser)
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:journeys_encounter_changelist") + "?admitted_at__gte=" in html
    assert 'data-testid="dashboard-figures"' in html
    # Every figure's link opens its list, filtered, without an error.
    for figure in client.get(reverse("admin:index")).context["px_figures"]:
        response = client.get(figure["url"])
        assert response.status_code == 200, figure["url"]
