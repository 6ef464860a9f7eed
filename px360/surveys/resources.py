"""Export of survey responses (no import: answers come only from patients)."""

from django.utils import timezone
from import_export import fields

from px360.core.resources import PXResource

from .models import SurveyResponse


class SurveyResponseResource(PXResource):
    """One row per response: scores and the answers by question code, no patient identifiers."""

    response_id = fields.Field(attribute="pk", column_name="response_id")
    hospital_code = fields.Field(attribute="hospital__code", column_name="hospital_code")
    template_code = fields.Field(attribute="template__code", column_name="template_code")
    version = fields.Field(attribute="version__number", column_name="version")
    encounter_number = fields.Field(attribute="instance__encounter__encounter_number", column_name="encounter_number")
    journey_type = fields.Field(attribute="instance__journey_type", column_name="journey_type")
    language = fields.Field(attribute="language", column_name="language")
    submitted_at = fields.Field(column_name="submitted_at")
    attributed_to = fields.Field(attribute="attributed_to", column_name="attributed_to")
    mean_score = fields.Field(attribute="mean_score", column_name="mean_score")
    top_box_percent = fields.Field(attribute="top_box_percent", column_name="top_box_percent")
    nps_value = fields.Field(attribute="nps_value", column_name="nps_value")
    nps_category = fields.Field(attribute="nps_category", column_name="nps_category")
    is_negative = fields.Field(attribute="is_negative", column_name="is_negative")
    negative_reasons = fields.Field(column_name="negative_reasons")
    comments = fields.Field(attribute="comments", column_name="comments")
    answers = fields.Field(column_name="answers")

    class Meta:
        model = SurveyResponse
        fields = (
            "response_id",
            "hospital_code",
            "template_code",
            "version",
            "encounter_number",
            "journey_type",
            "language",
            "submitted_at",
            "attributed_to",
            "mean_score",
            "top_box_percent",
            "nps_value",
            "nps_category",
            "is_negative",
            "negative_reasons",
            "comments",
            "answers",
        )
        export_order = fields

    def dehydrate_submitted_at(self, response):
        return timezone.localtime(response.submitted_at).isoformat(timespec="minutes") if response.submitted_at else ""

    def dehydrate_answers(self, response):
        parts = []
        for answer in response.answers.all():
            if answer.value_number is not None:
                value = str(answer.value_number)
            elif answer.value_choices:
                value = ",".join(answer.value_choices)
            else:
                value = answer.value_text.replace("\n", " ")
            parts.append(f"{answer.question_code}={value}")
        return "; ".join(parts)

    def dehydrate_negative_reasons(self, response):
        """The answers that made it negative, as codes: ``question=value (rule)``, ``; ``-separated."""
        return "; ".join(
            f"{reason.get('question')}={reason.get('value')} ({reason.get('rule')})"
            for reason in response.negative_reasons or []
        )
