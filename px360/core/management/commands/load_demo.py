import os
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from px360.core.demo import DEMO_LOADERS


class Command(BaseCommand):
    help = "Load bilingual demo data (idempotent): hospitals, departments, users for each role, and more."

    def handle(self, *args, **options):
        password = os.environ.get("PX360_DEMO_PASSWORD")
        generated = False
        if not password:
            password = secrets.token_urlsafe(12)
            generated = True
        with transaction.atomic():
            created_users = []
            for loader in DEMO_LOADERS:
                created_users += loader(password=password) or []
        if created_users:
            self.stdout.write("Demo users (same password for all):")
            for username in created_users:
                self.stdout.write(f"  {username}")
            if generated:
                self.stdout.write(self.style.WARNING(f"Generated password, shown once: {password}"))
        else:
            self.stdout.write("Demo data already loaded; nothing new created.")
