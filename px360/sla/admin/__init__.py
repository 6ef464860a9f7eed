from . import calendar, clock, policy  # noqa: F401
