from django.contrib import admin
from django.contrib.admin import display as admin_display
from django.utils.translation import gettext_lazy as _

from px360.core.access import restrict
from px360.core.admin.base import PXModelAdmin
from px360.core.choices import Channel
from px360.organizations.models import Department

from ..forms import SurveyPolicyForm
from ..models import GuardianContact, SurveyPolicy


class SurveyPolicyAdmin(PXModelAdmin):
    # Channels, departments and quiet hours as fields; the same JSON is stored.
    form = SurveyPolicyForm
    list_display = (
        "hospital",
        "frequency_days",
        "minimum_age",
        "quiet_hours_start",
        "quiet_hours_end",
        "link_expiry_days",
        "reminder_count",
        "reminder_interval_hours",
        "channels",
    )
    list_select_related = ("hospital",)
    fieldsets = (
        (None, {"fields": ("hospital",)}),
        (
            _("Who is surveyed"),
            {
                "fields": (
                    "frequency_days",
                    "maximum_visit_age_days",
                    "minimum_age",
                    "survey_guardian",
                    "excluded_department_codes",
                )
            },
        ),
        (
            _("When and how"),
            {
                "fields": (
                    "quiet_hours_start",
                    "quiet_hours_end",
                    "channel_order",
                    "link_expiry_days",
                    "reminder_count",
                    "reminder_interval_hours",
                )
            },
        ),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.departments = restrict(Department.objects.all(), request.user)
        return form

    @admin_display(description=_("channel order"))
    def channels(self, obj):
        labels = dict(Channel.choices)
        return " → ".join(str(labels.get(channel, channel)) for channel in obj.channel_order or [])


class GuardianContactAdmin(PXModelAdmin):
    list_display = ("__str__", "relationship")
    autocomplete_fields = ("patient",)
    search_fields = ("=patient__mrn",)


admin.site.register(SurveyPolicy, SurveyPolicyAdmin)
admin.site.register(GuardianContact, GuardianContactAdmin)
