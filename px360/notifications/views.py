"""The gateway's inbound hook: patients' replies and delivery reports.

Authenticated by a shared secret in the ``X-PX360-Secret`` header; without a
configured secret the hook does not exist (404). Body (JSON)::

    {"type": "reply", "channel": "sms", "from": "+9665...", "text": "STOP"}
    {"type": "status", "id": "<provider id>", "status": "delivered" | "failed", "error": "..."}
"""

import hmac
import json

from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services import notification_delivery_report, notifications_inbound_reply


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
