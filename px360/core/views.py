"""Operational endpoints."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import JobHeartbeat
from .tasks import QUEUE_HEARTBEAT


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return "error"
    return "ok"


def _check_queue() -> str:
    """The job cluster is alive when its heartbeat job ran recently."""
    try:
        beat = JobHeartbeat.objects.filter(name=QUEUE_HEARTBEAT).values_list("last_run_at", flat=True).first()
    except Exception:
        return "error"
    if beat is None:
        return "error"
    if timezone.now() - beat > timedelta(seconds=settings.PX360_QUEUE_HEARTBEAT_MAX_AGE):
        return "stale"
    return "ok"


@never_cache
@require_GET
def health(request):
    database = _check_database()
    queue = _check_queue() if database == "ok" else "unknown"
    healthy = database == "ok" and queue == "ok"
    body = {
        "status": "ok" if healthy else "error",
        "database": database,
        "queue": queue,
        "version": settings.PX360_VERSION,
    }
    return JsonResponse(body, status=200 if healthy else 503)
