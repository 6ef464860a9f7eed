from django.core.management.base import BaseCommand

from px360.journeys.library import load_journey_templates


class Command(BaseCommand):
    help = "Create the shipped group-wide journey templates (OPD, inpatient, EMS) that do not exist yet."

    def handle(self, *args, **options):
        load_journey_templates()
        self.stdout.write("Journey templates loaded.")
