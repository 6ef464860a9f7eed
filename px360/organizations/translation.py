"""Translated fields (modeltranslation) and history registration.

History is registered here, after translation, because ``HistoricalRecords``
declared on a model with translated fields crashes every save.
"""

from modeltranslation.translator import TranslationOptions, register
from simple_history import register as register_history

from px360.core.history import history_user

from .models import Department, Employee, Hospital, Physician


@register(Hospital)
class HospitalTranslation(TranslationOptions):
    fields = ("name", "city", "region")
    required_languages = {"ar": ("name",), "en": ("name",)}


@register(Department)
class DepartmentTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("ar", "en")


@register(Physician)
class PhysicianTranslation(TranslationOptions):
    fields = ("name", "specialty")
    required_languages = {"ar": ("name",), "en": ("name",)}


@register(Employee)
class EmployeeTranslation(TranslationOptions):
    fields = ("job_title",)


for model in (Hospital, Department, Physician, Employee):
    register_history(model, excluded_fields=["updated_at"], get_user=history_user)
