"""Reads of complaints for screens: who sees the complainant, SLA clocks of a page of cases."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from px360.core.access import ScopeKind, scope_for
from px360.sla.models import SLAClock

# Roles that read a complaint because it names them: they do not learn who
# complained when the complainant asked for that.
_NAMED_SCOPES = (ScopeKind.PHYSICIAN, ScopeKind.DEPARTMENT)


def sees_complainant(user, complaint) -> bool:
    """Whether ``user`` may see who raised ``complaint`` (name, contact, patient, encounter)."""
    if not complaint.identity_withheld:
        return True
    if user.is_superuser:
        return True
    return scope_for(user).kind not in _NAMED_SCOPES


def clocks_by_item(model, pks) -> dict[str, list[SLAClock]]:
    """The SLA clocks of many items of ``model`` in one query: ``{str(pk): [clock, ...]}``."""
    ids = [str(pk) for pk in pks]
    if not ids:
        return {}
    item_type = ContentType.objects.get_for_model(model)
    clocks: dict[str, list[SLAClock]] = {}
    for clock in (
        SLAClock.objects.filter(item_type=item_type, item_id__in=ids)
        .select_related("calendar", "policy")
        .order_by("clock", "cycle")
    ):
        clocks.setdefault(clock.item_id, []).append(clock)
    return clocks


def item_ids_due(model, which: str, *, now=None) -> list[str]:
    """Ids of open items of ``model`` whose latest open clock is due today, at risk, or breached."""
    from datetime import datetime, time, timedelta

    from django.db.models import Q

    now = now or timezone.now()
    item_type = ContentType.objects.get_for_model(model)
    clocks = SLAClock.objects.filter(item_type=item_type, stopped_at__isnull=True)
    if which == "today":
        day = timezone.localtime(now).date()
        start = timezone.make_aware(datetime.combine(day, time(0)))
        clocks = clocks.filter(due_at__gte=start, due_at__lt=start + timedelta(days=1))
    elif which == "at_risk":
        clocks = clocks.filter(at_risk_at__lte=now).filter(Q(due_at__gt=now) | Q(due_at__isnull=True))
    elif which == "breached":
        clocks = clocks.filter(due_at__lte=now)
    else:
        return []
    return list(clocks.values_list("item_id", flat=True).distinct())
