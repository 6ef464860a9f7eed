"""Every figure on the home page opens exactly the rows it counts.

For each figure the user is shown, the test follows its link and compares the
list with the figure (the number) and with the rows the figure means (each
defined here from the raw tables, independently of the dashboard and of the
lists). Two hospitals hold counted rows and rows each figure must leave out,
so a link that drops a filter, or a figure that counts another hospital,
shows.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from freezegun import freeze_time

from px360.accounts.roles import RoleCode
from px360.core.models import AuditAction, AuditEvent
from px360.integrations.models import InboundEvent, IntegrationSource
from px360.journeys.journey_models import JourneyInstance, JourneyTemplate
from px360.journeys.models import Encounter
from px360.surveys.models import SurveyInstance, SurveyResponse, SurveyTemplate
from px360.surveys.services import template_current_version

from ..factories import PatientFactory

pytestmark = pytest.mark.django_db

RIYADH = dt.timezone(dt.timedelta(hours=3))
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=RIYADH)
LONG_AGO = NOW - dt.timedelta(days=40)
MONTH_START = dt.datetime(2026, 11, 1, 0, 0, tzinfo=RIYADH)

# What each figure means, from the raw tables: the rows of the given hospitals it counts.
MEANING = {
    "Encounters in the last 7 days": lambda h: Encounter.objects.filter(
        hospital__in=h, admitted_at__gte=NOW - dt.timedelta(days=7)
    ),
    "Journeys in progress": lambda h: JourneyInstance.objects.filter(encounter__hospital__in=h, status="active"),
    "HIS messages that failed": lambda h: InboundEvent.objects.filter(hospital__in=h, status="failed"),
    "Surveys awaiting an answer": lambda h: SurveyInstance.objects.filter(
        hospital__in=h, status__in=["invited", "opened"]
    ),
    "Survey responses this month": lambda h: SurveyResponse.objects.filter(
        hospital__in=h, submitted_at__gte=MONTH_START
    ),
    "Negative responses this month": lambda h: SurveyResponse.objects.filter(
        hospital__in=h, submitted_at__gte=MONTH_START, is_negative=True
    ),
}


class Rows:
    """One hospital's rows: some each figure counts, some it must leave out."""

    def __init__(self, hospital):
        self.hospital = hospital
        self.survey = SurveyTemplate.objects.get_or_create(
            code="links", defaults={"name": "l", "name_ar": "روابط", "name_en": "Links"}
        )[0]
        self.version = template_current_version(template=self.survey)
        self.journey_template = JourneyTemplate.objects.get_or_create(
            journey_type="OPD", hospital=hospital, defaults={"name": "j", "name_ar": "رحلة", "name_en": "Journey"}
        )[0]
        self.source = IntegrationSource.objects.get_or_create(code="links-his", defaults={"name": "HIS"})[0]
        self.source.hospitals.add(hospital)
        self.count = 0

    def _key(self):
        self.count += 1
        return f"{self.hospital.code}-{self.count}"

    def encounter(self, admitted_at=LONG_AGO):
        return Encounter.objects.create(
            hospital=self.hospital,
            encounter_number=self._key(),
            encounter_type="OPD",
            patient=PatientFactory(hospital=self.hospital),
            admitted_at=admitted_at,
        )

    def invitation(self, status):
        key = self._key()
        return SurveyInstance.objects.create(
            template=self.survey,
            version=self.version,
            hospital=self.hospital,
            patient=PatientFactory(hospital=self.hospital),
            trigger_key=f"links:{key}",
            token=f"links-{key}",
            triggered_at=LONG_AGO,
            status=status,
        )

    def fill(self, n):
        """``n`` (1, 2, ...) varies the numbers between hospitals."""
        for _ in range(n + 1):
            self.encounter(NOW - dt.timedelta(days=7))  # the first minute of the seven days
        self.encounter(NOW - dt.timedelta(days=7, minutes=1))
        self.encounter(NOW - dt.timedelta(hours=1))
        for status in ["active"] * n + ["completed", "cancelled"]:
            JourneyInstance.objects.create(
                encounter=self.encounter(),
                template=self.journey_template,
                journey_type="OPD",
                started_at=LONG_AGO,
                status=status,
            )
        for status in ["failed"] * n + ["processed", "rejected"]:
            InboundEvent.objects.create(
                source=self.source,
                message_id=self._key(),
                format="json",
                hospital=self.hospital,
                status=status,
                raw="{}",
            )
        for status in ["invited"] * n + ["opened"] * (n + 1) + ["scheduled", "completed", "expired", "cancelled"]:
            self.invitation(status)
        # The month starts at midnight in Riyadh: 01:00 on the 1st counts, 23:30 on the 31st does not.
        answered = [
            (dt.datetime(2026, 11, 1, 1, 0, tzinfo=RIYADH), True),
            (NOW - dt.timedelta(hours=2), False),
            *[(NOW - dt.timedelta(days=3), index % 2 == 0) for index in range(n)],
            (dt.datetime(2026, 10, 31, 23, 30, tzinfo=RIYADH), True),
            (None, True),  # still being filled in
        ]
        for submitted_at, negative in answered:
            SurveyResponse.objects.create(
                instance=self.invitation("completed"),
                hospital=self.hospital,
                template=self.survey,
                version=self.version,
                language="ar",
                submitted_at=submitted_at,
                is_negative=negative,
            )


