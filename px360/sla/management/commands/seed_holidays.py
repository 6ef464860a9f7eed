"""``manage.py seed_holidays [--year YEAR] [--hospital CODE]``: Saudi public holidays as estimated rows."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from px360.sla.models import BusinessCalendar
from px360.sla.services import seed_saudi_holidays


class Command(BaseCommand):
    help = "Add a year's Saudi public holidays and Ramadan hours to a calendar, as estimates to confirm."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=date.today().year + 1)
        parser.add_argument("--hospital", help="The hospital's code (default: the group calendar).")

    def handle(self, *args, year, hospital=None, **options):
        calendars = BusinessCalendar.objects.filter(is_active=True)
        calendars = calendars.filter(hospital__code=hospital) if hospital else calendars.filter(hospital__isnull=True)
        calendar = calendars.first()
        if calendar is None:
            raise CommandError("No active calendar found.")
        created = seed_saudi_holidays(calendar, year)
        self.stdout.write(f"{len(created)} rows added to {calendar.name_en or calendar.name} for {year}.")
