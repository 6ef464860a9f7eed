"""Finding a patient's invitations and responses where coordinators look for them.

A coordinator types what the patient on the phone gives: an MRN, a name in
any Arabic spelling, a phone number written any way, an encounter number. The
same patient in another hospital (same name, same phone, same MRN) is never
found. Filters narrow by department, physician and dates; a department or
physician of another hospital selects nothing.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.core.models import AuditAction, AuditEvent
from px360.journeys.models import Encounter
from px360.surveys.models import SurveyInstance, SurveyResponse, SurveyTemplate
from px360.surveys.services import template_current_version

from ..factories import DepartmentFactory, PatientFactory, PhysicianFactory

pytestmark = pytest.mark.django_db

RIYADH = dt.timezone(dt.timedelta(hours=3))
INVITATIONS = "admin:surveys_surveyinstance_changelist"
RESPONSES = "admin:surveys_surveyresponse_changelist"
SUPPRESSIONS = "admin:surveys_surveysuppression_changelist"


class Hospital:
    """One hospital's patients, visits, invitations and responses."""

    def __init__(self, hospital, *, prefix):
        self.hospital = hospital
        self.prefix = prefix
        self.survey = SurveyTemplate.objects.get_or_create(
            code="finding", defaults={"name": "f", "name_ar": "استبيان الزيارة", "name_en": "Visit survey"}
        )[0]
        self.version = template_current_version(template=self.survey)
        self.cardiology = DepartmentFactory(hospital=hospital, code=f"{prefix}-CAR", name_en=f"Cardiology {prefix}")
        self.surgery = DepartmentFactory(hospital=hospital, code=f"{prefix}-SUR", name_en=f"Surgery {prefix}")
        self.dr_one = PhysicianFactory(hospital=hospital)
        self.dr_two = PhysicianFactory(hospital=hospital)
        self.count = 0

    def visit(self, patient, *, department, physician, at):
        self.count += 1
        encounter = Encounter.objects.create(
            hospital=self.hospital,
            encounter_number=f"{self.prefix}-ENC-{self.count}",
            encounter_type="OPD",
            patient=patient,
            department=department,
            attending_physician=physician,
            admitted_at=at - dt.timedelta(hours=2),
            discharged_at=at,
        )
        invitation = SurveyInstance.objects.create(
            template=self.survey,
            version=self.version,
            hospital=self.hospital,
            patient=patient,
            encounter=encounter,
            journey_type="OPD",
            trigger_key=f"finding:{self.prefix}:{self.count}",
            token=f"finding-{self.prefix}-{self.count}",
            triggered_at=at,
            invited_at=at + dt.timedelta(hours=2),
            status="completed",
        )
        response = SurveyResponse.objects.create(
            instance=invitation,
            hospital=self.hospital,
            template=self.survey,
            version=self.version,
            language="ar",
            submitted_at=at + dt.timedelta(hours=3),
        )
        return encounter, invitation, response


@pytest.fixture
def world(hospital_a, hospital_b):
    a, b = Hospital(hospital_a, prefix="A"), Hospital(hospital_b, prefix="B")
    # The same person known to both hospitals: same name, same phone, same MRN.
    ahmed = PatientFactory(hospital=hospital_a, mrn="M-100", name_ar="أحمد سالم القحطاني", phone="+966501112233")
    ahmed_b = PatientFactory(hospital=hospital_b, mrn="M-100", name_ar="أحمد سالم القحطاني", phone="+966501112233")
    other_b = PatientFactory(hospital=hospital_b, mrn="M-200", name_ar="خالد", phone="+966507778899")
    someone = PatientFactory(hospital=hospital_a, mrn="M-300", name_ar="فاطمة علي", phone="+966509990000")
    day = dt.datetime(2026, 11, 10, 9, 0, tzinfo=RIYADH)
    rows = {
        "ahmed": [
            a.visit(ahmed, department=a.cardiology, physician=a.dr_one, at=day),
            a.visit(ahmed, department=a.surgery, physician=a.dr_two, at=day + dt.timedelta(days=5)),
        ],
        "someone": [a.visit(someone, department=a.cardiology, physician=a.dr_two, at=day + dt.timedelta(days=1))],
        "ahmed_b": [b.visit(ahmed_b, department=b.cardiology, physician=b.dr_one, at=day)],
        "other_b": [b.visit(other_b, department=b.surgery, physician=b.dr_two, at=day)],
    }
    return {"a": a, "b": b, "rows": rows, "ahmed": ahmed, "ahmed_b": ahmed_b, "other_b": other_b}


