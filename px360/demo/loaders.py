"""The demo data loaders, in dependency order; apps add theirs here."""

from px360.accounts import demo as accounts_demo
from px360.demo.complaints import load_demo_complaints
from px360.integrations import demo as integrations_demo
from px360.journeys import demo as journeys_demo
from px360.journeys.library import load_journey_templates
from px360.organizations import demo as organizations_demo
from px360.surveys import demo as surveys_demo


def demo_loaders():
    return [
        accounts_demo.load_superuser,
        organizations_demo.load_organizations,
        load_journey_templates,
        accounts_demo.load_role_users,
        # After the journey templates (it attaches surveys to their stages) and
        # before the demo encounters (whose completed stages then invite).
        surveys_demo.load_surveys,
        journeys_demo.load_demo_encounters,
        # After the encounters: their invitations are sent and some answered.
        surveys_demo.load_demo_responses,
        integrations_demo.load_demo_his_messages,
        # Last: a half year of complaints, inquiries and compliments about the people, departments,
        # visits and survey answers above.
        load_demo_complaints,
    ]
