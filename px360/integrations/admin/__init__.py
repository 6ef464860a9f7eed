from . import event, source  # noqa: F401
