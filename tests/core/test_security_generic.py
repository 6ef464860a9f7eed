"""Every registered admin, probed through its changelist URL as an attacker would.

The tests are parametrized over ``admin.site._registry``, so a model admin is
covered the day it is registered:

(a) a lookup the changelist does not declare (``<field>__startswith``,
    ``<field>__regex``, ``id__gt``, a path through a declared filter) and
    sorting by a column that is not shown or not sortable are refused (400);
(b) every parameter of every declared filter, and every sortable column, is
    accepted;
(c) related filters never offer or name a row of another hospital: an id of
    hospital B in the URL renders no label and lists nothing;
(d) a field shown masked to a PX Coordinator (``px_masked_fields``) is neither
    filtered nor sorted on for them, also across relations.

Then the holes found by hand, one test each, and a probe admin that declares a
filter and a sortable column on a masked field and a distinct-value filter
across a relation, to show the guard holds even against a careless admin.
"""

import uuid

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.admin import FieldListFilter, RelatedFieldListFilter, SimpleListFilter
from django.contrib.admin.utils import get_fields_from_path, get_model_from_relation
from django.db import models
from django.urls import path, reverse
from unfold.sites import UnfoldAdminSite

from px360 import urls as project_urls
from px360.accounts.models import User
from px360.accounts.roles import RoleCode
from px360.core.access import model_access
from px360.core.admin.base import PXModelAdmin
from px360.core.admin.lookups import check_admins_guard_lookups, path_touches_masked
from px360.core.masking import mask_national_id, masked_fields
from px360.integrations.models import ApiKey, InboundEvent, IntegrationSource
from px360.journeys.models import Encounter, JourneyTemplate
from px360.notifications.models import Notification
from px360.organizations.models import Department, Hospital, Patient, Physician
from px360.surveys.models import SurveyTemplate

from ..factories import DepartmentFactory, HospitalFactory, PatientFactory, PhysicianFactory, UserFactory

pytestmark = pytest.mark.django_db

# In every name, code and username of hospital B; pages are searched for it case-insensitively.
MARK = "qqzulu"


def registered_models():
    return sorted(admin.site._registry, key=lambda model: model._meta.label_lower)


MODELS = registered_models()
MODEL_IDS = [model._meta.label_lower for model in MODELS]


@pytest.fixture
def world(roles):
    """Hospital A with a superuser and three staff roles; hospital B with a row of every filterable kind."""
    a = HospitalFactory(code="HA", name="مستشفى أ", name_ar="مستشفى أ", name_en="Hospital Alpha", city="Riyadh")
    b = HospitalFactory(
        code=MARK.upper(), name=f"{MARK} ب", name_ar=f"{MARK} ب", name_en=f"{MARK} hospital", city=f"{MARK}-city"
    )
    dept_a = DepartmentFactory(hospital=a, code="MED", name_en="Medicine", name_ar="الباطنة")
    dept_b = DepartmentFactory(hospital=b, code=f"{MARK}D", name_en=f"{MARK} dept", name_ar=f"{MARK} قسم")
    users = {
        role: UserFactory(username=f"a_{role.value}", role=role.value, hospital=a, department=dept_a)
        for role in (RoleCode.HOSPITAL_ADMIN, RoleCode.PX_COORDINATOR, RoleCode.DEPARTMENT_MANAGER)
    }
    users["superuser"] = UserFactory(username="root", is_superuser=True)
    user_b = UserFactory(username=f"{MARK}_admin", role=RoleCode.HOSPITAL_ADMIN, hospital=b, department=dept_b)
    source_b = IntegrationSource.objects.create(code=f"{MARK}-his", name=f"{MARK} HIS")
    source_b.hospitals.add(b)
    rows_b = {
        Hospital: b,
        Department: dept_b,
        Physician: PhysicianFactory(
            hospital=b, department=dept_b, license_number=f"{MARK}L1", name_en=f"{MARK} doc", name_ar=f"{MARK} د"
        ),
        User: user_b,
        IntegrationSource: source_b,
        SurveyTemplate: SurveyTemplate.objects.create(
            code=f"{MARK}-survey", name_en=f"{MARK} survey", name_ar=f"{MARK} استبيان", hospital=b
        ),
        JourneyTemplate: JourneyTemplate.objects.create(
            journey_type="OPD", hospital=b, name_en=f"{MARK} journey", name_ar=f"{MARK} رحلة"
        ),
        Patient: PatientFactory(hospital=b, mrn=f"{MARK}M1", name_en=f"{MARK} patient"),
    }
    for row in rows_b.values():
        assert MARK in str(row).lower(), f"{type(row).__name__}: its label must carry the mark to be looked for"
    return {"a": a, "b": b, "dept_a": dept_a, "users": users, "rows_b": rows_b}


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def declared_filters(changelist, request):
    """The changelist's filters (as it builds them: scoped, masked ones left out), unfiltered."""
    specs = []
    for item in changelist.list_filter:
        if isinstance(item, list | tuple):
            field, filter_class = item
        elif isinstance(item, type):
            specs.append(item(request, {}, changelist.model, changelist.model_admin))
            continue
        else:
            field, filter_class = item, FieldListFilter.create
        field_path = field if isinstance(field, str) else field.name
        field = get_fields_from_path(changelist.model, field)[-1] if isinstance(field, str) else field
        specs.append(filter_class(field, request, {}, changelist.model, changelist.model_admin, field_path=field_path))
    return specs


