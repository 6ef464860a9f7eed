"""The access policy: which rows a user may see and change.

Everything that reads business data for a person — admin changelists and
change pages, autocomplete, foreign-key choices, Unfold's search, imports,
exports, dashboards and API responses — narrows its queryset with
:func:`restrict`. Nothing else decides visibility, so one rule holds
everywhere.

A user's *scope* comes from the highest-level role they hold (DESIGN §3):

========================  =================================================
PX Admin / superuser      every hospital
Hospital Admin            their hospital
Department Manager        their department and its sub-departments
PX Coordinator            their hospital
Physician                 rows about them (their own physician record)
Nurse                     their department
Staff                     rows assigned to them
Viewer                    their hospital, read-only (model permissions)
========================  =================================================

Each model says how its rows relate to a hospital, department, physician or
assignee with a :class:`ModelAccess` declared as ``px_access`` on the model.
django-guardian object grants widen the scope one object at a time: an
object granted to a user is visible (and changeable, with a change grant)
whatever their role scope.
"""

from __future__ import annotations

import contextlib
import enum
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q


class ScopeKind(enum.IntEnum):
    NONE = 0
    ASSIGNED = 20
    PHYSICIAN = 40
    DEPARTMENT = 30
    DEPARTMENT_TREE = 60
    HOSPITAL = 80
    ALL = 100


@dataclass(frozen=True)
class ModelAccess:
    """How a model's rows map onto the scope dimensions.

    Paths are ORM lookups from the model; ``"pk"`` means the row itself (a
    hospital's hospital is itself). ``reference`` marks organisation data
    (departments, physicians) that every member of a hospital may read
    whatever their role scope, so forms and filters can offer it.
    ``names`` are paths to the users a row names (the physicians and staff a
    complaint is about): for the Physician and Nurse scopes such a model shows
    exactly the rows that name the user (and those assigned to them), instead
    of their physician record's or department's rows.
    """

    hospital: str | None = None
    department: str | None = None
    physician: str | None = None
    assignees: tuple[str, ...] = ()
    owner: str | None = None
    names: tuple[str, ...] = ()
    reference: bool = False
    shared: bool = False
    group_rows: bool = False


@dataclass
class Scope:
    kind: ScopeKind
    user_id: object = None
    hospital_ids: frozenset = field(default_factory=frozenset)
    department_ids: frozenset = field(default_factory=frozenset)

    @property
    def is_global(self) -> bool:
        return self.kind == ScopeKind.ALL


_ROLE_SCOPE = {
    "px_admin": ScopeKind.ALL,
    "hospital_admin": ScopeKind.HOSPITAL,
    "department_manager": ScopeKind.DEPARTMENT_TREE,
    "px_coordinator": ScopeKind.HOSPITAL,
    "physician": ScopeKind.PHYSICIAN,
    "nurse": ScopeKind.DEPARTMENT,
    "staff": ScopeKind.ASSIGNED,
    "viewer": ScopeKind.HOSPITAL,
}


# How to read a department tree: the organizations app, which owns departments,
# registers it on start (OrganizationsConfig.ready); the platform below it
# never imports it.
_department_tree = None


def register_department_tree(subtree_ids) -> None:
    """Name the function that returns a department's id and the ids of every department below it."""
    global _department_tree
    _department_tree = subtree_ids


