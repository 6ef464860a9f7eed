"""Scheduled jobs of the SLA engine (thin: each calls a service)."""

from datetime import date

from .escalation import sla_sweep


def sweep() -> dict:
    """Fire every due escalation step once (set-based: a constant number of queries)."""
    return sla_sweep()


def seed_holidays() -> int:
    """Add next year's Saudi public holidays to the group calendar as estimated rows (idempotent)."""
    from .models import BusinessCalendar
    from .services import seed_saudi_holidays

    calendar = BusinessCalendar.objects.filter(hospital__isnull=True, is_active=True).first()
    if calendar is None:
        return 0
    return len(seed_saudi_holidays(calendar, date.today().year + 1))
