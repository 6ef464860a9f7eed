from . import department, employee, hospital, patient, physician  # noqa: F401
