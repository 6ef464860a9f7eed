"""``manage.py rescore_survey_responses TEMPLATE --user USERNAME [--hospital CODE] [--dry-run]``.

Scores a survey's submitted responses again with its negative rules as they are
now, after someone changed them. Only a user who may change the template can
run it, on the responses of the hospitals they see; audited per hospital.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from px360.core.access import restrict
from px360.surveys.models import SurveyResponse, SurveyTemplate
from px360.surveys.services import survey_responses_rescore


class Command(BaseCommand):
    help = "Score a survey's submitted responses again with its current negative rules."

    def add_arguments(self, parser):
        parser.add_argument("template", help="The survey template's code, e.g. opd-visit.")
        parser.add_argument("--user", required=True, help="Who rescores (scope and audit).")
        parser.add_argument("--hospital", action="append", default=[], help="Only this hospital's (repeatable).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; save nothing.")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(_("No active user %(username)s.") % {"username": options["user"]})
        template = restrict(SurveyTemplate.objects.filter(code=options["template"]), user, "change").first()
        if template is None:
            raise CommandError(
                _("No survey template %(code)s that %(username)s may change.")
                % {"code": options["template"], "username": user.get_username()}
            )
        responses = restrict(SurveyResponse.objects.all(), user)
        if options["hospital"]:
            responses = responses.filter(hospital__code__in=options["hospital"])
            known = set(responses.values_list("hospital__code", flat=True).distinct())
            unknown = sorted(set(options["hospital"]) - known)
            if unknown:
                raise CommandError(
                    _("No responses of %(codes)s that %(username)s may see.")
                    % {"codes": ", ".join(unknown), "username": user.get_username()}
                )
        counts = survey_responses_rescore(
            template=template, responses=responses, actor=user, dry_run=options["dry_run"]
        )
        summary = _(
            "%(rescored)d rescored: %(now)d now negative, %(no_longer)d no longer negative, %(unchanged)d unchanged."
        ) % {
            "rescored": counts["rescored"],
            "now": counts["now_negative"],
            "no_longer": counts["no_longer_negative"],
            "unchanged": counts["unchanged"],
        }
        if options["dry_run"]:
            summary = _("Nothing saved (dry run). %(summary)s") % {"summary": summary}
        self.stdout.write(summary)
