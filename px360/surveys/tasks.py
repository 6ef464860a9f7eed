"""Scheduled jobs of the surveys app (thin: each calls services, each safe to run twice)."""

from px360.notifications.messages import message_texts_batch

from .services import surveys_dispatch_due, surveys_expire, surveys_send_reminders


def run_due() -> dict:
    """Expire old links, invite patients whose send time has come, remind non-responders."""
    expired = surveys_expire()
    with message_texts_batch():  # the message texts are read once for the whole run
        dispatched = surveys_dispatch_due()
        reminded = surveys_send_reminders()
    return {"expired": expired, **dispatched, "reminded": reminded}
