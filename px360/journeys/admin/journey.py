"""Journey templates (configured by PX staff) and running journeys (read-only)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.decorators import display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from px360.core.access import restrict
from px360.core.admin.base import PXModelAdmin, PXTranslatedModelAdmin
from px360.core.admin.bidi import display_object, ltr

from ..engine import IMPORT_REFERENCE
from ..journey_models import (
    STAGE_EVENT_CHOICES,
    JourneyInstance,
    JourneyStageInstance,
    JourneyStageTemplate,
    JourneyStatus,
    JourneyTemplate,
    StageStatus,
)


class StageTemplateForm(forms.ModelForm):
    completes_on = forms.MultipleChoiceField(
        label=_("completed by events"),
        choices=STAGE_EVENT_CHOICES,
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
    )

    class Meta:
        model = JourneyStageTemplate
        fields = (
            "order",
            "code",
            "name_ar",
            "name_en",
            "completes_on",
            "is_required",
            "survey_template",
            "survey_delay_hours",
        )


class StageTemplateInline(TabularInline):
    model = JourneyStageTemplate
    form = StageTemplateForm
    extra = 0
    ordering_field = "order"
    hide_ordering_field = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "survey_template":
            # Which survey a stage sends: the active ones the user may see (their hospital's and the group's).
            surveys = db_field.related_model._default_manager.filter(is_active=True)
            kwargs["queryset"] = restrict(surveys, request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(JourneyTemplate)
class JourneyTemplateAdmin(PXTranslatedModelAdmin):
    """Journey templates, as survey templates: hospitals manage their own, PX Admins the group's.

    A group-wide template (no hospital) is read by every hospital, and only a
    global user may create, change or delete one or its stages; for anyone
    else its page is read-only (the access policy gives them view, not change).
    """

    group_wide_error = _("Choose your hospital: only a PX Admin manages group-wide journey templates.")
    list_display = ("name", "journey_type", "hospital_or_group", "is_active", "stage_count")
    list_filter = (("journey_type", ChoicesDropdownFilter), ("hospital", AutocompleteSelectFilter), "is_active")
    list_select_related = ("hospital",)
    search_fields = ("name_ar", "name_en")
    autocomplete_fields = ("hospital",)
    fields = ("journey_type", "hospital", "name", "is_active")
    inlines = [StageTemplateInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(px_stage_count=Count("stages"))

    @admin.display(description=_("hospital"))
    def hospital_or_group(self, template):
        if template.hospital is None:
            return _("Group default")
        return display_object(template.hospital)

    @admin.display(description=_("stages"))
    def stage_count(self, template):
        return template.px_stage_count


class StageInstanceInline(TabularInline):
    """A journey's stages by name in the reader's language; codes and references stay left to right."""

    model = JourneyStageInstance
    fields = ("order", "stage_name", "status", "completed_at", "event", "reference", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("stage"))
    def stage_name(self, stage):
        return stage.name

    @admin.display(description=_("event"))
    def event(self, stage):
        return ltr(stage.event_type) if stage.event_type else "-"

    @admin.display(description=_("event reference"))
    def reference(self, stage):
        if stage.event_reference == IMPORT_REFERENCE:
            return _("import")
        return ltr(stage.event_reference) if stage.event_reference else "-"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JourneyInstance)
class JourneyInstanceAdmin(PXModelAdmin):
    """Journeys change only through events and imports; here they are read."""

    list_display = ("encounter", "journey_type", "status_badge", "progress", "started_at", "completed_at")
    list_select_related = ("encounter", "template")
    list_filter = (
        ("status", ChoicesDropdownFilter),
        ("journey_type", ChoicesDropdownFilter),
        ("template", AutocompleteSelectFilter),
    )
    search_fields = ("=encounter__encounter_number",)
    readonly_fields = ("encounter", "template", "journey_type", "status", "started_at", "completed_at")
    fields = readonly_fields
    inlines = [StageInstanceInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("stages")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @display(
        description=_("status"),
        label={
            JourneyStatus.ACTIVE: "info",
            JourneyStatus.COMPLETED: "success",
            JourneyStatus.SUPERSEDED: "warning",
            JourneyStatus.CANCELLED: "danger",
        },
    )
    def status_badge(self, journey):
        return journey.status, journey.get_status_display()

    @admin.display(description=_("stages done"))
    def progress(self, journey):
        stages = list(journey.stages.all())
        done = sum(stage.status == StageStatus.COMPLETED for stage in stages)
        return f"{done} / {len(stages)}"
