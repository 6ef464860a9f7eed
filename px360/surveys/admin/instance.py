from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    ChoicesDropdownFilter,
    MultipleChoicesDropdownFilter,
    RangeDateTimeFilter,
)
from unfold.decorators import action, display
from unfold.paginator import InfinitePaginator

from px360.core.access import restrict
from px360.core.admin.base import PXModelAdmin
from px360.core.admin.bidi import ltr
from px360.core.admin.search import PersonSearchMixin
from px360.journeys.choices import EncounterType
from px360.journeys.models import Encounter
from px360.notifications.choices import CANCELLED_BY, cancel_reason_text
from px360.organizations.models import Hospital
from px360.organizations.search import patient_match

from ..choices import SurveyStatus
from ..models import SurveyInstance, SurveySuppression, SurveyTemplate
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
    "journey_type_label",
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
    "cancellation_reason",
)


class JourneyTypeFilter(admin.SimpleListFilter):
    """The journey an invitation came from, by its name (the column stores the code)."""

    title = _("journey type")
    parameter_name = "journey_type"

    def lookups(self, request, model_admin):
        return EncounterType.choices

    def queryset(self, request, queryset):
        if self.value() in EncounterType.values:
            return queryset.filter(journey_type=self.value())
        return queryset


class InvitationListMixin(PersonSearchMixin):
    """What both invitation lists share: the patient search and names instead of codes."""

    # Millions of rows: no COUNT(*) (of the list or of a search), no page numbers.
    paginator = InfinitePaginator
    show_full_result_count = False
    list_select_related = ("template", "hospital")
    # Not used (PersonSearchMixin searches); Django shows the box only when it is set.
    search_fields = ("=encounter__encounter_number",)
    search_help_text = _("MRN, national ID, phone number or encounter number (exact), or part of the patient's name.")
    person_path = "patient"
    person_model = "organizations.Patient"
    person_match = staticmethod(patient_match)

    def own_search(self, request, term, hospital_ids):
        """The encounter number, exactly, within the user's hospitals (its unique index's order)."""
        encounters = list(
            Encounter.objects.filter(hospital_id__in=hospital_ids, encounter_number=term)
            .order_by()
            .values_list("pk", flat=True)[: self.person_match_limit]
        )
        return Q(encounter__in=encounters) if encounters else None

    @display(description=_("survey invitation"))
    def invitation(self, obj):
        # The template's name, and the start of the id that tells invitations apart, isolated.
        return survey_label(obj)

    @display(description=_("hospital"), ordering="hospital__name")
    def hospital_name(self, obj):
        return obj.hospital.name

    @display(description=_("cancellation reason"))
    def cancellation_reason(self, obj):
        """Why the invitation was cancelled, in the reader's words (stored as a code)."""
        if not obj.cancel_reason:
            return "-"
        words = cancel_reason_text(obj.cancel_reason)
        return words if words is not None else format_html('<bdi dir="auto">{}</bdi>', obj.cancel_reason)

    @display(description=_("journey type"), ordering="journey_type")
    def journey_type_label(self, obj):
        return _journey_type_name(obj.journey_type)


def survey_label(obj) -> str:
    """An invitation or a response in a list: its template's name and its short id, left to right."""
    template = obj.template.name if obj.template_id else "-"
    return format_html("{} · {}", template, ltr(str(obj.pk)[:8]))


def _journey_type_name(code: str) -> str:
    """The journey type's name in the active language (an unknown code as it is)."""
    if not code:
        return "-"
    try:
        return EncounterType(code).label
    except ValueError:
        return code


class SurveyInstanceAdmin(InvitationListMixin, PXModelAdmin):
    list_display = (
        "invitation",
        "template",
        "hospital_name",
        "journey_type_label",
        "status_badge",
        "channel",
        "scheduled_at",
        "invited_at",
        "opened_at",
        "completed_at",
    )
    list_filter = (
        # Several statuses at once: "awaiting an answer" is invited or opened.
        ("status", MultipleChoicesDropdownFilter),
        ("template", AutocompleteSelectFilter),
        ("hospital", AutocompleteSelectFilter),
        ("encounter__department", AutocompleteSelectFilter),
        ("encounter__attending_physician", AutocompleteSelectFilter),
        JourneyTypeFilter,
        ("invited_at", RangeDateTimeFilter),
    )
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
            "by_template": _named(funnel(queryset, "template"), SurveyTemplate),
            "by_hospital": _named(funnel(queryset, "hospital"), Hospital),
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
            reason=f"{CANCELLED_BY}{request.user.get_username()}",
        )
        self.message_user(
            request,
            ngettext("%(count)d invitation cancelled.", "%(count)d invitations cancelled.", cancelled)
            % {"count": cancelled},
            messages.SUCCESS,
        )


class SurveySuppressionAdmin(InvitationListMixin, PXModelAdmin):
    """Every invitation a contact rule stopped, with its reason."""

    list_display = (
        "invitation",
        "template",
        "hospital_name",
        "journey_type_label",
        "suppression_reason",
        "suppression_detail",
        "triggered_at",
    )
    list_filter = (
        ("suppression_reason", ChoicesDropdownFilter),
        ("hospital", AutocompleteSelectFilter),
        ("encounter__department", AutocompleteSelectFilter),
        ("encounter__attending_physician", AutocompleteSelectFilter),
        JourneyTypeFilter,
        ("triggered_at", RangeDateTimeFilter),
    )
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


def _named(rows: list[dict], model) -> list[dict]:
    """Funnel rows labelled with the template's or hospital's name in the active language, not its code."""
    manager = getattr(model, "all_objects", None) or model._default_manager
    objects = manager.in_bulk([row["id"] for row in rows])
    for row in rows:
        row["code"] = row["label"]
        obj = objects.get(row["id"])
        if obj is not None:
            row["label"] = obj.name or row["code"]
    return rows


admin.site.register(SurveyInstance, SurveyInstanceAdmin)
admin.site.register(SurveySuppression, SurveySuppressionAdmin)
