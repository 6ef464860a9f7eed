"""Nobody manages an account at or above their own level.

A Hospital Admin sees the accounts of their hospital, but those of its PX
Admin, of another Hospital Admin and of a superuser (and their own) are
missing from every page that manages accounts: 404, like another hospital's.
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from px360.accounts.models import Role, User
from px360.accounts.roles import RoleCode
from px360.accounts.services import user_lockout_clear, user_set_active, user_set_roles
from px360.core.models import AuditAction, AuditEvent

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "Another-long-passphrase-77"


@pytest.fixture
def people(make_user, hospital_a, hospital_b):
    """Hospital A's staff from the top down, and a Hospital Admin of hospital B."""
    mixed = make_user(RoleCode.VIEWER, hospital=hospital_a, username="viewer_and_admin")
    user_set_roles(
        user=mixed, roles=[Role.objects.get(code=RoleCode.VIEWER), Role.objects.get(code="hospital_admin")], by=None
    )
    return {
        "superuser": UserFactory(username="root_a", is_superuser=True, hospital=hospital_a),
        "other_superuser": UserFactory(username="root_b", is_superuser=True, hospital=hospital_a),
        "px_admin": make_user(RoleCode.PX_ADMIN, hospital=hospital_a, username="px_a"),
        "other_px_admin": make_user(RoleCode.PX_ADMIN, hospital=hospital_b, username="px_b"),
        "hospital_admin": make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="ha_one"),
        "peer": make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_a, username="ha_two"),
        "mixed": mixed,
        "coordinator": make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a"),
        "nurse": make_user(RoleCode.NURSE, hospital=hospital_a, username="nurse_a"),
        "hospital_admin_b": make_user(RoleCode.HOSPITAL_ADMIN, hospital=hospital_b, username="ha_b"),
    }


def management_pages(user):
    """Every page that shows or changes one account."""
    version = user.history.order_by("history_id").first()
    return {
        "change": reverse("admin:accounts_user_change", args=[user.pk]),
        "password": reverse("admin:auth_user_password_change", args=[user.pk]),
        "history": reverse("admin:accounts_user_history", args=[user.pk]),
        "history version": reverse("admin:accounts_user_simple_history", args=[user.pk, version.history_id]),
        "delete": reverse("admin:accounts_user_delete", args=[user.pk]),
        "object permissions": reverse("admin:accounts_user_permissions", args=[user.pk]),
    }


def listed(client, query=""):
    response = client.get(reverse("admin:accounts_user_changelist") + query)
    assert response.status_code == 200
    return {user.username for user in response.context["cl"].result_list}


def reset_password(client, user):
    return client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def run_action(client, name, users, **extra):
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": name, "_selected_action": [str(user.pk) for user in users], **extra},
    )


def signs_in_with(user, password) -> bool:
    return User.objects.get(pk=user.pk).check_password(password)


# --- out of level looks like out of scope --------------------------------------

ABOVE_A_HOSPITAL_ADMIN = ["superuser", "px_admin", "peer", "mixed", "hospital_admin"]


@pytest.mark.parametrize("target", ABOVE_A_HOSPITAL_ADMIN)
def test_a_hospital_admin_gets_404_on_every_page_of_an_account_at_or_above_their_level(client, people, target):
    client.force_login(people["hospital_admin"])
    for page, url in management_pages(people[target]).items():
        assert client.get(url).status_code == 404, (target, page)
    # The same pages of an account in scope and below open (a Hospital Admin
    # deletes nobody: deactivating is their tool).
    for page, url in management_pages(people["coordinator"]).items():
        assert client.get(url).status_code == (403 if page == "delete" else 200), ("coordinator", page)


@pytest.mark.parametrize("target", ABOVE_A_HOSPITAL_ADMIN)
def test_posting_the_password_form_for_a_higher_account_changes_nothing(client, people, target):
    client.force_login(people["hospital_admin"])
    response = reset_password(client, people[target])
    assert response.status_code == 404
    assert signs_in_with(people[target], PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_RESET).exists()


