"""Reads of user accounts.

Managing an account — seeing it in the user admin, changing it, resetting its
password, (de)activating, deleting it, lifting its sign-in lockout, granting
object permissions on it — follows one rule on top of the access policy: the
account's highest role must be strictly below the manager's. Superusers are
above every role; only a superuser manages a superuser; nobody manages their
own account through these screens (their own password has its own page).

The rule is about managing accounts, not about naming them: choosing a user as
a department's manager or as an assignee goes through the access policy alone
(``px360.core.access.restrict``), so a coordinator can pick a manager.
"""

from __future__ import annotations

from django.db.models import QuerySet

from px360.core.access import restrict

from .models import User


def manageable_users(actor, queryset: QuerySet | None = None, action: str = "view") -> QuerySet:
    """The accounts ``actor`` may ``action`` (view/change/delete) as an account manager.

    ``queryset`` narrows further (e.g. the admin's own queryset); it is scoped
    again here, so callers cannot forget the access policy.
    """
    if queryset is None:
        queryset = User.objects.all()
    if actor is None or not getattr(actor, "is_authenticated", False):
        return queryset.none()
    queryset = restrict(queryset, actor, action).exclude(pk=actor.pk)
    if actor.is_superuser:
        return queryset
    level = actor.level
    if level <= 0:
        # Users without a role have level 0; nobody without a role is below them.
        return queryset.none()
    return queryset.filter(is_superuser=False).exclude(roles__level__gte=level)


def can_manage_user(actor, target, action: str = "view") -> bool:
    """Whether ``actor`` may ``action`` this one account (see :func:`manageable_users`)."""
    if target is None or target.pk is None:
        return False
    return manageable_users(actor, User.objects.filter(pk=target.pk), action).exists()
