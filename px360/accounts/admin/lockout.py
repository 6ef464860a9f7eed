"""django-axes' failed sign-in records, on Unfold, for superusers only.

Deleting a record lifts the lockout it holds, so it is audited like the
"Lift sign-in lockout" action on users. The records name every username tried,
including ones that are no account (sometimes a mistyped password), from every
hospital's addresses: nobody below a superuser reads them; hospital and PX
Admins lift lockouts from the user list, within their scope and level.
"""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth import get_user_model
from unfold.admin import ModelAdmin

from px360.core.admin.base import SuperuserOnlyAdminMixin
from px360.core.models import AuditAction
from px360.core.services import audit_record

from ..services import username_for_audit

if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(SuperuserOnlyAdminMixin, AxesAccessAttemptAdmin, ModelAdmin):
    superuser_changes = False

    def _audit(self, request, attempt):
        account = get_user_model().objects.filter(username=attempt.username).first()
        audit_record(
            action=AuditAction.LOCKOUT_CLEARED,
            request=request,
            obj=account,
            model=AccessAttempt,
            details={"username": username_for_audit(attempt.username), "attempts": attempt.failures_since_start},
        )

    def delete_model(self, request, obj):
        self._audit(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for attempt in queryset:
            self._audit(request, attempt)
        super().delete_queryset(request, queryset)