def test_posting_the_change_form_for_a_higher_account_changes_nothing(client, people, hospital_a):
    client.force_login(people["hospital_admin"])
    px_admin = people["px_admin"]
    response = client.post(
        reverse("admin:accounts_user_change", args=[px_admin.pk]),
        {
            "username": px_admin.username,
            "hospital": str(hospital_a.pk),
            "preferred_language": "ar",
            "roles": [],
            "email": "attacker@example.org",
        },
    )
    assert response.status_code == 404
    px_admin.refresh_from_db()
    assert px_admin.is_active and px_admin.email != "attacker@example.org"
    assert px_admin.highest_role().code == RoleCode.PX_ADMIN


def test_the_list_and_its_search_show_only_accounts_below_the_viewer(client, people):
    client.force_login(people["hospital_admin"])
    assert listed(client) == {"coord_a", "nurse_a"}
    for term in ("px_a", "ha_two", "root_a", "viewer_and_admin", "ha_one"):
        assert listed(client, f"?q={term}") == set(), term
    assert listed(client, "?q=coord") == {"coord_a"}


def test_a_department_manager_sees_only_accounts_below_them(client, people, make_user, hospital_a, department_a):
    manager = make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=department_a, username="dm_a")
    make_user(RoleCode.DEPARTMENT_MANAGER, hospital=hospital_a, department=department_a, username="dm_peer")
    make_user(RoleCode.STAFF, hospital=hospital_a, department=department_a, username="staff_in_dept")
    client.force_login(manager)
    assert listed(client) == {"staff_in_dept"}


def test_naming_a_user_on_another_record_is_not_managing_them(client, people):
    """A department's manager is picked from the users in scope, whatever their level."""
    client.force_login(people["hospital_admin"])
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "organizations", "model_name": "department", "field_name": "manager", "term": "ha_"},
    )
    assert response.status_code == 200
    offered = {result["text"] for result in response.json()["results"]}
    assert {"ha_one", "ha_two"} <= offered
    assert "ha_b" not in offered  # another hospital stays out of scope
    # Being offered as a manager opens nothing of the account.
    assert client.get(reverse("admin:accounts_user_change", args=[people["peer"].pk])).status_code == 404


def test_a_px_admin_manages_every_hospital_but_no_superuser_and_no_other_px_admin(client, people):
    client.force_login(people["px_admin"])
    for target in ("superuser", "other_px_admin", "px_admin"):
        for page, url in management_pages(people[target]).items():
            assert client.get(url).status_code == 404, (target, page)
        assert reset_password(client, people[target]).status_code == 404
        assert signs_in_with(people[target], PASSWORD)
    for target in ("hospital_admin", "peer", "hospital_admin_b", "coordinator"):
        assert client.get(management_pages(people[target])["change"]).status_code == 200, target
    assert "px_b" not in listed(client) and "root_a" not in listed(client)


def test_a_superuser_manages_everyone_else(client, people):
    client.force_login(people["superuser"])
    for target in ("other_superuser", "px_admin", "other_px_admin", "peer", "coordinator"):
        for page, url in management_pages(people[target]).items():
            assert client.get(url).status_code == 200, (target, page)
    assert reset_password(client, people["other_superuser"]).status_code == 302
    assert signs_in_with(people["other_superuser"], NEW_PASSWORD)
    # Their own account is managed from their own password page, not from the user list.
    assert client.get(management_pages(people["superuser"])["change"]).status_code == 404


# --- what a Hospital Admin may do, and the audit of it ---------------------------


def test_a_hospital_admin_resets_a_coordinators_password_and_it_is_audited(client, people):
    admin_user, coordinator = people["hospital_admin"], people["coordinator"]
    client.force_login(admin_user)
    response = reset_password(client, coordinator)
    assert response.status_code == 302
    assert signs_in_with(coordinator, NEW_PASSWORD)
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_RESET)
    assert (event.actor, event.object_id) == (admin_user, str(coordinator.pk))
    assert event.details == {"usable": True}
    assert NEW_PASSWORD not in str(event.details) and NEW_PASSWORD not in event.object_repr


