from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from px360.core.models import AuditEvent

# Saudi NCA ECC asks for at least twelve months of logs.
MINIMUM_RETENTION_DAYS = 365


class Command(BaseCommand):
    help = "Delete audit events older than --days (at least 365)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True)

    def handle(self, *args, days, **options):
        if days < MINIMUM_RETENTION_DAYS:
            raise CommandError(f"--days must be at least {MINIMUM_RETENTION_DAYS}: audit logs are kept for a year")
        cutoff = timezone.now() - timedelta(days=days)
        deleted, _ = AuditEvent.objects.filter(occurred_at__lt=cutoff)._prune()
        self.stdout.write(f"Deleted {deleted} audit events older than {days} days.")
