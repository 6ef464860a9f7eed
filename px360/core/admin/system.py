"""Third-party admins re-registered on Unfold so their pages match the shell.

django-q2's task admins show pickled arguments: tasks are passed ids only,
never patient data, so nothing sensitive appears here.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group
from django_q import admin as q_admin
from django_q import models as q_models
from unfold.admin import ModelAdmin
from unfold.forms import (
    AdminPasswordChangeForm,  # noqa: F401  (re-exported for the user admin)
)

from px360.core.admin.base import SuperuserOnlyAdminMixin

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SuperuserOnlyAdminMixin, BaseGroupAdmin, ModelAdmin):
    """Groups carry the roles' permissions: only superusers read or change them.

    Whoever could edit a group could give their own role any permission, so no
    model permission or role opens this page to anyone else.
    """

    search_fields = ("name",)


for model, base in (
    (q_models.Schedule, q_admin.ScheduleAdmin),
    (q_models.Success, q_admin.TaskAdmin),
    (q_models.Failure, q_admin.FailAdmin),
    (q_models.OrmQ, q_admin.QueueAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(f"Unfold{base.__name__}", (base, ModelAdmin), {}))
