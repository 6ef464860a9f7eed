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

from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP
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
    """simple-history's "changes" column, with masked fields masked for the viewer.

    The history list shows each change as old and new values; without this a
    viewer who sees a national ID masked everywhere else would read both
    values in full there.
    """

    def __init__(self, model, historical_record, *, user, **kwargs):
        super().__init__(model, historical_record, **kwargs)
        self.user = user

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if change.field in masked_fields(self.model) and not sees_full_identifiers(self.user):
            return mask_national_id(value)
        return value
