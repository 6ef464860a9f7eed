"""The one masking rule for personal identifiers.

Every surface that shows an identifier — changelist columns, change pages,
history, search results, exports, import previews — asks this module whether
the viewer sees it in full, and masks it the same way when they do not. A
role below Hospital Admin (level 80) sees national IDs / iqamas masked; the
superuser and PX Admins see them in full.

Models list their masked fields in ``px_masked_fields``; the admin base class
refuses URL filters and ordering on them for viewers who see them masked.
"""

from __future__ import annotations

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
    return MASK_CHAR * max(len(value) - 4, 0) + value[-4:]


def is_masked_value(value) -> bool:
    """Whether ``value`` is a masked identifier (as exports write it)."""
    return isinstance(value, str) and MASK_CHAR in value


def national_id_for(user, value: str | None) -> str:
    """``value`` as ``user`` may see it."""
    return (value or "") if sees_full_identifiers(user) else mask_national_id(value)


def masked_fields(model) -> tuple[str, ...]:
    """The model's fields shown masked to viewers below the full-identifier level."""
    return tuple(getattr(model, "px_masked_fields", ()))
