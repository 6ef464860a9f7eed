from django.core.management.base import BaseCommand

from px360.surveys.library import load_library


class Command(BaseCommand):
    help = "Load the bilingual survey instrument library (idempotent; never overwrites edits)."

    def handle(self, *args, **options):
        counts = load_library()
        self.stdout.write(f"Survey library: {counts['templates']} new templates, {counts['questions']} new questions.")
