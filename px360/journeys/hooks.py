"""What other apps do when a patient's journey moves.

The journeys app knows nothing of what follows a journey stage: the surveys
app sends an invitation, and later apps (the action center, for one) may act
too. Each of them subclasses :class:`JourneyListener` and registers an instance
in its ``AppConfig.ready()``; the engine calls every registered listener, in
the order they registered, inside the engine's own transaction handling.
"""

from __future__ import annotations

_listeners: list[JourneyListener] = []


class JourneyListener:
    """Override what the app needs; the defaults do nothing."""

    def stage_completed(self, stage) -> None:
        """One stage has just become completed (an HIS event, a manual change)."""

    def stages_completed(self, stages: list) -> int:
        """Many stages were completed by an import batch.

        ``stages`` come with their journey, encounter, patient and department
        loaded. Returns how many of them the listener acted on.
        """
        return 0

    def encounter_cancelled(self, encounter, *, reason: str) -> None:
        """An admission or a discharge was cancelled (A11, A13)."""

    def stages_missing_follow_up(self, stages):
        """Of these completed stages (a queryset), those the listener should have acted on and did not.

        A retried import batch finds its stages already completed; what the
        listener returns here is handed to :meth:`stages_completed` again.
        """
        return stages.none()


def register(listener: JourneyListener) -> None:
    """Add a listener (once: registering the same class twice replaces it)."""
    _listeners[:] = [known for known in _listeners if type(known) is not type(listener)]
    _listeners.append(listener)


def listeners() -> tuple[JourneyListener, ...]:
    return tuple(_listeners)
