import pytest
from django_q.conf import Conf

from px360.accounts.roles import RoleCode
from px360.accounts.services import create_default_roles

from .factories import DepartmentFactory, HospitalFactory, PatientFactory, UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _sync_jobs(settings):
    """Run django-q2 tasks inline (override_settings(Q_CLUSTER=...) does nothing)."""
    previous = Conf.SYNC
    Conf.SYNC = True
    yield
    Conf.SYNC = previous


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
