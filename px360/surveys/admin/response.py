from django.contrib import admin
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from px360.core.admin.base import PXModelAdmin
from px360.core.admin.importexport import PXImportExportMixin
from px360.core.admin.search import PersonSearchMixin
from px360.journeys.models import Encounter
from px360.organizations.search import patient_match

from ..choices import QuestionType
from ..models import SurveyResponse
from ..resources import SurveyResponseResource
from .extensions import DetailActionsMixin
from .instance import survey_label


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


class SurveyResponseAdmin(DetailActionsMixin, PersonSearchMixin, PXImportExportMixin, PXModelAdmin):
    """Responses, read-only; other apps add buttons to a response's page (``extensions``)."""

    resource_classes = [SurveyResponseResource]
    list_display = (
        "response",
        "template",
        "hospital_name",
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
        ("instance__encounter__department", AutocompleteSelectFilter),
        ("instance__encounter__attending_physician", AutocompleteSelectFilter),
        ("submitted_at", RangeDateTimeFilter),
    )
    list_select_related = ("template", "hospital")
    # Millions of rows: no COUNT(*) (of the list or of a search), no page numbers.
    paginator = InfinitePaginator
    show_full_result_count = False
    # Not used (PersonSearchMixin searches); Django shows the box only when it is set.
    search_fields = ("=instance__encounter__encounter_number",)
    search_help_text = _("MRN, national ID, phone number or encounter number (exact), or part of the patient's name.")
    person_path = "instance__patient"
    person_model = "organizations.Patient"
    person_match = staticmethod(patient_match)
    fieldsets = (
        (None, {"fields": ("template", "version", "hospital", "language", "submitted_at", "attributed_to")}),
        (_("Why negative"), {"fields": ("negative_flag", "why_negative")}),
        (_("Scores"), {"fields": ("mean_score", "top_box_percent", "nps_value", "nps_category")}),
        (_("Answers"), {"fields": ("answers_table", "comments_text")}),
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
        "negative_flag",
        "why_negative",
        "answers_table",
        "comments_text",
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

    def own_search(self, request, term, hospital_ids):
        """The encounter number, exactly, within the user's hospitals (its unique index's order)."""
        encounters = list(
            Encounter.objects.filter(hospital_id__in=hospital_ids, encounter_number=term)
            .order_by()
            .values_list("pk", flat=True)[: self.person_match_limit]
        )
        return Q(instance__encounter__in=encounters) if encounters else None

    @display(description=_("survey response"))
    def response(self, obj):
        return survey_label(obj)

    @display(description=_("hospital"), ordering="hospital__name")
    def hospital_name(self, obj):
        return obj.hospital.name

    @display(description=_("negative"), label={True: "danger", False: "success"})
    def negative_badge(self, obj):
        return obj.is_negative, _("Negative") if obj.is_negative else _("No")

    @display(description=_("comments"))
    def comments_excerpt(self, obj):
        # The patient's own words, in whatever language they wrote: isolated, their direction their own.
        text = obj.comments or ""
        if not text:
            return "-"
        return format_html('<bdi dir="auto">{}</bdi>', text if len(text) <= 120 else text[:117] + "…")

    @display(description=_("comments"))
    def comments_text(self, obj):
        """The free-text answers, in the patient's own language and direction."""
        if not obj.comments:
            return "-"
        return format_html('<bdi dir="auto" class="whitespace-pre-line">{}</bdi>', obj.comments)

    @display(description=_("negative"))
    def negative_flag(self, obj):
        """On the response page: a red label when negative (a green tick would read as good news)."""
        return render_to_string(
            "unfold/helpers/label.html",
            {
                "type": "danger" if obj.is_negative else "success",
                "text": _("Negative") if obj.is_negative else _("Not negative"),
            },
        )

    @display(description=_("why negative"))
    def why_negative(self, obj):
        """The answers that made the response negative, as scored, in the reader's language."""
        if obj.submitted_at is None:
            empty = _("Not submitted yet.")
        elif obj.is_negative:
            empty = _("Scored before the reasons were kept: rescore this survey's responses to list them.")
        else:
            empty = _("Not negative: no answer met this survey's rules.")
        rows = obj.negative_reason_rows((get_language() or "ar")[:2]) if obj.is_negative else []
        return render_to_string("surveys/widgets/negative_reasons.html", {"rows": rows, "empty": empty})

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
            return format_html('<bdi dir="ltr">{} / {}</bdi>', answer.value_number, scale)
        labels = {c["value"]: c.get(language) or c.get("ar") or c["value"] for c in question.get("choices", [])}
        if kind == QuestionType.SINGLE_CHOICE:
            return labels.get(answer.value_text, answer.value_text)
        if kind == QuestionType.MULTIPLE_CHOICE:
            return (
                "، ".join(labels.get(v, v) for v in answer.value_choices)
                if language == "ar"
                else ", ".join(labels.get(v, v) for v in answer.value_choices)
            )
        # The patient's own words, in their own language and direction.
        return format_html('<bdi dir="auto" class="whitespace-pre-line">{}</bdi>', answer.value_text)


admin.site.register(SurveyResponse, SurveyResponseAdmin)
