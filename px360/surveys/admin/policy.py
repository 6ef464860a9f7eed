from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from px360.core.admin.base import PXModelAdmin

from ..models import GuardianContact, SurveyPolicy


class SurveyPolicyAdmin(PXModelAdmin):
    list_display = (
        "hospital",
        "frequency_days",
        "minimum_age",
        "quiet_hours_start",
        "quiet_hours_end",
        "link_expiry_days",
        "reminder_count",
        "reminder_interval_hours",
        "channel_order",
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
        (_("Negative responses"), {"fields": ("negative_rating_max", "negative_nps_max")}),
    )


class GuardianContactAdmin(PXModelAdmin):
    list_display = ("__str__", "relationship")
    autocomplete_fields = ("patient",)
    search_fields = ("=patient__mrn",)


admin.site.register(SurveyPolicy, SurveyPolicyAdmin)
admin.site.register(GuardianContact, GuardianContactAdmin)
