"""PX360 — patient experience management for hospital groups."""

__version__ = "0.1.0"
