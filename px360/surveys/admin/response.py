from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.decorators import display

from px360.core.admin.base import PXModelAdmin
from px360.core.admin.importexport import PXImportExportMixin

from ..choices import QuestionType
from ..models import SurveyResponse
from ..resources import SurveyResponseResource


class NegativeFilter(admin.SimpleListFilter):
    """The responses the PX Action Center picks up."""

    title = _("negative responses")
    parameter_name = "negative"

    def lookups(self, request, model_admin):
        return [("yes", _("Negative only")), ("no", _("Not negative"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_negative=True)
        if self.value() == "no":
            return queryset.filter(is_negative=False)
        return queryset


class SubmittedFilter(admin.SimpleListFilter):
    title = _("submitted")
    parameter_name = "submitted"

    def lookups(self, request, model_admin):
        return [("yes", _("Submitted")), ("no", _("Saved, not submitted"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(submitted_at__isnull=self.value() == "no")
        return queryset


class SurveyResponseAdmin(PXImportExportMixin, PXModelAdmin):
    resource_classes = [SurveyResponseResource]
    list_display = (
        "__str__",
        "template",
        "hospital",
        "submitted_at",
        "mean_score",
        "top_box_percent",
        "nps_value",
        "negative_badge",
        "comments_excerpt",
    )
    list_filter = (
        NegativeFilter,
        SubmittedFilter,
        ("template", AutocompleteSelectFilter),
        ("hospital", AutocompleteSelectFilter),
        ("nps_category", ChoicesDropdownFilter),
    )
    list_select_related = ("template", "hospital")
    fieldsets = (
        (None, {"fields": ("template", "version", "hospital", "language", "submitted_at", "attributed_to")}),
        (_("Scores"), {"fields": ("mean_score", "top_box_percent", "nps_value", "nps_category", "is_negative")}),
        (_("Answers"), {"fields": ("answers_table", "comments")}),
    )
    readonly_fields = (
        "template",
        "version",
        "hospital",
        "language",
        "submitted_at",
        "attributed_to",
        "mean_score",
        "top_box_percent",
        "nps_value",
        "nps_category",
        "is_negative",
        "answers_table",
        "comments",
    )

    def has_add_permission(self, request):
        return False

    def has_import_permission(self, request):
        return False  # answers come from patients only

    def get_export_queryset(self, request):
        return (
            super()
            .get_export_queryset(request)
            .select_related("hospital", "template", "version", "instance__encounter")
            .prefetch_related("answers")
        )

    @display(description=_("negative"), label={True: "danger", False: "success"})
    def negative_badge(self, obj):
        return obj.is_negative, _("Negative") if obj.is_negative else _("No")

    @display(description=_("comments"))
    def comments_excerpt(self, obj):
        text = obj.comments or ""
        return text if len(text) <= 120 else text[:117] + "…"

    @display(description=_("answers"))
    def answers_table(self, obj):
        """Question by question, in the language the admin is using."""
        language = (get_language() or "ar")[:2]
        answers = {answer.question_code: answer for answer in obj.answers.all()}
        rows = []
        for question in obj.version.questions():
            answer = answers.get(question["code"])
            if answer is None:
                continue
            text = question.get(f"text_{language}") or question.get("text_ar") or question["code"]
            rows.append((text, self._answer_text(question, answer, language)))
        if not rows:
            return "-"
        body = format_html_join(
            "", "<tr><th scope='row' class='p-2 text-start align-top'>{}</th><td class='p-2'>{}</td></tr>", rows
        )
        return format_html("<table class='w-full text-sm'><tbody>{}</tbody></table>", body)

    @staticmethod
    def _answer_text(question, answer, language) -> str:
        kind = question["type"]
        if kind == QuestionType.YES_NO:
            return str(_("Yes") if answer.value_number == 1 else _("No"))
        if kind in (QuestionType.RATING, QuestionType.NPS):
            scale = "5" if kind == QuestionType.RATING else "10"
            return f"{answer.value_number} / {scale}"
        labels = {c["value"]: c.get(language) or c.get("ar") or c["value"] for c in question.get("choices", [])}
        if kind == QuestionType.SINGLE_CHOICE:
            return labels.get(answer.value_text, answer.value_text)
        if kind == QuestionType.MULTIPLE_CHOICE:
            return (
                "، ".join(labels.get(v, v) for v in answer.value_choices)
                if language == "ar"
                else ", ".join(labels.get(v, v) for v in answer.value_choices)
            )
        return answer.value_text


admin.site.register(SurveyResponse, SurveyResponseAdmin)
