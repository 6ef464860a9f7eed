"""Sign-in lockout with one limit per lockout parameter.

django-axes counts failed sign-ins once per entry of ``AXES_LOCKOUT_PARAMETERS``
but compares every count with the single ``AXES_FAILURE_LIMIT``. PX360 wants two
lockouts with different limits:

- a username from one address, after ``AXES_FAILURE_LIMIT`` failures, so a
  ward behind one NAT address keeps working for everyone else;
- the username from every address, after ``PX360_LOGIN_USERNAME_FAILURE_LIMIT``
  failures, so an attacker rotating addresses is stopped too.

The handler below reports each count on axes' one scale: a count that reaches
its own limit reads as axes' limit, a count below it reads as below axes' limit.
Everything else (recording attempts, cool-off, reset on success, the lockout
response) stays axes' own.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def _is_username_wide(parameter) -> bool:
    return parameter in ("username", ["username"], ("username",))


def _limit_for(parameter, axes_limit: int) -> int:
    return settings.PX360_LOGIN_USERNAME_FAILURE_LIMIT if _is_username_wide(parameter) else axes_limit


def _total(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with a separate limit for the username-wide lockout."""

    def get_failures(self, request, credentials=None) -> int:
        axes_limit = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = _total(attempts)
            reached = failures >= _limit_for(parameter, axes_limit)
            worst = max(worst, axes_limit if reached else min(failures, axes_limit - 1))
        return worst


def locked_everywhere(request, username: str) -> bool:
    """Whether ``username`` is locked from every address (not only from this one)."""
    if not username:
        return False
    attempts = AccessAttempt.objects.filter(username=username)
    cool_off = get_cool_off(request)
    if cool_off is not None:
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        attempts = attempts.filter(attempt_time__gte=now - cool_off)
    return _total(attempts) >= settings.PX360_LOGIN_USERNAME_FAILURE_LIMIT
