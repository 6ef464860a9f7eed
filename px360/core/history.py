"""Who made a change, for the history rows (django-simple-history).

In a request the signed-in user is named, as simple-history's middleware
does. A background job runs with no request: the code that runs it on behalf
of someone (an import confirmed by a data-team member, an action started from
the admin) wraps its work in :func:`acting_user`, so the history rows it writes
name that person rather than nobody. Every model's history names this module's
:func:`history_user` as its ``get_user``.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

_acting = contextvars.ContextVar("px360_acting_user", default=None)


@contextmanager
def acting_user(user):
    """Name ``user`` (a user or ``None``) on the history rows written inside the block."""
    token = _acting.set(user)
    try:
        yield user
    finally:
        _acting.reset(token)


def history_user(request=None, **kwargs):
    """The user a history row names: the request's, else the one a job acts for."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return _acting.get()
