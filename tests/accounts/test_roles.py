import io

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from px360.accounts.models import Role
from px360.accounts.roles import ROLES, RoleCode, permissions_for
from px360.accounts.services import user_set_roles

pytestmark = pytest.mark.django_db


def test_eight_roles_with_their_levels_and_bilingual_names(roles):
    levels = {code: role.level for code, role in roles.items()}
    assert levels == {
        "px_admin": 100,
        "hospital_admin": 80,
        "department_manager": 60,
        "px_coordinator": 50,
        "physician": 40,
        "nurse": 30,
        "staff": 20,
        "viewer": 10,
    }
    for role in roles.values():
        assert role.name_ar and role.name_en and role.name_ar != role.name_en


def test_create_default_roles_is_idempotent_and_restores_the_table(roles):
    call_command("create_default_roles", stdout=io.StringIO())
    viewer = Role.objects.get(code=RoleCode.VIEWER)
    viewer.group.permissions.clear()
    call_command("create_default_roles", stdout=io.StringIO())
    assert Role.objects.count() == 8
    assert Group.objects.filter(name__startswith="role:").count() == 8
    granted = {(p.content_type.app_label, p.codename) for p in viewer.group.permissions.all()}
    assert granted == set(permissions_for(RoleCode.VIEWER))


def test_roles_permissions_union(make_user, hospital_a):
    user = make_user(RoleCode.VIEWER, hospital=hospital_a)
    user_set_roles(user=user, roles=[Role.objects.get(code="viewer"), Role.objects.get(code="px_coordinator")], by=None)
    user = type(user).objects.get(pk=user.pk)
    assert user.has_perm("organizations.add_patient")  # from the coordinator role
    assert user.highest_role().code == "px_coordinator"


def test_nobody_hands_out_a_role_at_or_above_their_own(make_user, hospital_a, hospital_admin_a):
    target = make_user(RoleCode.STAFF, hospital=hospital_a)
    with pytest.raises(ValidationError):
        user_set_roles(user=target, roles=[Role.objects.get(code="px_admin")], by=hospital_admin_a)
    with pytest.raises(ValidationError):
        user_set_roles(user=target, roles=[Role.objects.get(code="hospital_admin")], by=hospital_admin_a)
    user_set_roles(user=target, roles=[Role.objects.get(code="nurse")], by=hospital_admin_a)
    assert list(target.roles.values_list("code", flat=True)) == ["nurse"]


def test_user_form_offers_only_assignable_roles_and_no_superuser_switch(
    client, hospital_admin_a, make_user, hospital_a
):
    target = make_user(RoleCode.STAFF, hospital=hospital_a)
    client.force_login(hospital_admin_a)
    response = client.get(reverse("admin:accounts_user_change", args=[target.pk]))
    form = response.context["adminform"].form
    offered = set(form.fields["roles"].queryset.values_list("code", flat=True))
    assert offered == {"department_manager", "px_coordinator", "physician", "nurse", "staff", "viewer"}
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields


def test_hospital_admin_creates_a_user_in_their_hospital(client, hospital_admin_a, hospital_a, roles):
    client.force_login(hospital_admin_a)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new_nurse",
            "password1": "Very-long-passphrase-42",
            "password2": "Very-long-passphrase-42",
            "usable_password": "true",
            "first_name": "Nora",
            "last_name": "A",
            "email": "",
            "hospital": str(hospital_a.pk),
            "phone": "",
            "preferred_language": "ar",
            "roles": [str(roles["nurse"].pk)],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    from px360.accounts.models import User

    user = User.objects.get(username="new_nurse")
    assert user.hospital == hospital_a and user.is_staff and not user.is_superuser
    assert list(user.roles.values_list("code", flat=True)) == ["nurse"]


def test_roles_table_covers_every_role():
    assert set(ROLES) == set(RoleCode)
    for code in RoleCode:
        assert permissions_for(code), code  # every role's column opens at least one screen