@pytest.fixture
def two_hospitals(hospital_a, hospital_b):
    with freeze_time(NOW):
        Rows(hospital_a).fill(1)
        Rows(hospital_b).fill(3)


PERSONAS = [
    (RoleCode.PX_COORDINATOR, "a"),
    (RoleCode.HOSPITAL_ADMIN, "a"),
    (RoleCode.HOSPITAL_ADMIN, "b"),
    (RoleCode.PX_ADMIN, "all"),
]


@freeze_time(NOW)
@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(("role", "scope"), PERSONAS, ids=[f"{role}-{scope}" for role, scope in PERSONAS])
def test_every_figure_opens_exactly_the_rows_it_counts(
    client, two_hospitals, make_user, hospital_a, hospital_b, role, scope, language
):
    own = {"a": hospital_a, "b": hospital_b, "all": hospital_a}[scope]
    hospitals = [hospital_a, hospital_b] if scope == "all" else [own]
    client.force_login(make_user(role, hospital=own, username=f"links_{role}_{scope}"))
    with translation.override("en"):
        cards = client.get(reverse("admin:index")).context["px_figures"]
        labels = [str(card["label"]) for card in cards]
    # A figure added without saying here what it means fails this test.
    assert set(labels) <= set(MEANING), set(labels) - set(MEANING)
    assert labels, "the persona sees figures"
    with translation.override(language):
        cards = client.get(reverse("admin:index")).context["px_figures"]
    for label, card in zip(labels, cards, strict=True):
        meant = set(MEANING[label](hospitals).values_list("pk", flat=True))
        assert meant, f"{label}: the data gives the figure something to count"
        assert card["value"] == len(meant), label
        assert card["url"].startswith(f"/{language}/admin/")
        listing = client.get(card["url"])
        assert listing.status_code == 200, (label, card["url"])
        changelist = listing.context["cl"]
        assert set(changelist.queryset.values_list("pk", flat=True)) == meant, label
        assert {row.pk for row in changelist.result_list} == meant, label  # all on the first page
        # The link's filters matter: the same list unfiltered shows more.
        everything = client.get(card["url"].split("?")[0]).context["cl"].queryset
        assert everything.count() > len(meant), label


@freeze_time(NOW)
def test_the_figures_html_links_to_the_filtered_lists(client, two_hospitals, hospital_admin_a):
    client.force_login(hospital_admin_a)
    html = client.get("/en/admin/").content.decode()
    assert "/en/admin/surveys/surveyinstance/?status__exact=invited&amp;status__exact=opened" in html
    assert "/en/admin/surveys/surveyresponse/?submitted_at_from_0=2026-11-01&amp;submitted_at_from_1=00%3A00" in html
    assert "negative=yes" in html
    # Counting is not reading: the home page leaves no filtered-list events in the audit log.
    assert not AuditEvent.objects.filter(action__in=[AuditAction.FILTER, AuditAction.SEARCH]).exists()
