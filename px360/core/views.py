"""Operational endpoints and the error pages."""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, get_language_info
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from .models import JobHeartbeat
from .tasks import QUEUE_HEARTBEAT

# How long after this process started a missing or old heartbeat means the
# job cluster is still starting, not down. The heartbeat job runs every minute
# and a cluster started together with the web server beats within about one:
# two minutes leave room for a slow start (migrations, a cold disk) on a small machine.
STARTING_GRACE_SECONDS = 120
# When this process loaded its URL configuration: at start-up under runserver,
# and with the first request a gunicorn worker serves.
PROCESS_STARTED = time.monotonic()


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


def _starting() -> bool:
    return time.monotonic() - PROCESS_STARTED < STARTING_GRACE_SECONDS


@never_cache
@require_GET
def health(request):
    """``ok`` (200), ``starting`` (200) or ``error`` (503), with a word per dependency.

    A database that does not answer is an error at once. A job cluster that has
    not beaten (never, or not lately) is "starting" for the first
    ``STARTING_GRACE_SECONDS`` after this process started — ``make run`` and a
    deployment start the web server and the cluster together, and the first
    beat comes up to a minute later — and an error after that. "starting"
    answers 200: the web server serves pages, and a 5xx is logged as an error
    (by Django and by runserver's access log) for what is the normal start.
    """
    database = _check_database()
    queue = _check_queue() if database == "ok" else "unknown"
    if database == "ok" and queue == "ok":
        status = "ok"
    elif database == "ok" and queue in ("error", "stale") and _starting():
        status, queue = "starting", "starting"
    else:
        status = "error"
    body = {"status": status, "database": database, "queue": queue, "version": settings.PX360_VERSION}
    return JsonResponse(body, status=503 if status == "error" else 200)


# --- Error pages -------------------------------------------------------------
# Wired as handler400/403/404/500 in px360.urls, so the admin's own refusals
# (PermissionDenied, out-of-scope 404s, refused changelist lookups) show them too.
# A 404 never says why: a record out of the user's scope must read exactly
# like one that does not exist.


def _other_language(request) -> dict | None:
    """The same address in the other language, for pages under a language prefix."""
    current = get_language()
    codes = [code for code, _name in settings.LANGUAGES]
    if current not in codes or not request.path.startswith(f"/{current}/"):
        return None
    other = next(code for code in codes if code != current)
    rest = request.path[len(current) + 2 :]
    return {"code": other, "name": get_language_info(other)["name_local"], "url": f"/{other}/{rest}"}


def _error_response(request, template_name: str, status: int) -> HttpResponse:
    """Render an error page in the admin's look, falling back to a plain context.

    The admin's context (theme, colours, site title) needs a working user and
    Unfold's callbacks; a request refused before authentication has no user,
    and a failing callback must not turn a 404 into a 500.
    """
    try:
        context = {**admin.site.each_context(request), "other_language": _other_language(request)}
        return render(request, template_name, context, status=status)
    except Exception:
        return HttpResponse(render_to_string(template_name, {"site_title": "PX360"}), status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _error_response(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error_response(request, "403.html", 403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error_response(request, "404.html", 404)


_BARE_SERVER_ERROR = (
    '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>PX360</title></head><body>'
    '<h1>حدث خطأ من جهتنا</h1><p lang="en" dir="ltr">Something went wrong on our side.</p></body></html>'
)


def server_error(request):
    """The 500 page: no database, no session, no context processors.

    Whatever broke (the database, a middleware, a template tag) may still be
    broken, so the page is rendered from a static template with no request;
    only the active language is read. If even that fails, a fixed bilingual
    line is answered.
    """
    try:
        html = loader.get_template("500.html").render({})
    except Exception:
        html = _BARE_SERVER_ERROR
    return HttpResponse(html, status=500)