def scope_for(user) -> Scope:
    """The user's scope, computed once per user object (i.e. per request)."""
    cached = getattr(user, "_px360_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    # AnonymousUser refuses new attributes; it is cheap to recompute.
    with contextlib.suppress(AttributeError):
        user._px360_scope = scope
    return scope


def _compute_scope(user) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope(ScopeKind.NONE)
    if user.is_superuser:
        return Scope(ScopeKind.ALL, user_id=user.pk)

    role = user.highest_role()
    if role is None:
        return Scope(ScopeKind.NONE, user_id=user.pk)
    kind = _ROLE_SCOPE.get(role.code, ScopeKind.NONE)
    if kind == ScopeKind.ALL:
        return Scope(kind, user_id=user.pk)
    if user.hospital_id is None:
        # A hospital-bound role without a hospital sees nothing rather than
        # everything.
        return Scope(ScopeKind.NONE, user_id=user.pk)

    hospital_ids = frozenset({user.hospital_id})
    department_ids: frozenset = frozenset()
    if kind == ScopeKind.DEPARTMENT_TREE and user.department_id:
        if _department_tree is None:
            raise ImproperlyConfigured("No department tree is registered: is px360.organizations installed?")
        department_ids = frozenset(_department_tree(user.department_id))
    elif kind == ScopeKind.DEPARTMENT and user.department_id:
        department_ids = frozenset({user.department_id})
    return Scope(kind, user_id=user.pk, hospital_ids=hospital_ids, department_ids=department_ids)


def model_access(model) -> ModelAccess | None:
    return getattr(model, "px_access", None)


def _nothing() -> Q:
    return Q(pk__in=[])


def scope_q(model, scope: Scope) -> Q:
    """The role-scope filter for ``model`` (without object grants)."""
    if scope.kind == ScopeKind.ALL:
        return Q()
    if scope.kind == ScopeKind.NONE:
        return _nothing()
    rules = model_access(model)
    if rules is None:
        # Models without a declared policy are system tables: only a global
        # scope reads them.
        return _nothing()
    if rules.shared:
        return Q()

    hospital_q = Q(**{f"{rules.hospital}__in": scope.hospital_ids}) if rules.hospital else None
    if scope.kind == ScopeKind.HOSPITAL:
        return hospital_q if hospital_q is not None else _owner_q(rules, scope)

    if rules.names and scope.kind in (ScopeKind.PHYSICIAN, ScopeKind.DEPARTMENT):
        return _names_q(model, rules, scope)
    if scope.kind in (ScopeKind.DEPARTMENT_TREE, ScopeKind.DEPARTMENT):
        if rules.department:
            return Q(**{f"{rules.department}__in": scope.department_ids}) | _owner_q(rules, scope)
    elif scope.kind == ScopeKind.PHYSICIAN:
        if rules.physician:
            return Q(**{_join(rules.physician, "user_id"): scope.user_id}) | _owner_q(rules, scope)
    elif scope.kind == ScopeKind.ASSIGNED and rules.assignees:
        return reduce(or_, (Q(**{path: scope.user_id}) for path in rules.assignees)) | _owner_q(rules, scope)

    if rules.reference and hospital_q is not None:
        return hospital_q
    return _owner_q(rules, scope)


def _names_q(model, rules: ModelAccess, scope: Scope) -> Q:
    """Rows naming the user, through a subquery: a join over a many-to-many path would repeat rows."""
    named = reduce(or_, (Q(**{path: scope.user_id}) for path in rules.names))
    condition = Q(pk__in=model._base_manager.filter(named).values("pk"))
    for path in rules.assignees:
        condition |= Q(**{path: scope.user_id})
    return condition | _owner_q(rules, scope)


def _join(path: str, suffix: str) -> str:
    return suffix if path == "pk" else f"{path}__{suffix}"


def _owner_q(rules: ModelAccess, scope: Scope) -> Q:
    if rules.owner and scope.user_id is not None:
        return Q(**{rules.owner: scope.user_id})
    return _nothing()


def granted_pks(user, model, codenames: list[str]) -> list:
    """Primary keys of ``model`` rows granted to ``user`` (directly or by group).

    Grants are read once per user object (i.e. once per request): guardian's
    generic tables in two queries for every model, its direct tables in two
    queries per model asked about.
    """
    if not user.is_authenticated:
        return []
    grants = _grants_of(user, model)
    pks: set = set()
    for codename in codenames:
        pks.update(grants.get(codename, ()))
    return list(pks)


def _grants_of(user, model) -> dict:
    """``{codename: {pk, ...}}`` of the user's object grants on ``model``."""
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    cache = user.__dict__.setdefault("_px360_grants", {})
    label = model._meta.label_lower
    if label in cache:
        return cache[label]
    user_model, group_model = get_user_obj_perms_model(model), get_group_obj_perms_model(model)
    grants: dict = {}
    if _is_direct(user_model) or _is_direct(group_model):
        for perm_model, filters in ((user_model, {"user": user}), (group_model, {"group__user": user})):
            if not _is_direct(perm_model):
                continue
            rows = perm_model.objects.filter(**filters).values_list("permission__codename", "content_object_id")
            for codename, pk in rows:
                grants.setdefault(codename, set()).add(pk)
    if not (_is_direct(user_model) and _is_direct(group_model)):
        content_type = ContentType.objects.get_for_model(model)
        for (content_type_id, codename), raw_pks in _generic_grants(user).items():
            if content_type_id != content_type.pk:
                continue
            for raw in raw_pks:
                try:
                    grants.setdefault(codename, set()).add(model._meta.pk.to_python(raw))
                except Exception:  # a malformed stored key grants nothing
                    continue
    cache[label] = grants
    return grants


def _generic_grants(user) -> dict:
    """Every grant of the user in guardian's generic tables: ``{(ct id, codename): {raw pk}}``."""
    cached = user.__dict__.get("_px360_generic_grants")
    if cached is not None:
        return cached
    from guardian.models import GroupObjectPermission, UserObjectPermission

    grants: dict = {}
    for queryset in (
        UserObjectPermission.objects.filter(user=user),
        GroupObjectPermission.objects.filter(group__user=user),
    ):
        for content_type_id, codename, raw in queryset.values_list(
            "content_type_id", "permission__codename", "object_pk"
        ):
            grants.setdefault((content_type_id, codename), set()).add(raw)
    user.__dict__["_px360_generic_grants"] = grants
    return grants


def _is_direct(perm_model) -> bool:
    # guardian's direct models have a real foreign key named content_object;
    # the generic ones have a GenericForeignKey of that name.
    field_ = perm_model._meta.get_field("content_object")
    return isinstance(field_, models.ForeignKey)


def restrict(queryset, user, action: str = "view"):
    """Narrow ``queryset`` to the rows ``user`` may ``action`` (view/change/delete).

    Role scope applies only when the user also holds the model permission for
    the action (``view`` is implied by ``change``, as in Django's admin).
    Object grants add individual rows on top.
    """
    model = queryset.model
    scope = scope_for(user)
    if scope.kind == ScopeKind.NONE and not getattr(user, "is_authenticated", False):
        return queryset.none()
    if user.is_superuser:
        return queryset

    opts = model._meta
    if action == "view":
        codenames = [f"view_{opts.model_name}", f"change_{opts.model_name}"]
    else:
        codenames = [f"{action}_{opts.model_name}"]
    has_model_perm = any(user.has_perm(f"{opts.app_label}.{codename}") for codename in codenames)
    if scope.kind == ScopeKind.ALL and has_model_perm:
        # A PX Admin's scope is every hospital, but only for what their role may do.
        return queryset

    condition = scope_q(model, scope) if has_model_perm else _nothing()
    rules = model_access(model)
    if has_model_perm and action == "view" and rules is not None and rules.group_rows and rules.hospital:
        condition = condition | Q(**{f"{rules.hospital}__isnull": True})
    granted = granted_pks(user, model, codenames)
    if granted:
        condition = condition | Q(pk__in=granted)
    return queryset.filter(condition)


def can_access(user, obj, action: str = "view") -> bool:
    """Whether ``user`` may ``action`` this one object."""
    if obj is None:
        return False
    manager = getattr(type(obj), "all_objects", None) or type(obj)._default_manager
    return restrict(manager.all(), user, action).filter(pk=obj.pk).exists()


def hospital_ids_for(user):
    """Hospitals the user may create or import records for (``None`` = all)."""
    scope = scope_for(user)
    if scope.kind == ScopeKind.ALL:
        return None
    return scope.hospital_ids


def user_is_global(user) -> bool:
    return scope_for(user).kind == ScopeKind.ALL


__all__ = [
    "ModelAccess",
    "Scope",
    "ScopeKind",
    "can_access",
    "granted_pks",
    "hospital_ids_for",
    "register_department_tree",
    "restrict",
    "scope_for",
    "scope_q",
    "user_is_global",
]