@pytest.fixture
def coordinator(make_user, hospital_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="finder_coordinator")


def listed(client, url_name, **params):
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200, (url_name, params, response.status_code)
    return {row.pk for row in response.context["cl"].result_list}


def invitations(world, *names):
    return {row[1].pk for name in names for row in world["rows"][name]}


def responses(world, *names):
    return {row[2].pk for name in names for row in world["rows"][name]}


SEARCHES = [
    ("M-100", "the MRN"),
    ("احمد", "the name without hamza"),
    ("أحمد", "the name as written"),
    ("القحطانى", "the family name with alef maqsura"),
    ("0501112233", "the phone as dialled in Saudi Arabia"),
    ("+966 50 111 2233", "the phone in international form, spaced"),
    ("٠٥٠١١١٢٢٣٣", "the phone in Arabic-Indic digits"),
    ("00966501112233", "the phone with 00"),
]


@pytest.mark.parametrize(("term", "written_as"), SEARCHES, ids=[written for _term, written in SEARCHES])
def test_a_coordinator_finds_a_patients_invitations_and_responses_however_the_patient_is_written(
    client, world, coordinator, term, written_as
):
    client.force_login(coordinator)
    assert listed(client, INVITATIONS, q=term) == invitations(world, "ahmed")
    assert listed(client, RESPONSES, q=term) == responses(world, "ahmed")


def test_an_encounter_number_finds_exactly_that_visits_invitation_and_response(client, world, coordinator):
    client.force_login(coordinator)
    _encounter, invitation, response = world["rows"]["ahmed"][1]
    assert listed(client, INVITATIONS, q="A-ENC-2") == {invitation.pk}
    assert listed(client, RESPONSES, q="A-ENC-2") == {response.pk}
    assert listed(client, INVITATIONS, q="A-ENC") == set()  # numbers match exactly


def test_a_national_id_finds_the_patient_only_whole(client, world, coordinator):
    client.force_login(coordinator)
    national_id = world["ahmed"].national_id
    assert listed(client, INVITATIONS, q=national_id) == invitations(world, "ahmed")
    # A part of a masked identifier finds nothing: the search is no oracle on its digits.
    for part in (national_id[:6], national_id[-4:], national_id[:-1]):
        assert listed(client, INVITATIONS, q=part) == set(), part
        assert listed(client, RESPONSES, q=part) == set(), part


@pytest.mark.parametrize("persona", [RoleCode.PX_COORDINATOR, RoleCode.HOSPITAL_ADMIN])
def test_another_hospitals_patient_is_never_found(client, world, make_user, hospital_a, persona):
    client.force_login(make_user(persona, hospital=hospital_a, username=f"finder_{persona}"))
    other = world["other_b"]
    for term in (other.mrn, other.national_id, other.phone, "0507778899", "خالد", "B-ENC-1", "B-ENC-2"):
        assert listed(client, INVITATIONS, q=term) == set(), term
        assert listed(client, RESPONSES, q=term) == set(), term
    # The same MRN, phone and name in hospital B: only hospital A's visits.
    assert listed(client, INVITATIONS, q="M-100") == invitations(world, "ahmed")
    assert listed(client, RESPONSES, q="+966501112233") == responses(world, "ahmed")


