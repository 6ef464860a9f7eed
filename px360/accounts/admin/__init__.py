from . import role, user  # noqa: F401