def declared_parameters(changelist, request) -> set[str]:
    return {param for spec in declared_filters(changelist, request) for param in spec.expected_parameters()}


def open_list(client, user, model):
    """Log in and open the list; ``None`` when the user may not."""
    client.force_login(user)
    page = client.get(changelist_url(model))
    assert page.status_code in (200, 403), (model._meta.label_lower, page.status_code)
    return page if page.status_code == 200 else None


def html(response) -> str:
    return response.content.decode().lower()


def sortable_columns(changelist):
    """``(index, column)`` of the columns the list lets its user sort by."""
    columns = []
    for index, column in enumerate(changelist.list_display):
        if column in changelist.sortable_by and changelist.get_ordering_field(column):
            columns.append((index, column))
    return columns


# --- (a) lookups outside the declared set ------------------------------------------


def undeclared_lookups(model, changelist, declared):
    """Lookups an attacker would try: every column, a regex, the key range, a path through a filter."""
    probes = {}
    for field in model._meta.concrete_fields:
        probes[f"{field.name}__startswith"] = "x"
        probes[field.name] = "1"
        if isinstance(field, models.CharField | models.TextField):
            probes[f"{field.name}__regex"] = "."
    probes[f"{model._meta.pk.name}__gt"] = "0"
    probes["pk__in"] = "1"
    for item in changelist.list_filter:
        if isinstance(item, list | tuple) and isinstance(item[0], str):
            field = get_fields_from_path(model, item[0])[-1]
            if field.is_relation:
                related = get_model_from_relation(field)
                text = next((f for f in related._meta.concrete_fields if isinstance(f, models.CharField)), None)
                if text is not None:
                    probes[f"{item[0]}__{text.name}__startswith"] = "x"
    return {param: value for param, value in probes.items() if param not in declared}


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_a_lookup_the_list_does_not_declare_is_refused(client, world, model):
    page = open_list(client, world["users"]["superuser"], model)
    assert page is not None, "a superuser opens every list"
    changelist = page.context["cl"]
    url = changelist_url(model)
    for param, value in undeclared_lookups(
        model, changelist, declared_parameters(changelist, page.wsgi_request)
    ).items():
        response = client.get(url, {param: value})
        assert response.status_code == 400, (model._meta.label_lower, param, response.status_code)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_sorting_by_a_column_that_is_not_shown_or_not_sortable_is_refused(client, world, model):
    page = open_list(client, world["users"]["superuser"], model)
    changelist = page.context["cl"]
    url = changelist_url(model)
    sortable = {index for index, _column in sortable_columns(changelist)}
    refused = [str(len(changelist.list_display)), "99", "x", "1.x"]
    refused += [str(index) for index in range(len(changelist.list_display)) if index not in sortable]
    for order in refused:
        response = client.get(url, {"o": order})
        assert response.status_code == 400, (model._meta.label_lower, order, response.status_code)


