from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data: ``manage.py load_demo`` fills every app with bilingual examples.

    It sits above every other app (it loads them all, in dependency order) and
    has no models of its own.
    """

    name = "px360.demo"
    label = "demo"
    verbose_name = _("Demo data")
