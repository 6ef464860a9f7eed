from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "px360.complaints"
    label = "complaints"
    verbose_name = _("Complaints and feedback")

    def ready(self):
        from . import notices  # noqa: F401  (the staff notice kinds this app sends)
        from .messages import register_texts
        from .outbox import register_purposes
        from .sla import register_kinds

        register_kinds()
        register_texts()
        register_purposes()
        from .closing_loop import register_closing_loop
        from .from_survey import register_survey_actions

        register_closing_loop()  # closing sends the resolution survey; its score may reopen
        register_survey_actions()  # "Raise a complaint" on a survey response
