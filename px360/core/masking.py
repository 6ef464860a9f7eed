"""The one masking rule for personal identifiers.

Every surface that shows an identifier — changelist columns, change pages,
history, search results, exports, import previews — asks this module whether
the viewer sees it in full, and masks it the same way when they do not. Users
whose highest role is Hospital Admin (level 80) or above, and superusers, see
national IDs / iqamas in full; every other role sees the last four digits.

Models list their masked fields in ``px_masked_fields``. Every masked field is
masked like a national ID. For a viewer who sees a field masked, the field is
also read-only on stored records (forms and imports), and the admin base class
refuses URL filters and ordering on it, so it cannot be probed one bit at a time.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.contrib.admin.utils import display_for_value
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

# Hospital Admin and above see full national IDs.
FULL_IDENTIFIER_LEVEL = 80

MASK_CHAR = "•"


def sees_full_identifiers(user) -> bool:
    """Whether ``user`` sees national IDs (and other masked identifiers) in full."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or getattr(user, "level", 0) >= FULL_IDENTIFIER_LEVEL)


def mask_national_id(value: str | None) -> str:
    """Show only the last four digits: ``••••••1234``."""
    if not value:
        return ""
    value = str(value)
    return MASK_CHAR * max(len(value) - 4, 0) + value[-4:]


def is_masked_value(value) -> bool:
    """Whether ``value`` is a masked identifier (as exports write it)."""
    return isinstance(value, str) and MASK_CHAR in value


def national_id_for(user, value: str | None) -> str:
    """``value`` as ``user`` may see it."""
    return str(value or "") if sees_full_identifiers(user) else mask_national_id(value)


def masked_fields(model) -> tuple[str, ...]:
    """The model's fields shown masked to viewers below the full-identifier level."""
    return tuple(getattr(model, "px_masked_fields", ()))


def path_touches_masked(model, path: str) -> bool:
    """Whether an ORM path (``patient__national_id`` or ``national_id__startswith``) reads a masked field."""
    for part in path.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.name in masked_fields(model):
            return True
        if not field.is_relation or field.related_model is None:
            return False
        model = field.related_model
    return False


class MaskedHistoryContextHelper(HistoricalRecordContextHelper):
    """simple-history's "changes" column, in the reader's words, with masked fields masked.

    The history list shows each change as old and new values; without this a
    viewer who sees a national ID masked everywhere else would read both
    values in full there. Values read as the rest of the admin shows them: a
    choice by its label ("Invited", not ``invited``), a linked record by its
    name (its codes isolated left to right), a yes/no in words, a time in
    Riyadh time, nothing as "-"; codes and stored JSON are isolated left to right.
    """

    def __init__(self, model, historical_record, *, user, **kwargs):
        super().__init__(model, historical_record, **kwargs)
        self.user = user

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if change.field in masked_fields(self.model) and not sees_full_identifiers(self.user):
            return mask_national_id(value)
        return value

    def stringify_delta_change_values(self, change, old, new):
        field = self.model._meta.get_field(change.field)
        if change.field in masked_fields(self.model) and not sees_full_identifiers(self.user):
            return super().stringify_delta_change_values(change, old, new)
        return self.display_value(field, old), self.display_value(field, new)

    def display_value(self, field, value):
        """One stored value as the admin shows it ("" for none: the page shows "-")."""
        # The admin's bidi helpers are imported here: the admin package imports this module.
        from px360.core.admin.bidi import display_object, is_ltr_field, ltr

        if value is None or value == "" or (isinstance(value, DeletedObject) and value.pk is None):
            return ""
        if isinstance(value, DeletedObject):
            label = gettext("Deleted %(type_name)s") % {"type_name": value.model._meta.verbose_name}
            return format_html("{} {}", label, ltr(str(value.pk)[:8]))
        if isinstance(value, models.Model):
            return display_object(value)
        if field.many_to_many and isinstance(value, list):
            return _display_list(self, field, value)
        limit = self.max_displayed_delta_change_chars
        if isinstance(field, models.JSONField) or isinstance(value, (dict, list)):
            # Stored JSON (channels, options) as stored: data, left to right.
            text = json.dumps(value, ensure_ascii=False, default=str)
            return format_html('<code dir="ltr">{}</code>', Truncator(text).chars(limit))
        choices = dict(getattr(field, "flatchoices", None) or ())
        if value in choices:
            return conditional_escape(str(choices[value]))
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        if isinstance(value, (int, float, Decimal, datetime.date, datetime.time)):
            # Times in Riyadh time, numbers as the admin formats them.
            return ltr(display_for_value(value, "", boolean=False))
        text = Truncator(str(value)).chars(limit)
        if is_ltr_field(field):
            return ltr(text)
        return format_html('<bdi dir="auto">{}</bdi>', text)


def _display_list(helper, field, values):
    """A many-to-many change: each related record's name, separated by commas."""
    shown = []
    for item in values:
        entries = item.values() if isinstance(item, dict) else [item]
        shown.extend(helper.display_value(field, entry) for entry in entries)
    return format_html_join(", ", "{}", ((entry,) for entry in shown if entry))
