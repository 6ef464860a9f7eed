"""The access policy seen from outside: eight roles of hospital A against every admin.

For each role and every registered admin this checks the status of the list,
add, export and import pages, and that nothing of hospital B can be opened,
listed, searched, autocompleted or exported.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from px360.accounts.models import User
from px360.accounts.roles import _ORDER, PERMISSION_TABLE, RoleCode
from px360.core.models import AuditAction
from px360.core.services import audit_record
from px360.organizations.models import Department, Employee, Hospital, Patient, Physician

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

MARK = "QQBRAVO"  # appears in every identifier of hospital B's records


@pytest.fixture
def world(roles):
    """Hospital A with one user per role; hospital B with one record of every kind."""
    a = HospitalFactory(code="HA", name="مستشفى أ", name_ar="مستشفى أ", name_en="Hospital Alpha")
    b = HospitalFactory(code=f"{MARK}H", name=f"{MARK} ب", name_ar=f"{MARK} ب", name_en=f"{MARK} Hospital")
    dept_a = DepartmentFactory(hospital=a, code="MED", name_en="Medicine", name_ar="الباطنة")
    ward_a = DepartmentFactory(hospital=a, code="WARD", name_en="Ward", name_ar="جناح", parent=dept_a)
    dept_b = DepartmentFactory(hospital=b, code=f"{MARK}D", name_en=f"{MARK} dept", name_ar=f"{MARK} قسم")
    users = {}
    for code in RoleCode:
        users[code] = UserFactory(
            username=f"a_{code.value}",
            role=code.value,
            hospital=a,
            department=ward_a if code == RoleCode.NURSE else dept_a,
        )
    user_b = UserFactory(username=f"{MARK.lower()}_user", role=RoleCode.HOSPITAL_ADMIN, hospital=b, department=dept_b)
    records_b = {
        Hospital: b,
        Department: dept_b,
        Physician: PhysicianFactory(hospital=b, department=dept_b, license_number=f"{MARK}L1", name_en=f"{MARK} doc"),
        Employee: EmployeeFactory(hospital=b, department=dept_b, user=user_b, employee_number=f"{MARK}E1"),
        Patient: PatientFactory(hospital=b, mrn=f"{MARK}M1", name_en=f"{MARK} patient"),
        User: user_b,
    }
    event_b = audit_record(action=AuditAction.LOGIN, actor=user_b, username=user_b.username, hospital=b)
    records_a = {
        Hospital: a,
        Department: dept_a,
        Physician: PhysicianFactory(hospital=a, department=dept_a, license_number="LA1"),
        Employee: EmployeeFactory(hospital=a, department=dept_a, user=users[RoleCode.STAFF], employee_number="EA1"),
        Patient: PatientFactory(hospital=a, mrn="MA1"),
    }
    from px360.complaints.models import Complaint, Feedback, Inquiry
    from px360.complaints.services import Contact, NewComplaint, complaint_create, feedback_create, inquiry_create
    from px360.core.models import AuditEvent

    records_b[AuditEvent] = event_b
    records_b[Complaint] = complaint_create(
        NewComplaint(
            hospital=b,
            department=dept_b,
            summary=f"{MARK} summary",
            description=f"{MARK} description",
            contact=Contact(name=f"{MARK} complainant"),
            external_reference=f"{MARK}T1",
        )
    )
    records_b[Inquiry] = inquiry_create(
        hospital=b, department=dept_b, subject=f"{MARK} subject", question="?", external_reference=f"{MARK}Q1"
    )
    records_b[Feedback] = feedback_create(hospital=b, department=dept_b, kind="suggestion", text=f"{MARK} idea")
    return {"a": a, "b": b, "users": users, "records_b": records_b, "records_a": records_a}


def perms_of(role: RoleCode, model) -> str:
    label = model._meta.label_lower
    row = PERMISSION_TABLE.get(label)
    return row[_ORDER.index(role)] if row else ""


def admin_url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def registered_models():
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


ROLES = list(RoleCode)


@pytest.mark.parametrize("role", ROLES, ids=[role.value for role in ROLES])
def test_role_sees_the_screens_its_permissions_allow_and_nothing_of_hospital_b(client, world, role):
    user = world["users"][role]
    client.force_login(user)
    # A PX Admin's scope is every hospital: B is theirs too.
    outsider = role != RoleCode.PX_ADMIN
    for model in registered_models():
        perms = perms_of(role, model)
        label = model._meta.label_lower

        listing = client.get(admin_url(model, "changelist"))
        can_list = bool(set(perms) & {"v", "c"})
        assert listing.status_code == (200 if can_list else 403), (label, listing.status_code)
        if can_list and outsider:
            assert MARK not in listing.content.decode(), f"{label}: hospital B row listed for {role}"
            search = client.get(admin_url(model, "changelist") + f"?q={MARK}")
            # Only B's records carry the mark: a scoped search finds nothing.
            assert list(search.context["cl"].result_list) == [], label

        add = client.get(admin_url(model, "add"))
        # Roles are seeded and the audit log is append-only: nobody adds there.
        can_add = "a" in perms and model._meta.label_lower not in ("accounts.role", "core.auditevent")
        assert add.status_code == (200 if can_add else 403), (label, "add", add.status_code)

        try:
            export_url = admin_url(model, "export")
        except NoReverseMatch:
            export_url = None
        if export_url:
            status, rows = export_rows(client, model)
            assert status == (200 if "e" in perms else 403), (label, "export", status)
            if outsider:
                assert not any(MARK in str(cell) for row in rows for cell in row), f"{label}: exported B"
            imported = client.get(admin_url(model, "import"))
            assert imported.status_code == (200 if "i" in perms else 403), (label, "import", imported.status_code)

        record_b = world["records_b"].get(model)
        if record_b is not None:
            for view in ("change", "history", "delete"):
                response = client.get(admin_url(model, view, record_b.pk))
                if outsider:
                    assert response.status_code == 404, (label, view, response.status_code)
                else:
                    allowed = {"change": "v", "history": "v", "delete": "d"}[view]
                    expected = 200 if allowed in perms or (allowed == "v" and "c" in perms) else 403
                    assert response.status_code == expected, (label, view, response.status_code)


OUTSIDERS = [role for role in RoleCode if role != RoleCode.PX_ADMIN]


@pytest.mark.parametrize("role", OUTSIDERS, ids=[role.value for role in OUTSIDERS])
def test_autocomplete_and_sidebar_search_never_offer_hospital_b(client, world, role):
    client.force_login(world["users"][role])
    sources = [
        ("organizations", "department", "hospital"),
        ("organizations", "physician", "department"),
        ("organizations", "department", "manager"),
        ("organizations", "patient", "hospital"),
    ]
    for app_label, model_name, field_name in sources:
        remote = apps.get_model(app_label, model_name)._meta.get_field(field_name).related_model
        # The widget answers whoever may view the offered model, and refuses everyone else.
        can_view = bool(set(perms_of(role, remote)) & {"v", "c"})
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": ""},
        )
        assert response.status_code == (200 if can_view else 403), (model_name, field_name, response.status_code)
        assert MARK not in response.content.decode()
        if can_view:
            assert response.json()["results"], (model_name, field_name, "hospital A offers nothing")
            response = client.get(
                reverse("admin:autocomplete"),
                {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": MARK},
            )
            assert response.json()["results"] == [], (model_name, field_name)
    search = client.get(reverse("admin:search"), {"s": MARK.lower()})
    titles = [str(result.title) for result in search.context["results"]]
    assert not [title for title in titles if MARK in title.upper()], titles


def test_sidebar_search_finds_records_in_scope(client, world):
    client.force_login(world["users"][RoleCode.HOSPITAL_ADMIN])
    search = client.get(reverse("admin:search"), {"s": "medicine"})
    titles = [str(result.title) for result in search.context["results"]]
    assert any("MED" in title for title in titles), titles


def test_hospital_admin_cannot_create_records_in_another_hospital(client, world):
    client.force_login(world["users"][RoleCode.HOSPITAL_ADMIN])
    response = client.post(
        admin_url(Patient, "add"),
        {
            "hospital": str(world["b"].pk),
            "mrn": "NEW1",
            "gender": "U",
            "preferred_language": "ar",
            "preferred_channel": "sms",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not Patient.objects.filter(mrn="NEW1").exists()
    form = response.context["adminform"].form
    assert "hospital" in form.errors


def test_foreign_key_choices_are_scoped(client, world):
    client.force_login(world["users"][RoleCode.HOSPITAL_ADMIN])
    response = client.get(admin_url(Physician, "add"))
    form = response.context["adminform"].form
    assert set(form.fields["hospital"].queryset) == {world["a"]}
    assert world["records_b"][Department] not in set(form.fields["department"].queryset)


def test_px_admin_sees_both_hospitals(client, world, make_user):
    px_admin = world["users"][RoleCode.PX_ADMIN]
    client.force_login(px_admin)
    listing = client.get(admin_url(Patient, "changelist")).content.decode()
    assert f"{MARK}M1" in listing and "MA1" in listing
    assert client.get(admin_url(Patient, "change", world["records_b"][Patient].pk)).status_code == 200


def test_department_manager_sees_only_their_department_tree(client, world):
    from px360.core.access import restrict

    manager = world["users"][RoleCode.DEPARTMENT_MANAGER]
    nurse = world["users"][RoleCode.NURSE]
    visible_to_manager = set(restrict(User.objects.all(), manager).values_list("username", flat=True))
    # The manager's department (MED) includes the nurse's ward below it.
    assert nurse.username in visible_to_manager
    assert f"{MARK.lower()}_user" not in visible_to_manager


def test_physician_sees_their_own_record(client, world):
    from px360.core.access import restrict

    physician_user = world["users"][RoleCode.PHYSICIAN]
    own = world["records_a"][Physician]
    own.user = physician_user
    own.save()
    # Physicians are reference data of their hospital; they may change only their own.
    assert own in restrict(Physician.objects.all(), physician_user)
    assert world["records_b"][Physician] not in restrict(Physician.objects.all(), physician_user)
