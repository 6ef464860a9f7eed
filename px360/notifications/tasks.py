"""Scheduled jobs of the notifications app."""

from .services import notifications_send_due, staff_digests_send


def send_due() -> dict:
    """Drain the outbox: claim due messages and send each at most once."""
    return notifications_send_due()


def send_digests() -> dict:
    """Queue today's digest for each user whose digest hour has come (once per user per day)."""
    return staff_digests_send()
