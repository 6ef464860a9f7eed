"""What the outbox asks of the app a message is for.

The outbox sends, retries and falls back without knowing why a message
exists. The app that queues messages of a purpose (the surveys app for
invitations and reminders) registers a :class:`Purpose` for it in its
``AppConfig.ready()``: whether a queued message is still wanted, when a retry
may go out (quiet hours), and what to do when a channel has failed for good
(try the next channel). A purpose nobody registered gets the defaults: always
wanted, any time, no fallback.
"""

from __future__ import annotations

from datetime import datetime


class Purpose:
    """Override what the purpose needs; the defaults suit a plain message."""

    def still_wanted(self, notification) -> str:
        """Why this queued message should not go out any more ('' when it should)."""
        return ""

    def next_send_time(self, moment: datetime, notification) -> datetime:
        """The first moment at or after ``moment`` the message may be sent (quiet hours)."""
        return moment

    def after_failure(self, notification) -> None:
        """The message failed for good or its channel was refused: e.g. try the next channel."""


_registry: dict[str, Purpose] = {}
_DEFAULT = Purpose()


def register(code: str, purpose: Purpose) -> None:
    _registry[code] = purpose


def purpose_for(code: str) -> Purpose:
    return _registry.get(code, _DEFAULT)
