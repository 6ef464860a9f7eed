from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "px360.core"
    label = "core"
    verbose_name = _("System")

    def ready(self):
        # The admin app has imported every admin module by now (it comes
        # first in INSTALLED_APPS): guard the changelist URLs of all of them.
        from px360.core.admin.lookups import guard_registered_admins

        guard_registered_admins()
