from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.decorators import display

from px360.core.admin.base import PXModelAdmin, ReadOnlyAdminMixin

from ..choices import NotificationStatus
from ..models import Notification

# The body holds the survey link (a credential) and the recipient is personal
# data: the admin shows neither, only a masked recipient.
FIELDS = (
    "hospital",
    "survey_instance",
    "purpose",
    "channel",
    "masked_recipient",
    "language",
    "template_key",
    "status",
    "attempts",
    "next_attempt_at",
    "claimed_at",
    "sent_at",
    "delivered_at",
    "provider_id",
    "error",
    "fallback_from",
)


class NotificationAdmin(ReadOnlyAdminMixin, PXModelAdmin):
    list_display = (
        "__str__",
        "hospital",
        "purpose",
        "channel",
        "status_badge",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "delivered_at",
    )
    list_filter = (
        ("status", ChoicesDropdownFilter),
        ("channel", ChoicesDropdownFilter),
        ("purpose", ChoicesDropdownFilter),
        ("hospital", AutocompleteSelectFilter),
    )
    list_select_related = ("hospital",)
    fields = FIELDS
    readonly_fields = FIELDS
    actions = []

    @display(
        description=_("status"),
        label={
            NotificationStatus.QUEUED: "info",
            NotificationStatus.SENDING: "warning",
            NotificationStatus.SENT: "info",
            NotificationStatus.DELIVERED: "success",
            NotificationStatus.FAILED: "danger",
            NotificationStatus.CANCELLED: "danger",
        },
    )
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("recipient"))
    def masked_recipient(self, obj):
        return obj.masked_recipient


admin.site.register(Notification, NotificationAdmin)
