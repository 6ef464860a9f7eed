from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "px360.accounts"
    label = "accounts"
    verbose_name = _("Users and roles")

    def ready(self):
        # Sign-in events come only through django.contrib.auth's signals; there
        # is no service call to hang the audit on, so this is the one place a
        # signal is the right tool.
        from px360.accounts import signals  # noqa: F401
