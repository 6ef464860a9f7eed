from django.contrib import admin, messages
from django.contrib.admin import display as admin_display
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationInlineModelAdmin
from unfold.admin import StackedInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action

from px360.core.access import restrict
from px360.core.admin.base import PXTranslatedModelAdmin

from ..forms import SurveyQuestionForm, SurveyQuestionFormSet, SurveyTemplateForm
from ..models import SurveyQuestion, SurveyResponse, SurveyTemplate
from ..services import survey_responses_rescore


class SurveyQuestionInline(TranslationInlineModelAdmin, StackedInline):
    model = SurveyQuestion
    # The options of a choice question as a table of value, Arabic and English label.
    form = SurveyQuestionForm
    formset = SurveyQuestionFormSet
    extra = 0
    ordering_field = "order"
    hide_ordering_field = True
    fields = (
        "order",
        "code",
        "text",
        "question_type",
        "choices",
        "required",
        "follow_up_of",
        "dimension",
        "is_key",
    )
    _parent = None

    def get_formset(self, request, obj=None, **kwargs):
        request._px360_survey_template = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "follow_up_of":
            parent = getattr(request, "_px360_survey_template", None)
            kwargs["queryset"] = (
                SurveyQuestion.objects.filter(template=parent) if parent else SurveyQuestion.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SurveyTemplateAdmin(PXTranslatedModelAdmin):
    group_wide_error = _("Choose your hospital: only a PX Admin manages group-wide surveys.")
    inlines = [SurveyQuestionInline]
    form = SurveyTemplateForm
    # The name in the reader's language first; the code stays, for data teams.
    list_display = ("name", "code", "kind", "hospital", "is_active", "question_count", "current_version")
    list_display_links = ("name",)
    list_filter = (("kind", ChoicesDropdownFilter), "is_active")
    search_fields = ("code", "name_ar", "name_en")
    list_select_related = ("hospital",)
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "hospital", "is_active")}),
        (_("Texts"), {"fields": ("intro", "thank_you")}),
        (
            _("When is a response negative?"),
            {
                "description": _(
                    "A response is negative when any of these rules is met; the response page then lists the "
                    "answers that met them. A change applies to the responses submitted afterwards: use "
                    "“Rescore responses” in the list to apply it to earlier ones."
                ),
                "fields": (
                    "negative_items",
                    "negative_rating_max",
                    "negative_scale_max",
                    "negative_overall",
                    "overall_questions",
                    "negative_detractor",
                ),
            },
        ),
    )
    radio_fields = {"negative_items": admin.VERTICAL}
    actions = ["rescore_responses"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.annotate(_question_count=Count("questions", distinct=True), _version=Max("versions__number"))

    @admin_display(description=_("questions"))
    def question_count(self, obj):
        return obj._question_count

    @admin_display(description=_("version"))
    def current_version(self, obj):
        return obj._version or "-"

    @action(description=_("Rescore responses with the current negative rules"), permissions=["change"])
    def rescore_responses(self, request, queryset):
        """Bring earlier responses in line after a template's negative rules changed.

        Only templates the user may change, and only the responses of the
        hospitals they see; audited per hospital.
        """
        totals = {"rescored": 0, "now_negative": 0, "no_longer_negative": 0}
        visible = restrict(SurveyResponse.objects.all(), request.user)
        for template in restrict(queryset, request.user, "change"):
            counts = survey_responses_rescore(template=template, responses=visible, request=request)
            for key in totals:
                totals[key] += counts[key]
        self.message_user(
            request,
            ngettext(
                "%(count)d response rescored: %(now)d now negative, %(no_longer)d no longer negative.",
                "%(count)d responses rescored: %(now)d now negative, %(no_longer)d no longer negative.",
                totals["rescored"],
            )
            % {"count": totals["rescored"], "now": totals["now_negative"], "no_longer": totals["no_longer_negative"]},
            messages.SUCCESS,
        )


admin.site.register(SurveyTemplate, SurveyTemplateAdmin)
