"""The demo data loaders, in dependency order; apps add theirs here."""

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

from django.utils import timezone
from django.utils.module_loading import import_string

DEMO_LOADER_PATHS = [
    "px360.accounts.demo.load_superuser",
    "px360.organizations.demo.load_organizations",
    "px360.journeys.library.load_journey_templates",
    "px360.accounts.demo.load_role_users",
    # After the journey templates (it attaches surveys to their stages) and
    # before the demo encounters (whose completed stages then invite).
    "px360.surveys.demo.load_surveys",
    "px360.journeys.demo.load_demo_encounters",
    # After the encounters: their invitations are sent and some answered.
    "px360.surveys.demo.load_demo_responses",
    "px360.integrations.demo.load_demo_his_messages",
]


def demo_loaders():
    return [import_string(path) for path in DEMO_LOADER_PATHS]


def demo_moment():
    """The moment the demo's activity happens: now, or, inside the survey quiet hours,
    the last hour before they began.

    Invitations are never sent in quiet hours, so a demo loaded at night would
    otherwise show no invitation sent and no survey answered. Every timestamp
    stays in the past.
    """
    from px360.organizations.models import Hospital
    from px360.surveys.services import next_allowed_send_time, policy_for

    now = timezone.now()
    hospital = Hospital.objects.filter(code="RYD").first()
    policy = policy_for(hospital)
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
