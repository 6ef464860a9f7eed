"""Translated fields and history registration of the SLA engine (history after translation)."""

from modeltranslation.translator import TranslationOptions, register
from simple_history import register as register_history

from px360.core.history import history_user

from .models import (
    BusinessCalendar,
    CalendarException,
    EscalationStep,
    ExceptionWindow,
    SLAPolicy,
    WorkingWindow,
)


@register(BusinessCalendar)
class BusinessCalendarTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("ar", "en")


@register(CalendarException)
class CalendarExceptionTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("ar", "en")


@register(SLAPolicy)
class SLAPolicyTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("ar", "en")


for model in (BusinessCalendar, WorkingWindow, CalendarException, ExceptionWindow, SLAPolicy, EscalationStep):
    register_history(model, excluded_fields=["updated_at"], get_user=history_user)
