import json

import pytest
from django_q.conf import Conf

from px360.accounts.roles import RoleCode
from px360.accounts.services import create_default_roles

from .factories import DepartmentFactory, HospitalFactory, PatientFactory, PhysicianFactory, UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _sync_jobs(settings):
    """Run django-q2 tasks inline (override_settings(Q_CLUSTER=...) does nothing)."""
    previous = Conf.SYNC
    Conf.SYNC = True
    yield
    Conf.SYNC = previous


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (Arabic).

    LocaleMiddleware activates the language of every request the test client
    makes and nothing deactivates it, so after a request to /en/... the next
    test on the thread would reverse /en/ URLs and read English messages.
    """
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def roles(db):
    return {role.code: role for role in create_default_roles()}


@pytest.fixture
def hospital_a(db):
    return HospitalFactory(code="HA", name="مستشفى أ", name_ar="مستشفى أ", name_en="Hospital A")


@pytest.fixture
def hospital_b(db):
    return HospitalFactory(code="HB", name="مستشفى ب", name_ar="مستشفى ب", name_en="Hospital B")


@pytest.fixture
def department_a(hospital_a):
    return DepartmentFactory(hospital=hospital_a, code="MED", name_en="Medicine", name_ar="الباطنة")


@pytest.fixture
def department_b(hospital_b):
    return DepartmentFactory(hospital=hospital_b, code="MED", name_en="Medicine B", name_ar="باطنة ب")


@pytest.fixture
def make_user(roles):
    def make(role: str | None = None, *, hospital=None, department=None, **fields):
        return UserFactory(role=role, hospital=hospital, department=department, **fields)

    return make


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def hospital_admin_a(make_user, hospital_a):
    return make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="ha_admin")


@pytest.fixture
def patient_a(hospital_a):
    return PatientFactory(hospital=hospital_a)


@pytest.fixture
def patient_b(hospital_b):
    return PatientFactory(hospital=hospital_b)


@pytest.fixture
def his(db, hospital_a, hospital_b):
    """A source allowed to send for hospital A, with its departments and physician."""
    from px360.integrations.models import IntegrationSource
    from px360.integrations.services import api_key_create
    from px360.journeys.library import load_journey_templates

    load_journey_templates()
    DepartmentFactory(hospital=hospital_a, code="MED")
    PhysicianFactory(hospital=hospital_a, license_number="LIC00001")
    source = IntegrationSource.objects.create(code="his-a", name="HIS A")
    source.hospitals.add(hospital_a)
    api_key, key = api_key_create(source=source)
    return {"source": source, "api_key": api_key, "key": key}


@pytest.fixture
def send(client, his, django_capture_on_commit_callbacks):
    """POST one message to the intake endpoint; queued processing runs at commit."""

    def post(body, *, hl7=False, key=None, **extra):
        content_type = "application/hl7-v2" if hl7 else "application/json"
        if not hl7 and not isinstance(body, str | bytes):
            body = json.dumps(body)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/api/integrations/events/",
                data=body,
                content_type=content_type,
                HTTP_AUTHORIZATION=f"Api-Key {key or his['key']}",
                **{"HTTP_ACCEPT_LANGUAGE": "en", **extra},
            )

    return post