def test_a_px_admin_finds_the_patient_in_every_hospital(client, world, make_user, hospital_a):
    client.force_login(make_user(RoleCode.PX_ADMIN, hospital=hospital_a, username="finder_px_admin"))
    assert listed(client, INVITATIONS, q="M-100") == invitations(world, "ahmed", "ahmed_b")
    assert listed(client, RESPONSES, q="احمد") == responses(world, "ahmed", "ahmed_b")


def test_a_common_name_is_searched_by_join_with_the_same_rows(client, world, coordinator, monkeypatch):
    from px360.surveys.admin.instance import SurveyInstanceAdmin
    from px360.surveys.admin.response import SurveyResponseAdmin

    for admin_class in (SurveyInstanceAdmin, SurveyResponseAdmin):
        monkeypatch.setattr(admin_class, "person_match_limit", 0)
    client.force_login(coordinator)
    for term, _written_as in SEARCHES:
        assert listed(client, INVITATIONS, q=term) == invitations(world, "ahmed"), term
        assert listed(client, RESPONSES, q=term) == responses(world, "ahmed"), term
    assert listed(client, INVITATIONS, q="M-200") == set()


def test_every_search_is_audited_with_identifiers_hashed(client, world, coordinator):
    client.force_login(coordinator)
    listed(client, INVITATIONS, q="0501112233")
    listed(client, RESPONSES, q="أحمد")
    listed(client, INVITATIONS, q="no-such-mrn-7")
    events = AuditEvent.objects.filter(action=AuditAction.SEARCH).order_by("id")
    assert [(e.content_type.model, e.details["term"]["kind"]) for e in events] == [
        ("surveyinstance", "phone"),
        ("surveyresponse", "name"),
        ("surveyinstance", "identifier"),
    ]
    assert all(e.actor == coordinator for e in events)
    assert "0501112233" not in str(list(events.values())) and "أحمد" not in str(list(events.values()))


def test_a_viewer_is_offered_no_patient_search_and_finds_nobody(client, world, make_user, hospital_a):
    """A Viewer reads survey figures, not patients: searching by who answered would name them."""
    client.force_login(make_user(RoleCode.VIEWER, hospital=hospital_a, username="finder_viewer"))
    for url_name in (INVITATIONS, RESPONSES):
        page = client.get(reverse(url_name))
        assert page.status_code == 200
        assert not page.context["cl"].search_fields
        assert listed(client, url_name, q="M-100") == set()
    assert listed(client, RESPONSES) == responses(world, "ahmed", "someone")


def test_a_search_reads_no_count_of_the_list(client, world, coordinator):
    client.force_login(coordinator)
    for url_name, table in ((INVITATIONS, "surveys_surveyinstance"), (RESPONSES, "surveys_surveyresponse")):
        with CaptureQueriesContext(connection) as queries:
            listed(client, url_name, q="احمد")
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and table in q["sql"]]
        assert counts == [], url_name


# --- filters -------------------------------------------------------------------------------


def test_filters_narrow_by_department_physician_and_dates(client, world, coordinator):
    a = world["a"]
    client.force_login(coordinator)
    first, second = world["rows"]["ahmed"]
    someone = world["rows"]["someone"][0]
    cases = [
        ({"encounter__department__id__exact": a.cardiology.pk}, {first, someone}),
        ({"encounter__department__id__exact": a.surgery.pk}, {second}),
        ({"encounter__attending_physician__id__exact": a.dr_two.pk}, {second, someone}),
        ({"encounter__attending_physician__id__exact": a.dr_two.pk, "q": "M-100"}, {second}),
        ({"invited_at_from_0": "2026-11-11", "invited_at_from_1": "00:00"}, {second, someone}),
        (
            {
                "invited_at_from_0": "2026-11-10",
                "invited_at_from_1": "00:00",
                "invited_at_to_0": "2026-11-10",
                "invited_at_to_1": "23:59",
            },
            {first},
        ),
    ]
    for params, rows in cases:
        assert listed(client, INVITATIONS, **params) == {row[1].pk for row in rows}, params
    response_cases = [
        ({"instance__encounter__department__id__exact": a.cardiology.pk}, {first, someone}),
        ({"instance__encounter__attending_physician__id__exact": a.dr_one.pk}, {first}),
        ({"submitted_at_from_0": "2026-11-15", "submitted_at_from_1": "00:00"}, {second}),
        (
            {
                "submitted_at_from_0": "2026-11-10",
                "submitted_at_from_1": "00:00",
                "submitted_at_to_0": "2026-11-11",
                "submitted_at_to_1": "23:59",
            },
            {first, someone},
        ),
    ]
    for params, rows in response_cases:
        assert listed(client, RESPONSES, **params) == {row[2].pk for row in rows}, params


