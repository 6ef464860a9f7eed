"""Template filters for left-to-right values in right-to-left pages.

``{% load px360_bidi %}``, then:

- ``{{ phone|ltr }}``: the value isolated and laid out left to right
  (``<bdi dir="ltr">``), so ``+966501234567`` keeps its ``+`` in front inside
  an Arabic sentence;
- ``{{ obj|px_object }}``: ``str(obj)`` with the codes and numbers it names isolated;
- ``{{ field|px_readonly_contents }}``: a read-only admin field's value,
  isolated as its list column is (:mod:`px360.core.admin.bidi`).
"""

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import get_language

# px360.core.admin.bidi is imported inside each filter: importing the admin
# package while Django discovers template libraries would import Unfold's
# admin before it is ready.

register = template.Library()


@register.filter(name="ltr")
def ltr_filter(value):
    from px360.core.admin.bidi import ltr

    if value is None or value == "":
        return value
    return ltr(value)


@register.filter
def px_object(value):
    from px360.core.admin.bidi import display_object

    if isinstance(value, models.Model):
        return display_object(value)
    return value


@register.filter
def px_readonly_contents(field):
    """A read-only admin field's shown value, isolated when it is (or names) an identifier.

    Takes the field as its input, not as an argument: templates that include
    the read-only value with only a ``value`` have no ``field`` at all.
    """
    contents = getattr(field, "contents", None)
    if not callable(contents):
        return ""
    return px_readonly(contents(), field)


def px_readonly(contents, field):
    """Isolate a read-only field's shown value when it is (or names) an identifier."""
    from px360.core.admin.bidi import field_language, identifiers, in_language, is_ltr_field, isolate_html, ltr

    form = getattr(field, "form", None)
    name = (
        (getattr(field, "field", None) or {}).get("name") if isinstance(getattr(field, "field", None), dict) else None
    )
    model = getattr(getattr(form, "_meta", None), "model", None)
    if not contents or model is None or not isinstance(name, str):
        return contents
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return contents
    if is_ltr_field(model_field):
        return ltr(contents)
    language = field_language(model_field)
    if language and language != get_language():
        # One language's copy of a bilingual field (name_en on an Arabic page) is data in that language.
        return in_language(contents, language)
    if model_field.is_relation and (model_field.many_to_one or model_field.one_to_one):
        related = getattr(form.instance, name, None) if form.instance is not None else None
        return isolate_html(contents, identifiers(related))
    return contents


@register.filter
def px_change_reason(reason):
    """A history row's change reason: a reason PX360 records by code in words, any other as written."""
    from django.utils.html import format_html
    from django.utils.translation import gettext

    if not reason:
        return "-"
    # The encounter import records its rows with this code (px360.journeys.importer).
    words = {"import": gettext("import")}.get(reason)
    if words is not None:
        return words
    return format_html('<bdi dir="auto">{}</bdi>', reason)
