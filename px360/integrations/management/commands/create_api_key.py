from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from px360.integrations.models import IntegrationSource
from px360.integrations.services import api_key_create
from px360.organizations.models import Hospital


class Command(BaseCommand):
    help = "Create an integration source if needed and print a new API key for it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="source code, e.g. his-main")
        parser.add_argument("--hospitals", required=True, help="comma-separated hospital codes the key may send for")
        parser.add_argument("--name", default="", help="display name for a new source")

    @transaction.atomic
    def handle(self, *args, source, hospitals, name, **options):
        codes = [code.strip() for code in hospitals.split(",") if code.strip()]
        found = list(Hospital.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {hospital.code for hospital in found})
        if missing:
            raise CommandError(f"Unknown hospital codes: {', '.join(missing)}")
        integration, created = IntegrationSource.objects.get_or_create(code=source, defaults={"name": name or source})
        integration.hospitals.add(*found)
        _api_key, key = api_key_create(source=integration)
        if created:
            self.stderr.write(f"Created source {source}.")
        self.stderr.write(f"Hospitals: {', '.join(sorted(h.code for h in integration.hospitals.all()))}")
        self.stderr.write("The key is shown once; store it in the sending system now:")
        self.stdout.write(key)
