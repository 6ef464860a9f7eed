"""Sign-in audit. See AccountsConfig.ready for why this is a signal."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils.translation import get_language

from px360.core.models import AuditAction
from px360.core.services import audit_record

from .middleware import SESSION_LANGUAGE, SESSION_LAST_SEEN, SESSION_STARTED
from .services import username_for_audit


@receiver(user_logged_in, dispatch_uid="px360_audit_login")
def audit_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_STARTED] = now
        request.session[SESSION_LAST_SEEN] = now
        # The first page after signing in through the form opens in the
        # user's saved language, or, until they choose one, in the language of
        # the sign-in page (a ``next`` link may point at the other one). Not
        # for programmatic logins.
        if request.method == "POST" and request.path.endswith("/login/"):
            request.session[SESSION_LANGUAGE] = user.preferred_language or get_language()
    audit_record(action=AuditAction.LOGIN, request=request, actor=user)


@receiver(user_logged_out, dispatch_uid="px360_audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        reason = getattr(request, "_px360_logout_reason", "") if request is not None else ""
        audit_record(
            action=AuditAction.LOGOUT, request=request, actor=user, details={"reason": reason} if reason else None
        )


@receiver(user_login_failed, dispatch_uid="px360_audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Never store the password django passes along in ``credentials``.
    username = username_for_audit(credentials.get("username", ""))
    audit_record(action=AuditAction.LOGIN_FAILED, request=request, username=username)
