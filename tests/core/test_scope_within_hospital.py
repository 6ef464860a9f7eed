"""Scope inside one hospital: what a department, a physician record or an assignment leaves out.

The permission matrix proves that nothing of hospital B reaches hospital A's users. This file
proves the narrower scopes hold inside hospital A itself (``px360.core.access``):

=====================  ==========================  =====================================
role                   scope                       rows of its own hospital left out
=====================  ==========================  =====================================
Department Manager     department and sub-tree     a sibling department and its rows
Nurse                  their department only       another department's rows, and a
                                                   sub-department's rows too
Physician              rows about them             another physician's rows, even in
                                                   the same department
Staff                  rows assigned to them       rows assigned to or owned by someone
                                                   else, even in the same department
=====================  ==========================  =====================================

Each role is checked against every registered admin whose model's ``px_access`` declares
that role's dimension (department; physician; assignees or owner), so a new model that
declares one is checked as soon as it is registered (and fails here until it says how to
build one of its rows). Every persona also belongs to a team group that holds view (and
export, where the model has it) on those models: the permission table is data and grows,
and the role scope alone must keep the rows out. Out-of-scope rows must be absent from the
changelist, its search and the sidebar search, answer 404 on their change page, never be
offered by autocomplete, and never be exported; in-scope rows of the same kind are present
everywhere, so none of this passes because a screen shows nothing at all.
"""

from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from px360.accounts.roles import RoleCode
from px360.complaints.services import NewComplaint, complaint_create, feedback_create, inquiry_create
from px360.core.access import model_access
from px360.core.unfold import SEARCHABLE_MODELS
from px360.journeys.journey_models import JourneyInstance, JourneyTemplate
from px360.journeys.models import Encounter, ImportJob
from px360.surveys.choices import SuppressionReason, SurveyStatus
from px360.surveys.models import SurveyInstance, SurveyResponse, SurveyTemplate
from px360.surveys.services import template_current_version

from ..factories import (
    DepartmentFactory,
    EmployeeFactory,
    HospitalFactory,
    PatientFactory,
    PhysicianFactory,
    UserFactory,
)
from ..helpers import export_rows

pytestmark = pytest.mark.django_db

PLACES = ("own", "colleague", "ward", "sibling")


@dataclass
class Place:
    """Rows of every kind in one corner of hospital A: one department, one physician, one owner."""

    key: str
    department: object
    physician: object
    owner: object
    rows: dict = field(default_factory=dict)


# What each role may see of the four places. "own" and "colleague" share the persona's
# department (MED); "ward" is a sub-department of MED; "sibling" is another top-level
# department. The "own" physician record is the physician persona's, and the "own" rows
# belong to the staff persona.
EXPECTED_IN = {
    RoleCode.DEPARTMENT_MANAGER: {"own", "colleague", "ward"},
    RoleCode.NURSE: {"own", "colleague"},
    RoleCode.PHYSICIAN: {"own"},
    RoleCode.STAFF: {"own"},
}


def _declares(role: RoleCode):
    """Whether a model's access declaration has the dimension this role is scoped by."""

    def department(rules):
        return bool(rules.department)

    def physician(rules):
        return bool(rules.physician)

    def assigned(rules):
        return bool(rules.assignees or rules.owner)

    return {
        RoleCode.DEPARTMENT_MANAGER: department,
        RoleCode.NURSE: department,
        RoleCode.PHYSICIAN: physician,
        RoleCode.STAFF: assigned,
    }[role]


def scoped_models(role: RoleCode) -> list:
    """Registered admins whose model declares the role's dimension (shared models have none)."""
    declares = _declares(role)
    found = []
    for model in admin.site._registry:
        rules = model_access(model)
        if rules is not None and not rules.shared and declares(rules):
            found.append(model)
    return sorted(found, key=lambda model: model._meta.label_lower)


