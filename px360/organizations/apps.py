from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "px360.organizations"
    label = "organizations"
    verbose_name = _("Organization")

    def ready(self):
        from px360.core.access import register_department_tree

        from .selectors import department_subtree_ids

        register_department_tree(department_subtree_ids)
