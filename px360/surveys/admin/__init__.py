from . import instance, policy, response, template  # noqa: F401
