"""The gateway's inbound hook (patients' replies, delivery reports) and the staff inbox.

Authenticated by a shared secret in the ``X-PX360-Secret`` header; without a
configured secret the hook does not exist (404). Body (JSON)::

    {"type": "reply", "channel": "sms", "from": "+9665...", "text": "STOP"}
    {"type": "status", "id": "<provider id>", "status": "delivered" | "failed", "error": "..."}
"""

import hmac
import json

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import kinds, selectors
from .models import StaffNotice
from .services import (
    notification_delivery_report,
    notifications_inbound_reply,
    staff_notice_mark_read,
    staff_notices_mark_all_read,
)


@csrf_exempt
@require_POST
def inbound(request):
    secret = settings.PX360_INBOUND_SECRET
    if not secret:
        raise Http404
    given = request.headers.get("X-PX360-Secret", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return JsonResponse({"status": "error", "message": "bad secret"}, status=403)
    if len(request.body) > 64 * 1024:
        return JsonResponse({"status": "error", "message": "too large"}, status=413)
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"status": "error", "message": "invalid JSON"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"status": "error", "message": "invalid JSON"}, status=400)
    if payload.get("type") == "status":
        updated = notification_delivery_report(
            provider_id=str(payload.get("id") or ""),
            status=str(payload.get("status") or ""),
            error=str(payload.get("error") or ""),
        )
        return JsonResponse({"status": "ok", "updated": updated})
    opted_out = notifications_inbound_reply(
        channel=str(payload.get("channel") or ""),
        sender=str(payload.get("from") or ""),
        text=str(payload.get("text") or ""),
    )
    return JsonResponse({"status": "ok", "opted_out": opted_out})


# --- the inbox of members of staff ---------------------------------------------
# Wrapped in ``admin.site.admin_view`` in ``inbox_urls``: signed-in staff only,
# CSRF-protected, never cached. Every read starts from the signed-in user.

INBOX_PAGE_SIZE = 25


def _entry(notice) -> dict:
    kind = kinds.find(notice.kind)
    return {
        "notice": notice,
        "label": kinds.label_of(notice.kind),
        "icon": kind.icon if kind is not None else "notifications",
        "title": kind.render_title_html(notice.params) if kind is not None else notice.kind,
        "unread": notice.read_at is None,
    }


def inbox_list(request):
    """My notifications: newest first, all or unread only, with mark read."""
    unread_only = request.GET.get("show") == "unread"
    notices = selectors.inbox(request.user)
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    page = Paginator(notices, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **admin.site.each_context(request),
        "title": _("My notifications"),
        "entries": [_entry(notice) for notice in page.object_list],
        "page": page,
        "unread_only": unread_only,
        "unread_total": selectors.unread_count(request.user),
        "return_to": request.get_full_path(),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "notifications/inbox.html", context)


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _in_language(link: str, language: str) -> str:
    """A stored path in the reader's language (a notice's link names the language it was made in)."""
    parts = link.split("/", 2)
    if len(parts) < 3 or parts[1] not in dict(settings.LANGUAGES):
        return link
    # translate_url resolves the path in the active language: activate the link's own first.
    with translation.override(parts[1]):
        return translate_url(link, language)


def inbox_open(request, notice_id):
    """Follow a notice to what it is about, marking it read (the e-mails link here too)."""
    try:
        notice = staff_notice_mark_read(user=request.user, notice_id=notice_id)
    except (StaffNotice.DoesNotExist, ValidationError):
        raise Http404
    link = _in_language(notice.link, get_language())
    if not link or not url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        link = reverse("inbox:list")
    return redirect(link)


@require_POST
def inbox_mark_read(request, notice_id):
    try:
        staff_notice_mark_read(user=request.user, notice_id=notice_id)
    except (StaffNotice.DoesNotExist, ValidationError):
        raise Http404
    return redirect(_back(request, reverse("inbox:list")))


@require_POST
def inbox_mark_all_read(request):
    count = staff_notices_mark_all_read(user=request.user)
    if count:
        messages.success(
            request,
            ngettext("%(count)d notice marked as read.", "%(count)d notices marked as read.", count) % {"count": count},
        )
    return redirect(_back(request, reverse("inbox:list")))
