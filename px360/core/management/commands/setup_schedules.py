from django.core.management.base import BaseCommand

from px360.core.schedules import setup_schedules


class Command(BaseCommand):
    help = "Create or update PX360's scheduled jobs (idempotent)."

    def handle(self, *args, **options):
        for name, created in setup_schedules():
            self.stdout.write(f"{'created' if created else 'ok':8} {name}")
