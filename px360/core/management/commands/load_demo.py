import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from px360.core.demo import demo_loaders


def demo_password() -> tuple[str, bool]:
    """``PX360_DEMO_PASSWORD``, else one generated on the first run and kept in var/."""
    password = os.environ.get("PX360_DEMO_PASSWORD")
    if password:
        return password, False
    path = settings.VAR_DIR / "demo_password"
    if path.exists():
        return path.read_text().strip(), False
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password, True


class Command(BaseCommand):
    help = "Load bilingual demo data (idempotent): hospitals, departments, users for each role, and more."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            self.stderr.write("load_demo refuses to run with PX360_ENV=production.")
            raise SystemExit(2)
        password, generated = demo_password()
        with transaction.atomic():
            created_users = []
            for loader in demo_loaders():
                created_users += loader(password=password) or []
        if created_users:
            self.stdout.write(f"Created demo users: {', '.join(created_users)}")
            if generated:
                self.stdout.write(
                    self.style.WARNING(f"Demo password (shown once, kept in var/demo_password): {password}")
                )
        else:
            self.stdout.write("Demo data already loaded; nothing new created.")
