from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "px360.journeys"
    label = "journeys"
    verbose_name = _("Journeys")

    def ready(self):
        # The patient 360 page's rows of this app (px360.organizations.timeline).
        from .timeline import register_sources

        register_sources()
