import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.integrations.models import InboundEvent, IntegrationSource
from px360.journeys.journey_models import JourneyInstance, JourneyTemplate
from px360.journeys.models import Encounter
from px360.surveys.models import SurveyInstance, SurveyResponse, SurveyTemplate
from px360.surveys.services import template_current_version

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
    assert figures(client) == {}
    # A Department Manager sees encounters, journeys and surveys, not the HIS message log.
    client.force_login(make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a))
    assert set(figures(client)) == set(FIGURES) - {"HIS messages that failed"}


def test_the_figure_links_to_its_filtered_list(client, superuser, hospital_a):
    _encounter(hospital_a, "A-9")
    client.force_login(superuser)
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:journeys_encounter_changelist") + "?admitted_at_from_0=" in html
    assert 'data-testid="dashboard-figures"' in html
    # Every figure's link opens its list, filtered, without an error.
    cards = client.get(reverse("admin:index")).context["px_figures"]
    assert len(cards) == len(FIGURES)
    for figure in cards:
        response = client.get(figure["url"])
        assert response.status_code == 200, figure["url"]


# --- every figure's value, in the user's scope --------------------------------------------------

RIYADH = dt.timezone(dt.timedelta(hours=3))
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=RIYADH)
LONG_AGO = NOW - dt.timedelta(days=40)


class _Rows:
    """Rows of one hospital for the six figures, each counted or deliberately not."""

    def __init__(self, hospital):
        self.hospital = hospital
        self.survey = SurveyTemplate.objects.get_or_create(
            code="dashboard", defaults={"name": "d", "name_ar": "لوحة", "name_en": "Dashboard"}
        )[0]
        self.version = template_current_version(template=self.survey)
        self.journey_template = JourneyTemplate.objects.get_or_create(
            journey_type="OPD", hospital=hospital, defaults={"name": "j", "name_ar": "رحلة", "name_en": "Journey"}
        )[0]
        self.source = IntegrationSource.objects.get_or_create(code="dashboard-his", defaults={"name": "HIS"})[0]
        self.count = 0

    def _number(self):
        self.count += 1
        return f"{self.hospital.code}-{self.count}"

    def encounter(self, admitted_at=LONG_AGO):
        return Encounter.objects.create(
            hospital=self.hospital,
            encounter_number=self._number(),
            encounter_type="OPD",
            patient=PatientFactory(hospital=self.hospital),
            admitted_at=admitted_at,
        )

    def journey(self, status):
        return JourneyInstance.objects.create(
            encounter=self.encounter(),
            template=self.journey_template,
            journey_type="OPD",
            started_at=LONG_AGO,
            status=status,
        )

    def event(self, status):
        number = self._number()
        return InboundEvent.objects.create(
            source=self.source, message_id=number, format="json", hospital=self.hospital, status=status, raw="{}"
        )

    def invitation(self, status):
        number = self._number()
        return SurveyInstance.objects.create(
            template=self.survey,
            version=self.version,
            hospital=self.hospital,
            patient=PatientFactory(hospital=self.hospital),
            trigger_key=f"dashboard:{number}",
            token=f"dashboard-{number}",
            triggered_at=LONG_AGO,
            status=status,
        )

    def response(self, submitted_at, *, negative=False):
        return SurveyResponse.objects.create(
            instance=self.invitation("completed"),
            hospital=self.hospital,
            template=self.survey,
            version=self.version,
            language="ar",
            submitted_at=submitted_at,
            is_negative=negative,
        )

    def fill(self, *, encounters, journeys, failed, awaiting, responses, negatives):
        """Counted rows in the numbers given, and next to them rows each figure must leave out."""
        for _ in range(encounters):
            self.encounter(admitted_at=NOW - dt.timedelta(days=7))  # the first minute of the seven days
        self.encounter(admitted_at=NOW - dt.timedelta(days=7, minutes=1))
        for _ in range(journeys):
            self.journey("active")
        self.journey("completed")
        self.journey("cancelled")
        for _ in range(failed):
            self.event("failed")
        self.event("processed")
        self.event("rejected")
        for index in range(awaiting):
            self.invitation("invited" if index % 2 else "opened")
        for status in ("scheduled", "completed", "expired", "cancelled"):
            self.invitation(status)
        # The month starts at midnight in Riyadh: 01:00 on the 1st counts, 23:30 on the 31st does not.
        first_hour = dt.datetime(2026, 11, 1, 1, 0, tzinfo=RIYADH)
        for index in range(responses):
            self.response(first_hour if index == 0 else NOW, negative=index < negatives)
        self.response(dt.datetime(2026, 10, 31, 23, 30, tzinfo=RIYADH), negative=True)
        self.response(None, negative=True)  # still being filled in


FIGURES = (
    "Encounters in the last 7 days",
    "Journeys in progress",
    "HIS messages that failed",
    "Surveys awaiting an answer",
    "Survey responses this month",
    "Negative responses this month",
)
HOSPITAL_A = dict(zip(FIGURES, (2, 3, 1, 4, 6, 5), strict=True))
HOSPITAL_B = dict(zip(FIGURES, (5, 1, 2, 3, 4, 2), strict=True))


@pytest.fixture
def two_hospitals(hospital_a, hospital_b):
    with freeze_time(NOW):
        for hospital, numbers in ((hospital_a, HOSPITAL_A), (hospital_b, HOSPITAL_B)):
            _Rows(hospital).fill(
                encounters=numbers["Encounters in the last 7 days"],
                journeys=numbers["Journeys in progress"],
                failed=numbers["HIS messages that failed"],
                awaiting=numbers["Surveys awaiting an answer"],
                responses=numbers["Survey responses this month"],
                negatives=numbers["Negative responses this month"],
            )


@freeze_time(NOW)
def test_a_hospital_admin_sees_each_figure_of_their_hospital_only(client, two_hospitals, hospital_admin_a):
    client.force_login(hospital_admin_a)
    assert figures(client) == HOSPITAL_A


@freeze_time(NOW)
def test_a_px_admin_sees_each_figure_of_every_hospital(client, two_hospitals, make_user, hospital_a):
    client.force_login(make_user(RoleCode.PX_ADMIN, hospital=hospital_a, username="px_dashboard"))
    assert figures(client) == {label: HOSPITAL_A[label] + HOSPITAL_B[label] for label in FIGURES}


@freeze_time(NOW)
def test_hospital_b_counts_its_own_figures(client, two_hospitals, make_user, hospital_b):
    client.force_login(make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_b, username="hb_dashboard"))
    assert figures(client) == HOSPITAL_B
