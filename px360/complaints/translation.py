"""Translated fields and history of the complaint taxonomy (history after translation)."""

from modeltranslation.translator import TranslationOptions, register
from simple_history import register as register_history

from px360.core.history import history_user

from .models import HCATCategory


@register(HCATCategory)
class HCATCategoryTranslation(TranslationOptions):
    fields = ("name", "description")
    required_languages = {"ar": ("name",), "en": ("name",)}


register_history(HCATCategory, excluded_fields=["updated_at"], get_user=history_user)