def test_a_refused_password_form_is_not_audited(client, people):
    client.force_login(people["hospital_admin"])
    response = client.post(
        reverse("admin:auth_user_password_change", args=[people["coordinator"].pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": "does-not-match-1234"},
    )
    assert response.status_code == 200
    assert signs_in_with(people["coordinator"], PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_RESET).exists()


def test_deactivating_through_the_change_form_is_audited(client, people, hospital_a):
    coordinator = people["coordinator"]
    client.force_login(people["hospital_admin"])
    response = client.post(
        reverse("admin:accounts_user_change", args=[coordinator.pk]),
        {
            "username": coordinator.username,
            "first_name": "",
            "last_name": "",
            "email": "",
            "hospital": str(hospital_a.pk),
            "phone": "",
            "preferred_language": "ar",
            "roles": [str(Role.objects.get(code=RoleCode.PX_COORDINATOR).pk)],
            # is_active left unticked
        },
    )
    assert response.status_code == 302
    coordinator.refresh_from_db()
    assert not coordinator.is_active
    (event,) = AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED)
    assert event.object_id == str(coordinator.pk) and event.actor == people["hospital_admin"]


# --- bulk actions ------------------------------------------------------------------


def test_bulk_deactivation_ignores_accounts_at_or_above_the_actor(client, people):
    client.force_login(people["hospital_admin"])
    chosen = [people[name] for name in ("px_admin", "peer", "superuser", "hospital_admin", "coordinator", "nurse")]
    response = run_action(client, "deactivate_selected", chosen)
    assert response.status_code == 302
    active = dict(User.objects.filter(pk__in=[user.pk for user in chosen]).values_list("username", "is_active"))
    assert active == {"px_a": True, "ha_two": True, "root_a": True, "ha_one": True, "coord_a": False, "nurse_a": False}
    audited = set(AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED).values_list("object_repr", flat=True))
    assert audited == {"coord_a", "nurse_a"}


def test_bulk_deactivation_over_the_whole_list_spares_higher_accounts(client, people):
    client.force_login(people["hospital_admin"])
    response = run_action(client, "deactivate_selected", [people["coordinator"]], select_across="1")
    assert response.status_code == 302
    assert User.objects.get(pk=people["peer"].pk).is_active
    assert User.objects.get(pk=people["px_admin"].pk).is_active
    assert not User.objects.get(pk=people["nurse"].pk).is_active


def test_bulk_activation_is_audited(client, people):
    nurse = people["nurse"]
    nurse.is_active = False
    nurse.save()
    client.force_login(people["hospital_admin"])
    run_action(client, "activate_selected", [nurse, people["coordinator"]])
    assert User.objects.get(pk=nurse.pk).is_active
    (event,) = AuditEvent.objects.filter(action=AuditAction.USER_ACTIVATED)
    assert event.object_id == str(nurse.pk)  # the coordinator was already active: nothing to record


def test_delete_selected_spares_accounts_at_or_above_a_px_admin(client, people):
    client.force_login(people["px_admin"])
    chosen = [people[name] for name in ("superuser", "other_px_admin", "px_admin", "nurse")]
    confirm = run_action(client, "delete_selected", chosen)
    assert confirm.status_code == 200
    response = run_action(client, "delete_selected", chosen, post="yes")
    assert response.status_code == 302
    remaining = set(User.objects.filter(pk__in=[user.pk for user in chosen]).values_list("username", flat=True))
    assert remaining == {"root_a", "px_b", "px_a"}


# --- roles, groups and history cannot be used to climb ------------------------------


def test_the_user_form_hands_out_only_roles_below_the_editor(client, people, hospital_a):
    coordinator = people["coordinator"]
    client.force_login(people["px_admin"])
    page = client.get(reverse("admin:accounts_user_change", args=[coordinator.pk]))
    offered = set(page.context["adminform"].form.fields["roles"].queryset.values_list("code", flat=True))
    assert RoleCode.PX_ADMIN not in offered and RoleCode.HOSPITAL_ADMIN in offered
    client.post(
        reverse("admin:accounts_user_change", args=[coordinator.pk]),
        {
            "username": coordinator.username,
            "hospital": str(hospital_a.pk),
            "preferred_language": "ar",
            "roles": [str(Role.objects.get(code=RoleCode.PX_ADMIN).pk)],
            "is_active": "on",
        },
    )
    assert User.objects.get(pk=coordinator.pk).highest_role().code == RoleCode.PX_COORDINATOR


