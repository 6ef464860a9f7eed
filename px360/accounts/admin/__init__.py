from . import lockout, role, user  # noqa: F401