# How to find, in a place, the row of each model, and the term that finds that row in a
# search or an export. A newly registered model with a department, physician, assignee or
# owner path needs an entry here.
@dataclass(frozen=True)
class Rows:
    attribute: str
    term: object
    # A rule of the model's own admin, on top of scope, that hides an in-scope row from its
    # screens (never from the autocomplete that names the row on another record).
    admin_hides: object = None


def _own_account(persona, row) -> bool:
    # Nobody manages their own account in the user admin (px360.accounts.selectors).
    return row.pk == persona.pk


ROWS = {
    "organizations.department": Rows("department", lambda row: row.code),
    "organizations.physician": Rows("physician", lambda row: row.license_number),
    "organizations.employee": Rows("employee", lambda row: row.employee_number),
    "accounts.user": Rows("owner", lambda row: row.username, admin_hides=_own_account),
    "journeys.importjob": Rows("import_job", lambda row: row.original_name),
    "journeys.encounter": Rows("encounter", lambda row: row.encounter_number),
    "journeys.journeyinstance": Rows("journey", lambda row: row.encounter.encounter_number),
    "surveys.surveyinstance": Rows("invitation", lambda row: row.encounter.encounter_number),
    "surveys.surveysuppression": Rows("suppressed", lambda row: row.encounter.encounter_number),
    "surveys.surveyresponse": Rows("response", lambda row: row.instance.encounter.encounter_number),
    "complaints.complaint": Rows("complaint", lambda row: row.reference),
    "complaints.inquiry": Rows("inquiry", lambda row: row.reference),
    "complaints.feedback": Rows("feedback", lambda row: row.reference),
}


@pytest.fixture
def world(roles):
    """Hospital A with four places, a persona per scoped role, and a team group per role."""
    hospital = HospitalFactory(code="HA", name="مستشفى أ", name_ar="مستشفى أ", name_en="Hospital A")
    medicine = DepartmentFactory(hospital=hospital, code="ZMED", name_en="Medicine", name_ar="الباطنة")
    ward = DepartmentFactory(hospital=hospital, code="ZWARD", name_en="Ward", name_ar="الجناح", parent=medicine)
    surgery = DepartmentFactory(hospital=hospital, code="ZSURG", name_en="Surgery", name_ar="الجراحة")

    personas = {
        role: UserFactory(username=f"persona_{role.value}", role=role.value, hospital=hospital, department=medicine)
        for role in EXPECTED_IN
    }
    departments = {"own": medicine, "colleague": medicine, "ward": ward, "sibling": surgery}
    owners = {
        "own": personas[RoleCode.STAFF],
        **{
            key: UserFactory(username=f"{key}_user", hospital=hospital, department=departments[key])
            for key in ("colleague", "ward", "sibling")
        },
    }
    survey = SurveyTemplate.objects.create(code="scope-check", name="scope", name_ar="نطاق", name_en="Scope")
    version = template_current_version(template=survey)
    journey_template = JourneyTemplate.objects.create(
        journey_type="OPD", hospital=hospital, name="OPD", name_ar="العيادات", name_en="OPD"
    )
    now = timezone.now()
    places = {}
    for key in PLACES:
        place = Place(
            key=key,
            department=departments[key],
            physician=PhysicianFactory(
                hospital=hospital,
                department=departments[key],
                license_number=f"L-{key.upper()}",
                user=personas[RoleCode.PHYSICIAN] if key == "own" else None,
            ),
            owner=owners[key],
        )
        rows = place.rows
        rows["department"], rows["physician"], rows["owner"] = place.department, place.physician, place.owner
        rows["employee"] = EmployeeFactory(
            user=place.owner, hospital=hospital, department=place.department, employee_number=f"E-{key.upper()}"
        )
        rows["import_job"] = ImportJob.objects.create(user=place.owner, hospital=hospital, original_name=f"{key}.csv")
        patient = PatientFactory(hospital=hospital, mrn=f"M-{key.upper()}")
        rows["encounter"] = encounter = Encounter.objects.create(
            hospital=hospital,
            encounter_number=f"ENC-{key.upper()}",
            encounter_type="OPD",
            patient=patient,
            department=place.department,
            attending_physician=place.physician,
            admitted_at=now,
        )
        rows["journey"] = JourneyInstance.objects.create(
            encounter=encounter, template=journey_template, journey_type="OPD", started_at=now
        )
        invitation = {
            "template": survey,
            "version": version,
            "hospital": hospital,
            "patient": patient,
            "encounter": encounter,
            "journey_type": "OPD",
            "triggered_at": now,
        }
        rows["invitation"] = SurveyInstance.objects.create(
            **invitation, trigger_key=f"scope:{key}", token=f"scope-{key}", status=SurveyStatus.COMPLETED
        )
        rows["suppressed"] = SurveyInstance.objects.create(
            **invitation,
            trigger_key=f"scope:{key}:suppressed",
            token=f"scope-{key}-suppressed",
            status=SurveyStatus.SUPPRESSED,
            suppression_reason=SuppressionReason.DECEASED,
        )
        rows["response"] = SurveyResponse.objects.create(
            instance=rows["invitation"], hospital=hospital, template=survey, version=version, language="ar"
        )
        places[key] = place

    # Complaints name the people they are about: the nurse persona is named on those of its
    # own department ("own", "colleague"), the physician persona on its own place's.
    nurse = EmployeeFactory(
        user=personas[RoleCode.NURSE], hospital=hospital, department=medicine, employee_number="E-NURSE"
    )
    for key, place in places.items():
        named = [place.rows["employee"], *([nurse] if key in ("own", "colleague") else [])]
        place.rows["complaint"] = complaint_create(
            NewComplaint(
                hospital=hospital,
                department=place.department,
                summary=f"complaint {key}",
                description="…",
                physicians=[place.physician],
                staff=named,
                assigned_to=place.owner,
            )
        )
        place.rows["inquiry"] = inquiry_create(
            hospital=hospital, department=place.department, subject=key, question="?", assigned_to=place.owner
        )
        place.rows["feedback"] = feedback_create(
            hospital=hospital,
            department=place.department,
            kind="compliment",
            text=key,
            physician=place.physician,
            employee=place.rows["employee"],
        )

    for role, persona in personas.items():
        team = Group.objects.create(name=f"team:{role.value}")
        team.permissions.set(_view_and_export(scoped_models(role)))
        persona.groups.add(team)
    return {"hospital": hospital, "personas": personas, "places": places}