# --- (b) everything declared still works ------------------------------------------


def sample_value(spec, param):
    """A value the filter's own form could send for ``param``."""
    if param.endswith("__isnull"):
        return "True"
    if isinstance(spec, SimpleListFilter):
        choices = list(spec.lookup_choices or [])
        return str(choices[0][0]) if choices else "1"
    field = spec.field
    if param.endswith(("_from_1", "_to_1")):
        return "08:00"
    if param.endswith(("_from", "_to", "_from_0", "_to_0", "__gte", "__lt", "__lte")):
        return "2026-01-01" if isinstance(field, models.DateField) else "1"
    if field.is_relation:
        related = get_model_from_relation(field)
        target = field.target_field
        value = related._default_manager.order_by().values_list(target.attname, flat=True).first()
        if value is None:
            value = uuid.uuid4() if isinstance(target, models.UUIDField) else 1
        return str(value)
    if field.choices:
        return str(field.flatchoices[0][0])
    if isinstance(field, models.BooleanField):
        return "1"
    return "x"


PERSONAS = ["superuser", RoleCode.HOSPITAL_ADMIN, RoleCode.PX_COORDINATOR]


@pytest.mark.parametrize("persona", PERSONAS, ids=[str(persona) for persona in PERSONAS])
@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_every_declared_filter_parameter_and_sortable_column_is_accepted(client, world, model, persona):
    page = open_list(client, world["users"][persona], model)
    if page is None:
        return  # the role has no list of this model (the permission matrix checks that)
    changelist = page.context["cl"]
    url = changelist_url(model)
    for spec in declared_filters(changelist, page.wsgi_request):
        for param in spec.expected_parameters():
            value = sample_value(spec, param)
            response = client.get(url, {param: value})
            assert response.status_code == 200, (model._meta.label_lower, param, value, response.status_code)
    for index, _column in sortable_columns(changelist):
        for order in (str(index), f"-{index}"):
            response = client.get(url, {"o": order})
            assert response.status_code == 200, (model._meta.label_lower, order, response.status_code)


# --- (c) filters show only what the user may see ------------------------------------


def hospital_bound(model) -> bool:
    """Rows that belong to a hospital (shared tables and system tables have no hospital B row)."""
    rules = model_access(model)
    return rules is not None and not rules.shared


OUTSIDERS = [RoleCode.HOSPITAL_ADMIN, RoleCode.PX_COORDINATOR, RoleCode.DEPARTMENT_MANAGER]


@pytest.mark.parametrize("role", OUTSIDERS, ids=[role.value for role in OUTSIDERS])
@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_related_filters_never_offer_or_name_a_row_of_another_hospital(client, world, model, role):
    page = open_list(client, world["users"][role], model)
    if page is None:
        return
    assert MARK not in html(page), f"{model._meta.label_lower}: a filter offers hospital B's rows to {role}"
    changelist = page.context["cl"]
    url = changelist_url(model)
    for spec in declared_filters(changelist, page.wsgi_request):
        if not isinstance(spec, RelatedFieldListFilter):
            continue
        related = get_model_from_relation(spec.field)
        if not hospital_bound(related):
            continue
        row_b = world["rows_b"].get(related)
        assert row_b is not None, f"add a hospital-B {related._meta.label} to the world fixture"
        value = str(getattr(row_b, spec.field.target_field.attname))
        response = client.get(url, {spec.lookup_kwarg: value})
        assert response.status_code == 200, (model._meta.label_lower, spec.lookup_kwarg, response.status_code)
        assert MARK not in html(response), f"{model._meta.label_lower}: {spec.lookup_kwarg} names B's row to {role}"
        assert list(response.context["cl"].result_list) == [], (model._meta.label_lower, spec.lookup_kwarg)


# --- (d) masked fields --------------------------------------------------------------


