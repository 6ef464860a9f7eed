"""Translated fields and history registration for surveys (history after translation, trap 1)."""

from modeltranslation.translator import TranslationOptions, register
from simple_history import register as register_history

from px360.core.history import history_user

from .models import GuardianContact, SurveyInstance, SurveyPolicy, SurveyQuestion, SurveyTemplate


@register(SurveyTemplate)
class SurveyTemplateTranslation(TranslationOptions):
    fields = ("name", "intro", "thank_you")
    required_languages = {"ar": ("name",), "en": ("name",)}


@register(SurveyQuestion)
class SurveyQuestionTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ("ar", "en")


# Responses are written by the patient once and never edited, so they carry
# no history (and their ``instance`` field would clash with simple-history's).
for model in (SurveyTemplate, SurveyQuestion, SurveyPolicy, GuardianContact, SurveyInstance):
    register_history(model, excluded_fields=["updated_at"], get_user=history_user)
