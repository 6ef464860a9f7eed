"""Enums shared by several apps."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Language(models.TextChoices):
    ARABIC = "ar", _("Arabic")
    ENGLISH = "en", _("English")


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")


class Gender(models.TextChoices):
    MALE = "M", pgettext_lazy("gender", "Male")
    FEMALE = "F", pgettext_lazy("gender", "Female")
    UNKNOWN = "U", pgettext_lazy("gender", "Unknown")
