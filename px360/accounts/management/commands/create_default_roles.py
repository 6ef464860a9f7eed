from django.core.management.base import BaseCommand

from px360.accounts.services import create_default_roles


class Command(BaseCommand):
    help = "Create or update the eight PX360 roles and their permissions (idempotent)."

    def handle(self, *args, **options):
        for role in create_default_roles():
            self.stdout.write(f"{role.level:4} {role.code}")
