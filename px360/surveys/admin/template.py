from django import forms
from django.contrib import admin
from django.contrib.admin import display as admin_display
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationInlineModelAdmin
from unfold.admin import StackedInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter

from px360.core.access import user_is_global
from px360.core.admin.base import PXTranslatedModelAdmin

from ..forms import SurveyQuestionForm
from ..models import SurveyQuestion, SurveyTemplate
from ..selectors import survey_templates_for


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


class SurveyTemplateForm(forms.ModelForm):
    request = None

    def clean_hospital(self):
        hospital = self.cleaned_data.get("hospital")
        if hospital is None and self.request is not None and not user_is_global(self.request.user):
            raise forms.ValidationError(_("Choose your hospital: only a PX Admin manages group-wide surveys."))
        return hospital


class SurveyTemplateAdmin(PXTranslatedModelAdmin):
    form = SurveyTemplateForm
    inlines = [SurveyQuestionInline]
    list_display = ("code", "name", "kind", "hospital", "is_active", "question_count", "current_version")
    list_filter = (("kind", ChoicesDropdownFilter), "is_active")
    search_fields = ("code", "name_ar", "name_en")
    list_select_related = ("hospital",)
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "hospital", "is_active")}),
        (_("Texts"), {"fields": ("intro", "thank_you")}),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not user_is_global(request.user):
            # Group-wide instruments are readable by every hospital (see the selector).
            visible = survey_templates_for(request.user, "view").values("pk")
            queryset = self.model.objects.filter(pk__in=visible).order_by(*(self.get_ordering(request) or ["code"]))
        return queryset.annotate(_question_count=Count("questions", distinct=True), _version=Max("versions__number"))

    def _group_wide_for_outsider(self, request, obj) -> bool:
        return obj is not None and obj.hospital_id is None and not user_is_global(request.user)

    def has_view_permission(self, request, obj=None):
        if self._group_wide_for_outsider(request, obj):
            return super().has_view_permission(request, None)
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if self._group_wide_for_outsider(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._group_wide_for_outsider(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin_display(description=_("questions"))
    def question_count(self, obj):
        return obj._question_count

    @admin_display(description=_("version"))
    def current_version(self, obj):
        return obj._version or "-"


admin.site.register(SurveyTemplate, SurveyTemplateAdmin)