def test_roles_are_read_only_below_a_superuser(client, people):
    role = Role.objects.get(code=RoleCode.VIEWER)
    for name in ("px_admin", "hospital_admin"):
        client.force_login(people[name])
        page = client.get(reverse("admin:accounts_role_change", args=[role.pk]))
        assert page.status_code == 200
        assert not page.context["has_change_permission"]
        response = client.post(
            reverse("admin:accounts_role_change", args=[role.pk]), {"name_ar": "مدير", "name_en": "Boss"}
        )
        assert response.status_code == 403
    role.refresh_from_db()
    assert role.name_en == "Viewer"


def test_only_superusers_open_or_change_groups(client, people):
    group = Role.objects.get(code=RoleCode.HOSPITAL_ADMIN).group
    everything = list(Permission.objects.values_list("pk", flat=True))
    before = set(group.permissions.values_list("pk", flat=True))
    for name in ("px_admin", "hospital_admin"):
        user = people[name]
        client.force_login(user)
        assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
        response = client.post(
            reverse("admin:auth_group_change", args=[group.pk]),
            {"name": group.name, "permissions": [str(pk) for pk in everything]},
        )
        assert response.status_code == 403
    assert set(group.permissions.values_list("pk", flat=True)) == before
    client.force_login(people["superuser"])
    assert client.get(reverse("admin:auth_group_change", args=[group.pk])).status_code == 200


def test_an_accounts_history_cannot_restore_a_superuser_flag(client, people):
    """Reverting would write every stored field back, past the form's own limits."""
    demoted = people["nurse"]
    demoted.is_superuser = True
    demoted.save()
    demoted.is_superuser = False
    demoted.save()
    version = demoted.history.filter(is_superuser=True).get()
    client.force_login(people["px_admin"])
    url = reverse("admin:accounts_user_simple_history", args=[demoted.pk, version.history_id])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"username": demoted.username, "preferred_language": "ar", "roles": [], "is_active": "on"},
    )
    assert response.status_code == 403
    assert not User.objects.get(pk=demoted.pk).is_superuser


def test_object_permissions_on_a_higher_account_cannot_be_granted(client, people):
    client.force_login(people["hospital_admin"])
    url = reverse("admin:accounts_user_permissions_manage_user", args=[people["px_admin"].pk, people["nurse"].pk])
    response = client.post(url, {"permissions": ["change_user"]})
    assert response.status_code == 404
    assert not people["nurse"].has_perm("accounts.change_user", people["px_admin"])


def test_an_object_grant_does_not_lift_the_level_rule(client, people):
    from guardian.shortcuts import assign_perm

    nurse = people["nurse"]
    assign_perm("accounts.change_user", nurse, people["px_admin"])
    assign_perm("accounts.view_user", nurse, people["px_admin"])
    client.force_login(nurse)
    assert client.get(reverse("admin:accounts_user_change", args=[people["px_admin"].pk])).status_code == 404
    assert reset_password(client, people["px_admin"]).status_code == 404
    assert signs_in_with(people["px_admin"], PASSWORD)


# --- the services hold the rule too (shell, jobs, any future screen) ------------------


@pytest.mark.parametrize("target", ["px_admin", "peer", "superuser"])
def test_the_account_services_refuse_an_account_at_or_above_the_actor(people, target):
    actor, account = people["hospital_admin"], people[target]
    viewer_role = Role.objects.get(code=RoleCode.VIEWER)
    with pytest.raises(ValidationError):
        user_set_active(user=account, active=False, by=actor)
    with pytest.raises(ValidationError):
        user_set_roles(user=account, roles=[viewer_role], by=actor)
    with pytest.raises(ValidationError):
        user_lockout_clear(user=account, by=actor)
    account.refresh_from_db()
    assert account.is_active
    assert viewer_role not in account.roles.all()
    assert not AuditEvent.objects.filter(actor=actor).exists()


def test_the_account_services_act_on_an_account_below_the_actor(people):
    assert user_set_active(user=people["coordinator"], active=False, by=people["hospital_admin"])
    people["coordinator"].refresh_from_db()
    assert not people["coordinator"].is_active
