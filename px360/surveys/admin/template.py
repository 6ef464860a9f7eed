from django.contrib import admin
from django.contrib.admin import display as admin_display
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationInlineModelAdmin
from unfold.admin import StackedInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter

from px360.core.admin.base import PXTranslatedModelAdmin

from ..forms import SurveyQuestionForm
from ..models import SurveyQuestion, SurveyTemplate


class SurveyQuestionInline(TranslationInlineModelAdmin, StackedInline):
    model = SurveyQuestion
    # The options of a choice question as a table of value, Arabic and English label.
    form = SurveyQuestionForm
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
    list_display = ("code", "name", "kind", "hospital", "is_active", "question_count", "current_version")
    list_filter = (("kind", ChoicesDropdownFilter), "is_active")
    search_fields = ("code", "name_ar", "name_en")
    list_select_related = ("hospital",)
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "hospital", "is_active")}),
        (_("Texts"), {"fields": ("intro", "thank_you")}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.annotate(_question_count=Count("questions", distinct=True), _version=Max("versions__number"))

    @admin_display(description=_("questions"))
    def question_count(self, obj):
        return obj._question_count

    @admin_display(description=_("version"))
    def current_version(self, obj):
        return obj._version or "-"


admin.site.register(SurveyTemplate, SurveyTemplateAdmin)
