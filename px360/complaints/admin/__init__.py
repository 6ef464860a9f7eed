from . import complaint, feedback, inquiry, taxonomy  # noqa: F401
