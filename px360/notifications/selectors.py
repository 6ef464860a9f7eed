"""Reads of the notifications app.

A member of staff's inbox is theirs alone: every read of notices starts from
the reader, whatever their role, so another user's notice does not exist for
them (404), not even for a PX Admin.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from . import kinds
from .models import DEFAULT_DIGEST_HOUR, StaffNotice, StaffNoticeSettings


def inbox(user) -> QuerySet:
    """``user``'s notices, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return StaffNotice.objects.none()
    return StaffNotice.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(user) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def notice_settings(user) -> StaffNoticeSettings:
    """``user``'s notification choices (unsaved defaults when they never chose)."""
    found = StaffNoticeSettings.objects.filter(user=user).first()
    return found or StaffNoticeSettings(user=user, deliveries={}, digest_hour=DEFAULT_DIGEST_HOUR)


def deliveries_for(user) -> dict[str, str]:
    """``{kind code: e-mail delivery}`` for every registered kind, as ``user`` would get it now."""
    stored = notice_settings(user).deliveries
    return {kind.code: kind.effective_email(stored.get(kind.code)) for kind in kinds.all_kinds()}


def staff_in_roles(*, roles, hospital=None) -> QuerySet:
    """Active users holding any of ``roles`` (role codes); of ``hospital`` when given.

    For notices that go to whoever does a job in a hospital, e.g. the PX
    Coordinators of the hospital whose HIS message failed.
    """
    users = get_user_model().objects.filter(is_active=True, roles__code__in=list(roles))
    if hospital is not None:
        users = users.filter(hospital=hospital)
    return users.distinct()
