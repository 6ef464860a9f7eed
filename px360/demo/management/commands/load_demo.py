import os
import secrets
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from px360.demo.loaders import demo_loaders
from px360.surveys.services import next_allowed_send_time, policy_for


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


def demo_moment():
    """The moment the demo's activity happens: now, or, inside the survey quiet hours,
    the last hour before they began.

    Invitations are never sent in quiet hours, so a demo loaded at night would
    otherwise show no invitation sent and no survey answered. Every timestamp
    stays in the past.
    """
    now = timezone.now()
    # The demo hospitals keep the default quiet hours.
    policy = policy_for(None)
    moment = now
    for _hour in range(25):
        if next_allowed_send_time(moment, policy=policy) == moment:
            return moment
        moment -= timedelta(hours=1)
    return now


@contextmanager
def demo_clock(moment):
    """Run the real services as at ``moment`` (an earlier time today or yesterday): the
    clock starts there and runs on, so the order of what happens is kept."""
    real_now = timezone.now
    started = real_now()
    if started - moment < timedelta(minutes=1):
        yield
        return
    with mock.patch("django.utils.timezone.now", side_effect=lambda: moment + (real_now() - started)):
        yield


class Command(BaseCommand):
    help = "Load bilingual demo data (idempotent): hospitals, departments, users for each role, and more."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            self.stderr.write("load_demo refuses to run with PX360_ENV=production.")
            raise SystemExit(2)
        password, generated = demo_password()
        with transaction.atomic(), demo_clock(demo_moment()):
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
