from . import encounter, importjob, journey  # noqa: F401