def masked_paths(model, depth=2, prefix=""):
    """ORM paths from ``model`` to a masked field, through forward relations."""
    paths = [f"{prefix}{name}" for name in masked_fields(model)]
    if depth:
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is not None:
                paths += masked_paths(field.related_model, depth - 1, f"{prefix}{field.name}__")
    return paths


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_masked_fields_are_neither_filtered_nor_sorted_on_for_a_px_coordinator(client, world, model):
    page = open_list(client, world["users"][RoleCode.PX_COORDINATOR], model)
    if page is None:
        return
    url = changelist_url(model)
    for masked in masked_paths(model):
        for lookup in ("", "__exact", "__startswith", "__isnull", "__gte"):
            response = client.get(url, {f"{masked}{lookup}": "1"})
            assert response.status_code == 400, (model._meta.label_lower, masked + lookup, response.status_code)
    changelist = page.context["cl"]
    for index, column in enumerate(changelist.list_display):
        order_field = changelist.get_ordering_field(column)
        if isinstance(order_field, str) and path_touches_masked(model, order_field.lstrip("-")):
            response = client.get(url, {"o": str(index)})
            assert response.status_code == 400, (model._meta.label_lower, column)


def test_every_registered_admin_guards_its_changelist():
    assert check_admins_guard_lookups() == []


# --- the holes found by hand -----------------------------------------------------------


def test_a_masked_national_id_cannot_be_read_one_digit_at_a_time(client, world):
    patient = PatientFactory(hospital=world["a"], national_id="1345678908")
    url = changelist_url(Patient)
    for persona in (RoleCode.PX_COORDINATOR, RoleCode.HOSPITAL_ADMIN, "superuser"):
        client.force_login(world["users"][persona])
        assert client.get(url, {"id": str(patient.pk), "national_id__startswith": "13"}).status_code == 400
        assert client.get(url, {"national_id__startswith": "13"}).status_code == 400
        assert client.get(url, {"national_id__gt": "1"}).status_code == 400
    client.force_login(world["users"][RoleCode.PX_COORDINATOR])
    # The exact search the screen offers still finds the patient, shown masked.
    found = client.get(url, {"q": "1345678908"})
    assert [row.pk for row in found.context["cl"].result_list] == [patient.pk]
    assert mask_national_id("1345678908") in found.content.decode()


def test_the_outbox_cannot_be_probed_for_a_survey_link_or_a_phone_number(client, world):
    Notification.objects.create(
        hospital=world["a"],
        purpose="survey_invitation",
        channel="sms",
        recipient="+966501234567",
        language="ar",
        template_key="survey_invitation",
        body="https://px.example/s/SECRET-TOKEN/",
        idempotency_key="probe-1",
    )
    url = changelist_url(Notification)
    client.force_login(world["users"][RoleCode.HOSPITAL_ADMIN])
    assert client.get(url).status_code == 200
    for param, value in (
        ("body__regex", "/s/S"),
        ("body__contains", "SECRET"),
        ("recipient__startswith", "+9665"),
        ("recipient", "+966501234567"),
        ("html_body__isnull", "False"),
    ):
        assert client.get(url, {param: value}).status_code == 400, param


def test_integration_sources_of_another_hospital_are_neither_listed_nor_named(client, world):
    """The red team's case: Inbound events and API keys listed Jeddah's source to a Riyadh admin."""
    riyadh = IntegrationSource.objects.create(code="ruh-his", name="Riyadh HIS")
    riyadh.hospitals.add(world["a"])
    jeddah = IntegrationSource.objects.create(code="jed-his", name="Jeddah HIS")
    jeddah.hospitals.add(world["b"])
    for source, hospital in ((riyadh, world["a"]), (jeddah, world["b"])):
        ApiKey.objects.create(source=source, prefix=f"{source.code[:3]}12345", key_hash="x")
        InboundEvent.objects.create(
            source=source, hospital=hospital, format="json", message_id=f"{source.code}-1", raw="{}"
        )
    client.force_login(world["users"][RoleCode.HOSPITAL_ADMIN])
    for model in (InboundEvent, ApiKey):
        listing = client.get(changelist_url(model))
        assert "ruh-his" in listing.content.decode()  # the filter still offers their own source
        assert "jed-his" not in listing.content.decode(), model
        own = client.get(changelist_url(model), {"source__id__exact": str(riyadh.pk)})
        assert [row.source_id for row in own.context["cl"].result_list] == [riyadh.pk]
        other = client.get(changelist_url(model), {"source__id__exact": str(jeddah.pk)})
        assert other.status_code == 200
        assert list(other.context["cl"].result_list) == []
        assert "jed-his" not in other.content.decode(), model
    # A PX Admin's scope is every hospital: they are offered both.
    client.force_login(UserFactory(username="px", role=RoleCode.PX_ADMIN, hospital=world["a"]))
    listing = client.get(changelist_url(InboundEvent)).content.decode()
    assert "ruh-his" in listing and "jed-his" in listing


