"""What other apps do when a patient completes a survey.

The surveys app knows nothing of the apps above it: the complaints app, for
one, reopens a complaint whose resolution survey came back with a low score.
Such an app registers a listener in its ``AppConfig.ready()``; every
completed response is handed to each listener, in the order they registered,
inside the submission's transaction.

A listener that fails is logged and skipped (its own writes rolled back with
its savepoint): the patient's answers are kept whatever happens after them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger("px360.surveys")

_completed_listeners: list[Callable] = []


def on_response_completed(listener: Callable) -> None:
    """Call ``listener(response)`` for every response submitted from now on (registering twice adds it once)."""
    if listener not in _completed_listeners:
        _completed_listeners.append(listener)


def response_completed(response) -> None:
    """Tell the registered listeners that ``response`` was just submitted and scored."""
    for listener in tuple(_completed_listeners):
        try:
            with transaction.atomic():
                listener(response)
        except Exception:
            # Only ids: a response's answers are personal data.
            logger.exception(
                "A listener of completed survey responses failed (%s, response %s)",
                getattr(listener, "__qualname__", listener),
                response.pk,
            )


def completed_listeners() -> tuple[Callable, ...]:
    return tuple(_completed_listeners)
