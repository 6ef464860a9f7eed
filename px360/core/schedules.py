"""Every scheduled job PX360 runs, declared once.

``manage.py setup_schedules`` creates or updates these by name and never
deletes anything else, so running it on every start is safe. Apps add their
jobs to ``SCHEDULES`` as they arrive.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule


@dataclass(frozen=True)
class JobSchedule:
    name: str
    func: str
    schedule_type: str
    minutes: int | None = None
    cron: str | None = None


SCHEDULES = [
    JobSchedule(name="core.heartbeat", func="px360.core.tasks.heartbeat", schedule_type=Schedule.MINUTES, minutes=1),
    JobSchedule(name="surveys.run_due", func="px360.surveys.tasks.run_due", schedule_type=Schedule.MINUTES, minutes=1),
    JobSchedule(
        name="notifications.send_due",
        func="px360.notifications.tasks.send_due",
        schedule_type=Schedule.MINUTES,
        minutes=1,
    ),
    # Queues each user's daily digest once their chosen hour has come; the
    # outbox job above sends it. Every 10 minutes: a digest is at most 10
    # minutes late, and a second run the same day finds it queued already.
    # Fires due SLA escalation steps, each once (set-based; notices wait for working hours).
    JobSchedule(name="sla.sweep", func="px360.sla.tasks.sweep", schedule_type=Schedule.MINUTES, minutes=1),
    # Next year's Saudi holidays as estimated rows on the group calendar (idempotent).
    JobSchedule(
        name="sla.seed_holidays", func="px360.sla.tasks.seed_holidays", schedule_type=Schedule.MINUTES, minutes=1440
    ),
    # Export files past their time are deleted, with their stored parameters.
    JobSchedule(
        name="core.export_cleanup",
        func="px360.core.exports.tasks.export_cleanup",
        schedule_type=Schedule.MINUTES,
        minutes=60,
    ),
    JobSchedule(
        name="notifications.send_digests",
        func="px360.notifications.tasks.send_digests",
        schedule_type=Schedule.MINUTES,
        minutes=10,
    ),
]


@transaction.atomic
def setup_schedules(schedules=None) -> list[tuple[str, bool]]:
    """Create or update each schedule; returns ``(name, created)`` pairs."""
    results = []
    for job in schedules or SCHEDULES:
        defaults = {
            "func": job.func,
            "schedule_type": job.schedule_type,
            "minutes": job.minutes,
            "cron": job.cron,
            "repeats": -1,
        }
        schedule, created = Schedule.objects.get_or_create(
            name=job.name, defaults={**defaults, "next_run": timezone.now()}
        )
        if not created:
            changed = [key for key, value in defaults.items() if getattr(schedule, key) != value]
            if changed:
                for key in changed:
                    setattr(schedule, key, defaults[key])
                schedule.save(update_fields=changed)
        results.append((job.name, created))
    return results
