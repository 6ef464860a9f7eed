"""Left-to-right values inside right-to-left pages.

An encounter number, an MRN, a hospital code or a phone number is read left
to right even on an Arabic page. Shown bare inside Arabic text, the Unicode
bidirectional algorithm moves its punctuation: ``+966501234567`` shows its
``+`` at the wrong end and ``RYD-OPD-00039`` next to an Arabic name swaps
places with it. Each such value is wrapped in ``<bdi dir="ltr">``: isolated
from the text around it and laid out left to right.

Which values are left-to-right identifiers is decided once, by field
(:func:`is_ltr_field`), and used by the admin's list columns
(:class:`px360.core.admin.base.PXModelAdmin`), read-only fields and page
titles (the ``px360_bidi`` template library).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info

#: Fields that hold identifiers, codes or numbers written left to right.
LTR_FIELD_NAMES = frozenset(
    {
        "code",
        "mrn",
        "patient_mrn",
        "national_id",
        "encounter_number",
        "license_number",
        "employee_number",
        "message_id",
        "prefix",
        "username",
        "timezone",
        "email",
        "phone",
        "event_type",
        "event_reference",
        "question_code",
        "reference",
    }
)
LTR_FIELD_SUFFIXES = ("_code", "_number", "_phone", "_email", "_reference")
LTR_FIELD_TYPES = (models.SlugField, models.EmailField, models.URLField, models.UUIDField, models.GenericIPAddressField)


def is_ltr_field(field) -> bool:
    """Whether a model field holds a left-to-right identifier (code, number, phone...)."""
    if field is None or getattr(field, "is_relation", False) or getattr(field, "choices", None):
        return False
    if isinstance(field, LTR_FIELD_TYPES):
        return True
    name = getattr(field, "name", "") or ""
    return name in LTR_FIELD_NAMES or name.endswith(LTR_FIELD_SUFFIXES)


def field_language(field) -> str | None:
    """The language one copy of a bilingual field is in (``name_en``: "en"), or None."""
    language = getattr(field, "language", None)
    if language:
        return language
    name = getattr(field, "name", "") or ""
    for code, _name in settings.LANGUAGES:
        if name.endswith(f"_{code}"):
            return code
    return None


def in_language(value, language: str) -> SafeString:
    """``value`` marked as text in ``language`` (an English name on an Arabic page), isolated."""
    direction = "rtl" if get_language_info(language)["bidi"] else "ltr"
    return format_html('<bdi lang="{}" dir="{}">{}</bdi>', language, direction, value)


def ltr(value) -> SafeString:
    """``value`` isolated and laid out left to right (escaped)."""
    return format_html('<bdi dir="ltr" class="px-ltr">{}</bdi>', value)


def identifiers(obj) -> list[str]:
    """The identifier values of ``obj`` and of the related rows already loaded with it.

    Only rows already in memory are read (``select_related``), so this never
    queries: ``str(obj)`` of a journey names its encounter's number, and the
    encounter is loaded to build that string anyway.
    """
    if not isinstance(obj, models.Model):
        return []
    # Rows without a code of their own name themselves by the start of their id.
    found = [str(obj.pk), str(obj.pk)[:8]] if obj.pk is not None else []
    related = [obj, *getattr(obj._state, "fields_cache", {}).values()]
    for item in related:
        if not isinstance(item, models.Model):
            continue
        for field in item._meta.concrete_fields:
            if is_ltr_field(field) and not isinstance(field, models.UUIDField):
                value = getattr(item, field.attname, None)
                if isinstance(value, str) and value.strip():
                    found.append(value)
    return found


def isolate(text, values) -> SafeString:
    """``text`` escaped, with each occurrence of the given identifier values isolated."""
    text = str(text)
    values = sorted({value for value in values if value and value in text}, key=len, reverse=True)
    if not values:
        return mark_safe(escape(text))
    pattern = re.compile("|".join(re.escape(value) for value in values))
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(ltr(match.group(0)))
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))


def display_object(obj) -> SafeString:
    """``str(obj)`` with its identifiers isolated: "<bdi>RYD</bdi> · Al-Noor Hospital"."""
    return isolate(str(obj), identifiers(obj))


#: Unicode's left-to-right isolate (LRI) and its closing pop (PDI), for plain
#: text where no element can carry ``dir``: select options, page titles.
LRI, PDI = "\u2066", "\u2069"


def isolate_plain(text, values) -> str:
    """``text`` with each identifier value wrapped in LRI ... PDI (plain text, not HTML)."""
    text = str(text)
    for value in sorted({value for value in values if value and value in text}, key=len, reverse=True):
        text = re.sub(rf"(?<!{LRI}){re.escape(value)}", f"{LRI}{value}{PDI}", text)
    return text


def plain_object_label(obj) -> str:
    """``str(obj)`` for a choice in a select or checkbox list, its codes isolated."""
    return isolate_plain(str(obj), identifiers(obj))


_TAG = re.compile(r"(<[^>]*>)")


def isolate_html(html, values) -> SafeString:
    """Like :func:`isolate` for HTML already made safe: only its text between tags changes."""
    values = [value for value in values if value]
    if not values:
        return mark_safe(html)
    escaped = sorted({escape(value) for value in values}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(value) for value in escaped))
    pieces = []
    for piece in _TAG.split(str(html)):
        if piece.startswith("<"):
            pieces.append(piece)
        else:
            pieces.append(pattern.sub(lambda m: f'<bdi dir="ltr" class="px-ltr">{m.group(0)}</bdi>', piece))
    return mark_safe("".join(pieces))


_COLUMNS: dict[tuple[type, str], object] = {}


def ltr_column(field):
    """A list column showing ``field`` as the admin would, with identifiers isolated.

    It keeps the field's name (the cell's ``field-<name>`` class), header and
    sorting, so guards that reason about columns see the same column.
    """
    key = (field.model, field.name)
    if key not in _COLUMNS:
        _COLUMNS[key] = _make_ltr_column(field)
    # One function per field: the changelist compares columns by identity
    # (sortable_by, the sort guard), across calls of get_list_display.
    return _COLUMNS[key]


def _make_ltr_column(field):
    name = field.name
    empty = "-"

    if field.is_relation:

        def column(obj):
            related = getattr(obj, name, None)
            return empty if related is None else display_object(related)

    elif field_language(field):
        language = field_language(field)

        def column(obj):
            value = getattr(obj, field.attname, None)
            if value in (None, ""):
                return empty
            return value if language == get_language() else in_language(value, language)

    else:

        def column(obj):
            value = getattr(obj, field.attname, None)
            return empty if value in (None, "") else ltr(value)

    column.__name__ = name
    column.short_description = field.verbose_name
    column.admin_order_field = name
    column.px_ltr_column = True
    return column


def ltr_list_display(model, list_display, *, keep=()) -> list:
    """``list_display`` with identifier and foreign-key columns isolated (other columns unchanged)."""
    columns = []
    # Masked fields are shown only through their admin's own masking column.
    keep = {*keep, *getattr(model, "px_masked_fields", ())}
    for entry in list_display:
        if isinstance(entry, str) and entry not in keep:
            try:
                field = model._meta.get_field(entry)
            except Exception:
                field = None
            if field is not None and (
                ((field.many_to_one or field.one_to_one) and field.concrete)
                or is_ltr_field(field)
                or (field.concrete and not field.is_relation and field_language(field))
            ):
                columns.append(ltr_column(field))
                continue
        columns.append(entry)
    return columns
