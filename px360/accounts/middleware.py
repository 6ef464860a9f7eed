"""Session policy for shared ward PCs: an idle timeout and an absolute cap."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

SESSION_STARTED = "px360_session_started"
SESSION_LAST_SEEN = "px360_session_last_seen"
SESSION_LANGUAGE = "px360_switch_language"
# Writing the session on every request would cost a database write per page;
# the idle clock is refreshed at most this often.
_TOUCH_EVERY = 30


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            started = request.session.get(SESSION_STARTED, now)
            last_seen = request.session.get(SESSION_LAST_SEEN, now)
            reason = None
            if now - last_seen > settings.PX360_SESSION_IDLE_SECONDS:
                reason = "idle"
            elif now - started > settings.PX360_SESSION_MAX_SECONDS:
                reason = "max_age"
            if reason:
                request._px360_logout_reason = reason
                logout(request)
                messages.warning(request, _("Your session ended. Please sign in again."))
                if request.path.startswith("/api/") or request.headers.get("HX-Request"):
                    return HttpResponse(status=401)
                return redirect(f"{reverse('admin:login')}?{urlencode({'next': request.get_full_path()})}")
            # Only a page view is redirected; a form post goes through as sent.
            language = request.session.pop(SESSION_LANGUAGE, None) if request.method == "GET" else None
            if language:
                switched = _switch_language(request, language)
                if switched is not None:
                    return switched
            if SESSION_STARTED not in request.session:
                request.session[SESSION_STARTED] = now
            if now - last_seen >= _TOUCH_EVERY or SESSION_LAST_SEEN not in request.session:
                request.session[SESSION_LAST_SEEN] = now
            if language in _language_codes():
                # Already in the right language: remember it for bare /admin/ links.
                return _remember_language(self.get_response(request), language)
        return self.get_response(request)


def _language_codes() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def _remember_language(response, language: str):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
    )
    return response


def _switch_language(request, language: str):
    """Redirect the first page after sign-in to the user's preferred language."""
    codes = _language_codes()
    parts = request.path.split("/", 2)
    if language not in codes or len(parts) < 3 or parts[1] not in codes or parts[1] == language:
        return None
    query = request.META.get("QUERY_STRING", "")
    return _remember_language(redirect(f"/{language}/{parts[2]}" + (f"?{query}" if query else "")), language)
