from . import notification  # noqa: F401
