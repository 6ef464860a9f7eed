from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "px360.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from px360.journeys.hooks import register

        from .journeys import SurveyInvitations

        # A completed journey stage with a survey invites the patient.
        register(SurveyInvitations())

        from .messages import register_message_kinds

        # What invitations and reminders say, as shipped; hospitals edit them in the admin.
        register_message_kinds()

        from .outbox import register_purposes

        # The outbox keeps survey messages out of quiet hours and falls back to the next channel.
        register_purposes()

        from . import exports  # noqa: F401  (response exports: one column per question)

        # The patient 360 page's rows of this app (px360.organizations.timeline).
        from .timeline import register_sources

        register_sources()
