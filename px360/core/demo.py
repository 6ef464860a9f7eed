"""The demo data loaders, in dependency order; apps add theirs here."""

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
