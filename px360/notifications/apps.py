from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "px360.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # The patient 360 page's rows of this app (px360.organizations.timeline).
        from .timeline import register_sources

        register_sources()
