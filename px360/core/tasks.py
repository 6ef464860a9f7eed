"""Scheduled jobs of the core app (thin: each calls a service)."""

from django.utils import timezone

from .models import JobHeartbeat

QUEUE_HEARTBEAT = "queue"


def heartbeat() -> None:
    """Record that the job cluster is alive; ``/health/`` reads it."""
    JobHeartbeat.objects.update_or_create(name=QUEUE_HEARTBEAT, defaults={"last_run_at": timezone.now()})
