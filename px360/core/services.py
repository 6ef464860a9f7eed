"""Writes owned by the core app: the audit log."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.contrib.contenttypes.models import ContentType

from .models import AuditAction, AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def hash_sensitive(value: str) -> str:
    """A keyed hash, so an audit reader can match a searched ID without seeing it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"sha256:{digest[:32]}"


def looks_like_national_id(term: str) -> bool:
    """Ten digits (valid check digit or not): treat it as patient data."""
    from .validators import national_id_is_valid

    return national_id_is_valid(term) or (term.isdigit() and len(term) == 10)


def audit_search(*, request, model, term: str) -> None:
    """Record a search of patient data; a term that looks like a national ID is stored hashed."""
    stored = hash_sensitive(term) if looks_like_national_id(term) else term
    audit_record(action=AuditAction.SEARCH, request=request, model=model, details={"term": stored})


def audit_record(
    *,
    action: AuditAction | str,
    request=None,
    actor=None,
    obj=None,
    model=None,
    hospital=None,
    row_count: int | None = None,
    details: dict | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one audit event. ``actor`` defaults to the request's user."""
    request_user = getattr(request, "user", None)
    if actor is None and request_user is not None and request_user.is_authenticated:
        actor = request_user
    if hospital is None and obj is not None:
        hospital = _hospital_of(obj)
    if hospital is None and actor is not None:
        hospital = getattr(actor, "hospital", None)
    content_type = None
    if obj is not None:
        content_type = ContentType.objects.get_for_model(type(obj))
    elif model is not None:
        content_type = ContentType.objects.get_for_model(model)
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_username=(actor.get_username() if actor is not None else username)[:150],
        hospital=hospital,
        content_type=content_type,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        row_count=row_count,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        details=details or {},
    )


def _hospital_of(obj):
    from px360.organizations.models import Hospital

    if isinstance(obj, Hospital):
        return obj
    hospital_id = getattr(obj, "hospital_id", None)
    if hospital_id is None:
        return None
    return Hospital(pk=hospital_id)