def _view_and_export(models) -> list:
    permissions = []
    for model in models:
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        name = model._meta.model_name
        permissions += Permission.objects.filter(
            content_type=content_type, codename__in=[f"view_{name}", f"export_{name}"]
        )
    return permissions


def _url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _autocomplete_source(model):
    """A (model, field) whose foreign key points at ``model``: how a form would offer its rows."""
    # History tables copy every foreign key; a live model is where a form offers one.
    # A registered model first: its change form is where staff meet the widget.
    live = [source for source in apps.get_models() if not hasattr(source, "instance_type")]
    ordered = sorted(live, key=lambda candidate: (candidate not in admin.site._registry, candidate._meta.label_lower))
    for source in ordered:
        for candidate in source._meta.get_fields():
            if candidate.concrete and candidate.is_relation and candidate.related_model is model:
                return source, candidate.name
    return None


def _cases():
    cases = []
    for role in EXPECTED_IN:
        for model in scoped_models(role):
            cases.append(pytest.param(role, model, id=f"{role.value}-{model._meta.label_lower}"))
    return cases


def test_every_role_has_models_to_check():
    # The parametrisation comes from the registry: an empty list would check nothing.
    for role in EXPECTED_IN:
        assert scoped_models(role), role


@pytest.mark.parametrize(("role", "model"), _cases())
def test_rows_outside_the_roles_scope_stay_out_of_every_screen(client, world, role, model):
    label = model._meta.label_lower
    assert label in ROWS, f"{label} declares a scope dimension: add how to build its row to ROWS"
    spec = ROWS[label]
    term_of = spec.term
    rows = {key: place.rows[spec.attribute] for key, place in world["places"].items()}
    inside = EXPECTED_IN[role]
    # Places may share a row (the department of "own" and "colleague"): it is in if any place is.
    in_scope = {rows[key].pk for key in inside}
    hidden = {key: row for key, row in rows.items() if row.pk not in in_scope}
    offered_rows = {key: rows[key] for key in inside}
    assert hidden, f"{label}: nothing to hide from {role}"
    persona = world["personas"][role]
    shown = {key: row for key, row in offered_rows.items() if not (spec.admin_hides and spec.admin_hides(persona, row))}
    visible_pks = {row.pk for row in shown.values()}
    client.force_login(persona)
    model_admin = admin.site._registry[model]

    listing = client.get(_url(model, "changelist"))
    assert listing.status_code == 200, (label, listing.status_code)
    listed = {obj.pk for obj in listing.context["cl"].result_list}
    assert visible_pks <= listed, f"{label}: {role} should list its own rows"
    assert not listed & {row.pk for row in hidden.values()}, f"{label}: {role} lists rows outside its scope"

    for key, row in shown.items():
        assert client.get(_url(model, "change", row.pk)).status_code == 200, (label, key)
    for key, row in hidden.items():
        assert client.get(_url(model, "change", row.pk)).status_code == 404, (label, key)
        assert client.get(_url(model, "history", row.pk)).status_code == 404, (label, key, "history")

    # The search the list offers this role (a role without access to patients gets none on patient lists).
    if model_admin.get_search_fields(listing.wsgi_request):
        for key, row in shown.items():
            found = client.get(_url(model, "changelist"), {"q": term_of(row)}).context["cl"].result_list
            assert row.pk in {obj.pk for obj in found}, (label, key, "search")
        for key, row in hidden.items():
            found = client.get(_url(model, "changelist"), {"q": term_of(row)}).context["cl"].result_list
            assert list(found) == [], (label, key, "search")

    if label in SEARCHABLE_MODELS:
        for key, row in {**shown, **hidden}.items():
            results = client.get(reverse("admin:search"), {"s": term_of(row)}).context["results"]
            links = {str(result.link) for result in results}
            assert (_url(model, "change", row.pk) in links) is (key in shown), (label, key, "sidebar search")

    source = _autocomplete_source(model)
    offers_search = bool(model_admin.get_search_fields(listing.wsgi_request))
    if source is not None and not offers_search:
        # No search for this role: no autocomplete either (Django answers 404).
        source_model, field_name = source
        answer = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": source_model._meta.app_label,
                "model_name": source_model._meta.model_name,
                "field_name": field_name,
                "term": "",
            },
        )
        assert answer.status_code in (403, 404), (label, "autocomplete without search", answer.status_code)
    if source is not None and offers_search:
        source_model, field_name = source
        answer = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": source_model._meta.app_label,
                "model_name": source_model._meta.model_name,
                "field_name": field_name,
                "term": "",
            },
        )
        assert answer.status_code == 200, (label, "autocomplete", answer.status_code)
        offered = {item["id"] for item in answer.json()["results"]}
        assert {str(row.pk) for row in offered_rows.values()} <= offered, (label, "autocomplete")
        assert not offered & {str(row.pk) for row in hidden.values()}, (label, "autocomplete offers")

    try:
        _url(model, "export")
    except NoReverseMatch:
        return  # no export screen
    # The team group holds the export permission of every model that has an export screen.
    assert persona.has_perm(f"{model._meta.app_label}.export_{model._meta.model_name}"), label
    status, exported = export_rows(client, model)
    assert status == 200, (label, "export", status)
    cells = [str(cell) for line in exported for cell in line]
    for key, row in shown.items():
        assert any(term_of(row) in cell for cell in cells), (label, key, "export")
    for key, row in hidden.items():
        assert not any(term_of(row) in cell for cell in cells), (label, key, "exported")
