"""Translated fields and history registration for journeys (history after translation)."""

from modeltranslation.translator import TranslationOptions, register
from simple_history import register as register_history

from px360.core.history import history_user

from .journey_models import JourneyInstance, JourneyStageInstance, JourneyStageTemplate, JourneyTemplate


@register(JourneyTemplate)
class JourneyTemplateTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("ar", "en")


@register(JourneyStageTemplate)
class JourneyStageTemplateTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("ar", "en")


for model in (JourneyTemplate, JourneyStageTemplate, JourneyInstance, JourneyStageInstance):
    register_history(model, excluded_fields=["updated_at"], get_user=history_user)
