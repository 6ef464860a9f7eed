"""Admin registrations of the core app and re-registrations on Unfold."""

from . import audit, system  # noqa: F401
