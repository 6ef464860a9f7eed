"""Who reads which complaint, from outside: each role of hospital A against complaints of its own hospital."""

import pytest
from django.urls import reverse

from px360.accounts.roles import RoleCode
from px360.complaints.models import Complaint
from px360.complaints.services import Contact, NewComplaint, complaint_assign, complaint_create
from px360.core.models import AuditAction, AuditEvent

from ..factories import DepartmentFactory, EmployeeFactory, PhysicianFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(hospital_a, roles, make_user):
    medicine = DepartmentFactory(hospital=hospital_a, code="MED")
    ward = DepartmentFactory(hospital=hospital_a, code="WARD", parent=medicine)
    surgery = DepartmentFactory(hospital=hospital_a, code="SURG")
    users = {
        "manager": make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=medicine),
        "physician": make_user(RoleCode.PHYSICIAN, hospital=hospital_a, department=ward),
        "nurse": make_user(RoleCode.NURSE, hospital=hospital_a, department=ward),
        "staff": make_user(RoleCode.STAFF, hospital=hospital_a, department=ward),
        "viewer": make_user(RoleCode.VIEWER, hospital=hospital_a),
        "coordinator": make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a),
    }
    doctor = PhysicianFactory(hospital=hospital_a, department=ward, user=users["physician"])
    nurse = EmployeeFactory(hospital=hospital_a, department=ward, user=users["nurse"], employee_number="N1")

    def make(summary, department, **kwargs):
        return complaint_create(
            NewComplaint(
                hospital=hospital_a,
                department=department,
                summary=summary,
                description="…",
                contact=Contact(name="Complainant Name", phone="0501234567"),
                **kwargs,
            )
        )

    complaints = {
        "names_both": make("names both", ward, physicians=[doctor], staff=[nurse], identity_withheld=True),
        "in_ward": make("in ward", ward),
        "in_surgery": make("in surgery", surgery),
    }
    complaint_assign(complaints["in_surgery"], user=users["staff"])
    return {"users": users, "complaints": complaints}


def listed(client, user) -> set[str]:
    client.force_login(user)
    response = client.get(reverse("admin:complaints_complaint_changelist"))
    assert response.status_code == 200
    return {complaint.summary for complaint in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("coordinator", {"names both", "in ward", "in surgery"}),
        ("viewer", {"names both", "in ward", "in surgery"}),
        ("manager", {"names both", "in ward"}),
        ("physician", {"names both"}),
        ("nurse", {"names both"}),
        ("staff", {"in surgery"}),
    ],
)
def test_each_role_lists_the_complaints_its_scope_allows(client, ward, role, expected):
    assert listed(client, ward["users"][role]) == expected


def test_a_complaint_naming_two_people_is_listed_once(client, ward):
    client.force_login(ward["users"]["physician"])
    response = client.get(reverse("admin:complaints_complaint_changelist"))
    assert [c.summary for c in response.context["cl"].result_list] == ["names both"]


def test_out_of_scope_complaints_are_404(client, ward):
    client.force_login(ward["users"]["physician"])
    other = ward["complaints"]["in_ward"]
    assert client.get(reverse("admin:complaints_complaint_change", args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:complaints_complaint_work_on", args=[other.pk])).status_code == 404


def test_a_named_physician_does_not_learn_who_complained_when_it_was_asked(client, ward):
    complaint = ward["complaints"]["names_both"]
    client.force_login(ward["users"]["physician"])
    page = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()
    assert "Complainant Name" not in page and "501234567" not in page
    client.force_login(ward["users"]["coordinator"])
    page = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()
    assert "Complainant Name" in page


def test_reading_a_complaint_is_audited(client, ward):
    complaint = ward["complaints"]["in_ward"]
    client.force_login(ward["users"]["coordinator"])
    client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(complaint.pk)).exists()


def test_viewers_read_but_do_not_work_on_complaints(client, ward):
    complaint = ward["complaints"]["in_ward"]
    client.force_login(ward["users"]["viewer"])
    assert client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).status_code == 200
    assert (
        client.post(
            reverse("admin:complaints_complaint_work_on", args=[complaint.pk]), {"step": "acknowledge"}
        ).status_code
        == 403
    )
    complaint.refresh_from_db()
    assert complaint.status == "new"


def test_nobody_deletes_a_complaint(client, ward, superuser):
    client.force_login(superuser)
    complaint = ward["complaints"]["in_ward"]
    assert client.get(reverse("admin:complaints_complaint_delete", args=[complaint.pk])).status_code == 403
    assert Complaint.objects.filter(pk=complaint.pk).exists()
