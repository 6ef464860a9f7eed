"""``manage.py import_encounters FILE --user USERNAME [--dry-run] [--valid-rows-only] [--language ar|en]``.

The same checks and writes as the admin import. Exit code 0 only when the file
was imported (or, with --dry-run, when it has no problems). Problems are
stored as codes and printed in ``--language`` (else the active language),
whoever checked the file.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from px360.journeys.choices import ImportMode, JobStatus
from px360.journeys.importer.report import worded_problems
from px360.journeys.services import encounter_import


class Command(BaseCommand):
    help = "Import an HIS encounter file (XLSX or CSV)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="The importing user (scope and history).")
        parser.add_argument("--dry-run", action="store_true", help="Check the file; save nothing.")
        parser.add_argument("--valid-rows-only", action="store_true", help="Save the valid rows, reject the rest.")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="The language of the messages and problems (default: the active language, LANGUAGE_CODE).",
        )

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if not options.get("language"):
            return self._import(user, options)
        with translation.override(options["language"]):
            return self._import(user, options)

    def _import(self, user, options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        if user is None:
            raise CommandError(_("No active user %(username)s.") % {"username": options["user"]})
        mode = ImportMode.VALID_ROWS if options["valid_rows_only"] else ImportMode.ALL_OR_NOTHING
        try:
            with path.open("rb") as handle:
                job = encounter_import(
                    file=File(handle, name=path.name), user=user, mode=mode, dry_run=options["dry_run"], name=path.name
                )
        except (PermissionDenied, ValidationError) as error:
            raise CommandError(str(error)) from None
        for row, column, reason in worded_problems(job.errors):
            self.stderr.write(
                _("row %(row)s, %(column)s: %(reason)s") % {"row": row, "column": column, "reason": reason}
            )
        if job.error_count > len(job.errors):
            self.stderr.write(_("…and %(count)d more problems.") % {"count": job.error_count - len(job.errors)})
        summary = _("%(new)d new, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected") % {
            "new": job.new_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "rejected": job.rejected_count,
        }
        if job.status == JobStatus.FAILED:
            raise CommandError(job.get_failure_display())
        if options["dry_run"]:
            self.stdout.write(_("Checked (nothing saved): %(summary)s") % {"summary": summary})
            if job.rejected_count:
                raise CommandError(_("The file has problems."))
            return
        if job.status != JobStatus.DONE:
            raise CommandError(_("Nothing was imported: %(summary)s") % {"summary": summary})
        self.stdout.write(_("Imported: %(summary)s") % {"summary": summary})
