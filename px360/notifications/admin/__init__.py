from . import message_text, notification  # noqa: F401