def test_statuses_are_chosen_together(client, world, coordinator):
    client.force_login(coordinator)
    first, second = (row[1] for row in world["rows"]["ahmed"])
    SurveyInstance.objects.filter(pk=first.pk).update(status="invited")
    SurveyInstance.objects.filter(pk=second.pk).update(status="opened")
    response = client.get(reverse(INVITATIONS) + "?status__exact=invited&status__exact=opened")
    assert {row.pk for row in response.context["cl"].result_list} == {first.pk, second.pk}


def test_a_department_or_physician_of_another_hospital_selects_nothing_and_is_not_named(client, world, coordinator):
    b = world["b"]
    client.force_login(coordinator)
    for url_name, prefix in ((INVITATIONS, "encounter__"), (RESPONSES, "instance__encounter__")):
        for field, row in (("department", b.cardiology), ("attending_physician", b.dr_one)):
            page = client.get(reverse(url_name), {f"{prefix}{field}__id__exact": row.pk})
            assert page.status_code == 200
            assert list(page.context["cl"].result_list) == []
            assert row.name_en not in page.content.decode() and row.name_ar not in page.content.decode()


def test_undeclared_or_masked_lookups_are_refused(client, world, coordinator):
    client.force_login(coordinator)
    for url_name, prefix in ((INVITATIONS, "patient__"), (RESPONSES, "instance__patient__")):
        for lookup in ("national_id__startswith", "phone__startswith", "mrn", "name_search__contains"):
            assert client.get(reverse(url_name), {f"{prefix}{lookup}": "1"}).status_code == 400, lookup


def test_the_suppressed_list_is_searched_and_filtered_the_same_way(client, world, coordinator):
    first = world["rows"]["ahmed"][0][1]
    SurveyInstance.objects.filter(pk=first.pk).update(status="suppressed", suppression_reason="opted_out")
    client.force_login(coordinator)
    assert listed(client, SUPPRESSIONS, q="احمد") == {first.pk}
    assert listed(client, SUPPRESSIONS, q="M-200") == set()
    a = world["a"]
    assert listed(client, SUPPRESSIONS, encounter__department__id__exact=a.surgery.pk) == set()


# --- names, not codes ----------------------------------------------------------------------


def test_the_lists_show_names_in_the_readers_language_not_codes(client, world, coordinator):
    client.force_login(coordinator)
    for language, hospital_name in (("en", "Hospital A"), ("ar", "مستشفى أ")):
        page = client.get(f"/{language}/admin/surveys/surveyinstance/").content.decode()
        assert hospital_name in page
        assert ">HA<" not in page and "HA · " not in page
        responses_page = client.get(f"/{language}/admin/surveys/surveyresponse/").content.decode()
        assert hospital_name in responses_page
        assert ">HA<" not in responses_page and "HA · " not in responses_page
    english = client.get("/en/admin/surveys/surveyinstance/").content.decode()
    assert "Outpatient" in english and ">OPD<" not in english


def test_the_funnel_names_templates_and_hospitals(client, world, coordinator):
    client.force_login(coordinator)
    page = client.get("/en/admin/surveys/surveyinstance/funnel/")
    assert [row["label"] for row in page.context["by_hospital"]] == ["Hospital A"]
    assert [row["label"] for row in page.context["by_template"]] == ["Visit survey"]
    assert [row["code"] for row in page.context["by_template"]] == ["finding"]
