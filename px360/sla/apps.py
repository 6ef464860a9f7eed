from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "px360.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self):
        # The notice kinds this app sends (also found by the notifications app's discovery).
        from . import notices  # noqa: F401