def test_an_autocomplete_filter_names_no_row_out_of_scope_even_when_own_rows_point_at_it(client, world):
    """An encounter of A whose physician belongs to B: filtering by that physician shows neither."""
    own = PhysicianFactory(hospital=world["a"], department=world["dept_a"], license_number="LA1", name_en="Dr Own")
    patient = PatientFactory(hospital=world["a"])
    physician_b = world["rows_b"][Physician]
    for number, physician in (("E-OWN", own), ("E-B", physician_b)):
        Encounter.objects.create(
            hospital=world["a"],
            encounter_number=number,
            encounter_type="OPD",
            patient=patient,
            attending_physician=physician,
            admitted_at="2026-01-05T10:00:00+03:00",
        )
    client.force_login(world["users"][RoleCode.HOSPITAL_ADMIN])
    url = changelist_url(Encounter)
    chosen = client.get(url, {"attending_physician__id__exact": str(own.pk)})
    assert [row.encounter_number for row in chosen.context["cl"].result_list] == ["E-OWN"]
    assert "LA1" in chosen.content.decode()  # the chosen physician is named in the filter
    other = client.get(url, {"attending_physician__id__exact": str(physician_b.pk)})
    assert list(other.context["cl"].result_list) == []
    assert MARK not in html(other)


# --- a careless admin is still held -------------------------------------------------------


class CarelessPatientAdmin(PXModelAdmin):
    """Declares what it should not: a filter and a sortable column on the national ID, and cities of every hospital."""

    list_display = ("mrn", "national_id", "hospital")
    list_filter = ("national_id", "hospital__city")


probe_site = UnfoldAdminSite(name="probe")
probe_site.register(Patient, CarelessPatientAdmin)

urlpatterns = [*project_urls.urlpatterns, *i18n_patterns(path("probe-admin/", probe_site.urls))]


@pytest.mark.urls(__name__)
def test_a_declared_filter_or_sortable_column_on_a_masked_field_is_refused_to_whom_it_is_masked(client, world):
    PatientFactory(hospital=world["a"], national_id="1345678908")
    url = reverse("probe:organizations_patient_changelist")
    client.force_login(world["users"][RoleCode.HOSPITAL_ADMIN])
    full = client.get(url)
    national_id_column = str(full.context["cl"].list_display.index("national_id"))
    assert client.get(url, {"national_id": "1345678908"}).status_code == 200
    assert client.get(url, {"o": national_id_column}).status_code == 200

    client.force_login(world["users"][RoleCode.PX_COORDINATOR])
    masked = client.get(url)
    assert masked.status_code == 200
    assert "national_id" not in {getattr(spec, "field_path", None) for spec in masked.context["cl"].filter_specs}
    assert client.get(url, {"national_id": "1345678908"}).status_code == 400
    column = str(masked.context["cl"].list_display.index("national_id"))
    assert client.get(url, {"o": column}).status_code == 400


@pytest.mark.urls(__name__)
def test_a_distinct_value_filter_lists_only_values_of_rows_in_scope(client, world):
    PatientFactory(hospital=world["a"])
    PatientFactory(hospital=world["b"])
    url = reverse("probe:organizations_patient_changelist")
    client.force_login(world["users"][RoleCode.HOSPITAL_ADMIN])
    page = client.get(url)
    assert "Riyadh" in page.content.decode()
    assert MARK not in html(page)
    client.force_login(world["users"]["superuser"])
    assert MARK in html(client.get(url))
