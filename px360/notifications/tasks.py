"""Scheduled jobs of the notifications app."""

from .services import notifications_send_due


def send_due() -> dict:
    """Drain the outbox: claim due messages and send each at most once."""
    return notifications_send_due()
