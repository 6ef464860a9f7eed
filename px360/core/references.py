"""Readable record references: ``CMP-2026-000123``, ``INQ-2026-000007``, ``ACT-2026-000045``.

Each prefix counts per year in :class:`px360.core.models.ReferenceSequence`.
A number is taken with an atomic ``UPDATE ... SET last_value = last_value + 1``
inside the caller's transaction, so two requests never get the same number
(PostgreSQL locks the row until the transaction ends; SQLite serialises
writers). A transaction that rolls back gives its number back, which is
harmless: a number is only ever seen once its record is saved.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import ReferenceSequence
from .validators import ascii_digits

DIGITS = 6
PATTERN = re.compile(r"^(?P<prefix>[A-Z]{2,8})-(?P<year>\d{4})-(?P<number>\d{6,})$")


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:0{DIGITS}d}"


def next_reference(prefix: str, *, at: datetime | None = None) -> str:
    """The next unused reference of ``prefix`` for the year of ``at`` (now, in the local zone)."""
    year = timezone.localtime(at or timezone.now()).year
    with transaction.atomic():
        updated = ReferenceSequence.objects.filter(prefix=prefix, year=year).update(last_value=F("last_value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    ReferenceSequence.objects.create(prefix=prefix, year=year, last_value=1)
            except IntegrityError:  # created by another request a moment ago
                ReferenceSequence.objects.filter(prefix=prefix, year=year).update(last_value=F("last_value") + 1)
            else:
                return format_reference(prefix, year, 1)
        number = ReferenceSequence.objects.filter(prefix=prefix, year=year).values_list("last_value", flat=True)[0]
    return format_reference(prefix, year, number)


def normalise_reference(text: str) -> str:
    """A reference as typed (spaces, lower case, Arabic-Indic digits) in its stored form, or ''."""
    value = ascii_digits(str(text or "")).strip().upper().replace(" ", "")
    return value if PATTERN.match(value) else ""
