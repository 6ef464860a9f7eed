"""The export columns of survey responses: the scores, then one column per question.

Registered with the core export service (:func:`register`, called on start),
so ``core`` never imports this app. A response list spanning several
templates or versions gets the union of their questions, in the order they
were asked; a response that was not asked a question leaves its cell empty.

Cells are typed like every export's: ratings and likelihood-to-recommend are
numbers, yes/no questions are words in the reader's language, choices are
the options' labels in that language (several joined), free text is text.
The answers of a chunk of responses are read in one query per chunk.
"""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from px360.core.exports.columns import Column, field_column, register_columns, yes_no

from .choices import QuestionType
from .models import SurveyAnswer, SurveyTemplateVersion

_NUMBER_TYPES = (QuestionType.RATING, QuestionType.NPS)


def _language() -> str:
    language = (get_language() or "ar")[:2]
    return language if language in ("ar", "en") else "ar"


def _translated(path: str, header: str) -> Column:
    """A translated name (``<path>_ar`` / ``<path>_en``) in the reader's language, falling back to the other."""
    language = _language()
    other = "en" if language == "ar" else "ar"
    return Column(
        header, (f"{path}_{language}", f"{path}_{other}"), lambda mine, theirs: mine or theirs or None, width=28
    )


def questions_of(queryset) -> list[dict]:
    """The questions of every version the responses answered, once each by code, in the order asked."""
    version_ids = queryset.order_by().values("version_id").distinct()
    versions = SurveyTemplateVersion.objects.filter(pk__in=version_ids).order_by("template__code", "-number")
    seen: dict[str, dict] = {}
    for version in versions:
        for question in sorted(version.questions(), key=lambda q: (q.get("order", 0), q["code"])):
            # The newest version's wording wins (versions come newest first).
            seen.setdefault(question["code"], question)
    return list(seen.values())


def response_columns(model, *, user, queryset, request=None) -> list[Column]:
    language = _language()
    columns = [
        _translated("template__name", _("Survey")),
        field_column(model, "version__number", user=user, header=_("Version")),
        _translated("hospital__name", _("Hospital")),
        field_column(model, "instance__encounter__encounter_number", user=user, header=_("Encounter number")),
        field_column(model, "instance__journey_type", user=user, header=_("Journey type")),
        field_column(model, "language", user=user),
        field_column(model, "submitted_at", user=user),
        field_column(model, "attributed_to", user=user),
        field_column(model, "mean_score", user=user),
        field_column(model, "top_box_percent", user=user),
        field_column(model, "nps_value", user=user),
        field_column(model, "nps_category", user=user),
        field_column(model, "is_negative", user=user),
        field_column(model, "comments", user=user),
    ]
    questions = questions_of(queryset)
    answers: dict = {}

    def prepare(chunk, pk_index):
        answers.clear()
        rows = SurveyAnswer.objects.filter(response_id__in=[row[pk_index] for row in chunk]).values_list(
            "response_id", "question_code", "value_number", "value_text", "value_choices"
        )
        for response_id, code, number, text, choices in rows:
            answers[(response_id, code)] = (number, text, choices)

    words = yes_no()
    for question in questions:
        code = question["code"]
        header = question.get(f"text_{language}") or question.get("text_ar") or code
        labels = {
            choice["value"]: choice.get(language) or choice.get("ar") or choice["value"]
            for choice in question.get("choices") or []
        }
        columns.append(
            Column(
                header,
                ("pk",),
                _answer_reader(answers, code, question["type"], labels, words, language),
                prepare=prepare,
                width=14 if question["type"] in (*_NUMBER_TYPES, QuestionType.YES_NO) else 30,
            )
        )
    return columns


def _answer_reader(answers, code, kind, labels, words, language):
    separator = "، " if language == "ar" else ", "

    def read(pk):
        answer = answers.get((pk, code))
        if answer is None:
            return None
        number, text, choices = answer
        if kind in _NUMBER_TYPES:
            return number
        if kind == QuestionType.YES_NO:
            return None if number is None else words[number == 1]
        if kind == QuestionType.SINGLE_CHOICE:
            return labels.get(text, text) or None
        if kind == QuestionType.MULTIPLE_CHOICE:
            return separator.join(labels.get(value, value) for value in choices or []) or None
        return text or None

    return read


def register() -> None:
    """Name the response columns to the export service (``SurveysConfig.ready``)."""
    register_columns("surveys.surveyresponse", response_columns)


register()
