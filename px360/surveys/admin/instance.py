from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.decorators import action, display

from px360.core.access import restrict
from px360.core.admin.base import PXModelAdmin

from ..choices import SurveyStatus
from ..models import SurveyInstance, SurveySuppression
from ..selectors import FUNNEL_STEPS, funnel
from ..services import surveys_cancel

# The link id is a credential: it is never shown, not even to staff.
INSTANCE_FIELDS = (
    "template",
    "version",
    "hospital",
    "patient",
    "encounter",
    "journey_stage",
    "journey_type",
    "language",
    "to_guardian",
    "status",
    "suppression_reason",
    "suppression_detail",
    "channel",
    "triggered_at",
    "scheduled_at",
    "invited_at",
    "opened_at",
    "completed_at",
    "expires_at",
    "reminders_sent",
    "cancelled_at",
    "cancel_reason",
)


class SurveyInstanceAdmin(PXModelAdmin):
    list_display = (
        "__str__",
        "template",
        "hospital",
        "journey_type",
        "status_badge",
        "channel",
        "scheduled_at",
        "invited_at",
        "opened_at",
        "completed_at",
    )
    list_filter = (
        ("status", ChoicesDropdownFilter),
        ("template", AutocompleteSelectFilter),
        ("hospital", AutocompleteSelectFilter),
        ("journey_type", ChoicesDropdownFilter),
    )
    list_select_related = ("template", "hospital")
    search_fields = ("=encounter__encounter_number",)
    fields = INSTANCE_FIELDS
    readonly_fields = INSTANCE_FIELDS
    list_before_template = "surveys/admin/funnel_link.html"
    actions = ["cancel_selected"]

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        return [
            path(
                "funnel/",
                self.admin_site.admin_view(self.funnel_view),
                name="surveys_surveyinstance_funnel",
            ),
            *super().get_urls(),
        ]

    def funnel_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = self.get_queryset(request)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Survey funnel"),
            "opts": self.opts,
            "steps": FUNNEL_STEPS,
            "by_template": funnel(queryset, "template"),
            "by_hospital": funnel(queryset, "hospital"),
            "changelist_url": reverse("admin:surveys_surveyinstance_changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "surveys/admin/funnel.html", context)

    @display(
        description=_("status"),
        label={
            SurveyStatus.SCHEDULED: "info",
            SurveyStatus.INVITED: "info",
            SurveyStatus.OPENED: "warning",
            SurveyStatus.COMPLETED: "success",
            SurveyStatus.SUPPRESSED: "danger",
            SurveyStatus.EXPIRED: "danger",
            SurveyStatus.CANCELLED: "danger",
        },
    )
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @action(description=_("Cancel selected invitations not yet answered"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        cancelled = surveys_cancel(
            instances=restrict(queryset, request.user, "change"),
            reason=f"cancelled by {request.user.get_username()}",
        )
        self.message_user(
            request,
            ngettext("%(count)d invitation cancelled.", "%(count)d invitations cancelled.", cancelled)
            % {"count": cancelled},
            messages.SUCCESS,
        )


class SurveySuppressionAdmin(PXModelAdmin):
    """Every invitation a contact rule stopped, with its reason."""

    list_display = (
        "__str__",
        "template",
        "hospital",
        "journey_type",
        "suppression_reason",
        "suppression_detail",
        "triggered_at",
    )
    list_filter = (("suppression_reason", ChoicesDropdownFilter), ("hospital", AutocompleteSelectFilter))
    list_select_related = ("template", "hospital")
    fields = INSTANCE_FIELDS
    readonly_fields = INSTANCE_FIELDS
    actions = []

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=SurveyStatus.SUPPRESSED)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(SurveyInstance, SurveyInstanceAdmin)
admin.site.register(SurveySuppression, SurveySuppressionAdmin)
