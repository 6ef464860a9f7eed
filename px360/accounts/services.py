"""Writes for users and roles."""

from axes.utils import reset as axes_reset
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from px360.core.choices import Language
from px360.core.models import AuditAction
from px360.core.services import audit_record, hash_sensitive
from px360.core.validators import normalize_phone

from .models import Role, User
from .roles import ROLES, permissions_for
from .selectors import can_manage_user


def username_for_audit(username: str) -> str:
    """A typed username as the audit log may keep it.

    What people type in the username box is sometimes their password: the
    audit keeps it only when it names an account, and a keyed hash otherwise.
    """
    username = str(username or "")[:150]
    if not username or User.objects.filter(username=username).exists():
        return username
    return hash_sensitive(username)


@transaction.atomic
def create_default_roles() -> list[Role]:
    """Create or update the eight roles and their groups' permissions.

    Idempotent: a second run changes nothing. Permissions the table no longer
    lists are removed from the role's group, so the table stays the truth.
    """
    all_perms = {
        (perm.content_type.app_label, perm.codename): perm for perm in Permission.objects.select_related("content_type")
    }
    roles = []
    for code, (level, name_en, name_ar) in ROLES.items():
        group, _created = Group.objects.get_or_create(name=f"role:{code.value}")
        role = Role.objects.filter(code=code).first()
        if role is None:
            role = Role(code=code, group=group)
        role.level = level
        # The bare ``name`` writes whichever language is active, so it goes
        # first and the explicit languages after it.
        role.name = name_ar
        role.name_ar = name_ar
        role.name_en = name_en
        role.group = group
        role.save()
        wanted = []
        for key in permissions_for(code):
            if key not in all_perms:
                raise LookupError(f"Permission {key[0]}.{key[1]} does not exist: run migrate first")
            wanted.append(all_perms[key])
        group.permissions.set(wanted)
        roles.append(role)
    return roles


def _assignable(by: User, role: Role) -> bool:
    # Nobody hands out a role at or above their own level: an account given
    # such a role would be one its giver can no longer manage. Only a
    # superuser makes PX Admins.
    return by.is_superuser or role.level < by.level


@transaction.atomic
def user_set_roles(*, user: User, roles, by: User | None, request=None) -> None:
    """Give ``user`` exactly ``roles``, keep their groups in step, audit the change."""
    new = {role.pk: role for role in roles}
    old = {role.pk: role for role in user.roles.all()}
    added = [role for pk, role in new.items() if pk not in old]
    removed = [role for pk, role in old.items() if pk not in new]
    if by is not None:
        _refuse_unless_manageable(by, user)
        refused = [role for role in added + removed if not _assignable(by, role)]
        if refused:
            raise ValidationError(_("You cannot assign or remove the role %(role)s.") % {"role": refused[0].name})
    if added:
        user.roles.add(*added)
        user.groups.add(*[role.group for role in added])
    if removed:
        user.roles.remove(*removed)
        user.groups.remove(*[role.group for role in removed])
    for role in added:
        audit_record(
            action=AuditAction.ROLE_ASSIGNED,
            request=request,
            actor=by,
            obj=user,
            details={"role": role.code},
        )
    for role in removed:
        audit_record(
            action=AuditAction.ROLE_REMOVED,
            request=request,
            actor=by,
            obj=user,
            details={"role": role.code},
        )
    user._px360_highest_role = False
    user.__dict__.pop("_px360_scope", None)
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(attr, None)


def _refuse_unless_manageable(by: User | None, user: User, action: str = "change") -> None:
    if by is not None and not can_manage_user(by, user, action):
        raise ValidationError(_("You cannot manage the account %(username)s.") % {"username": user.get_username()})


@transaction.atomic
def user_set_active(*, user: User, active: bool, by: User | None, request=None) -> bool:
    """Activate or deactivate ``user``'s account; returns whether it changed.

    A deactivated account cannot sign in and its open sessions end at their
    next request (Django refuses inactive users). Both directions are audited.
    """
    _refuse_unless_manageable(by, user)
    if user.is_active == active:
        return False
    user.is_active = active
    if by is not None:
        user._history_user = by
    user.save(update_fields=["is_active"])
    audit_record(
        action=AuditAction.USER_ACTIVATED if active else AuditAction.USER_DEACTIVATED,
        request=request,
        actor=by,
        obj=user,
    )
    return True


def user_password_reset_record(*, user: User, by: User | None, request=None) -> None:
    """Audit that ``by`` set or disabled ``user``'s password (never the password itself).

    The admin's password form writes the new hash; this records who did it and
    whether password sign-in is still possible.
    """
    audit_record(
        action=AuditAction.PASSWORD_RESET,
        request=request,
        actor=by,
        obj=user,
        details={"usable": user.has_usable_password()},
    )


@transaction.atomic
def user_lockout_clear(*, user: User, by: User | None, request=None) -> int:
    """Lift ``user``'s sign-in lockout from every address; returns the attempt records cleared.

    Every recorded failure of the username goes, whatever the address, so both
    the per-address and the username-wide lockout end. When there was nothing
    to clear, nothing is audited.
    """
    _refuse_unless_manageable(by, user)
    cleared = axes_reset(username=user.get_username())
    if cleared:
        audit_record(
            action=AuditAction.LOCKOUT_CLEARED,
            request=request,
            actor=by,
            obj=user,
            details={"attempts": cleared},
        )
    return cleared


# --- a user's own profile ------------------------------------------------------
#
# Every user, whatever their role, changes their own language, phone and
# password on their profile page; nothing else about the account (roles,
# hospital, department, active, staff or superuser flags) can be reached from
# it. As with changes made by account managers, field changes leave a history
# row naming who made them and a password change leaves an audit event.


def _refuse_unless_self(by: User | None, user: User) -> None:
    if by is None or by.pk != user.pk:
        raise PermissionDenied


@transaction.atomic
def user_profile_update(*, user: User, by: User | None, preferred_language: str, phone: str, request=None) -> list[str]:
    """``user`` changes their own language and phone; returns the names of the fields that changed.

    The phone is stored in E.164 (``ValidationError`` when it is not a valid
    number); an empty language means "the sign-in page's".
    """
    _refuse_unless_self(by, user)
    if preferred_language not in ("", *Language.values):
        raise ValidationError(_("Choose a language."), code="invalid_language")
    phone = normalize_phone(phone) if phone else ""
    values = {"preferred_language": preferred_language, "phone": phone}
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    if changed:
        for name in changed:
            setattr(user, name, values[name])
        user._history_user = by
        user.save(update_fields=changed)
    return changed


@transaction.atomic
def user_own_password_change(*, user: User, by: User | None, new_password: str, request=None) -> None:
    """``user`` sets their own password (the form checked the old one and the password rules).

    Audited like a reset by an account manager, with ``own`` in the details;
    never the password itself.
    """
    _refuse_unless_self(by, user)
    user.set_password(new_password)
    user._history_user = by
    user.save(update_fields=["password"])
    audit_record(
        action=AuditAction.PASSWORD_RESET,
        request=request,
        actor=by,
        obj=user,
        details={"usable": True, "own": True},
    )
