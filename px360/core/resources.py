"""Base resource for django-import-export: scoped, audited, spreadsheet-safe."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import resources

from px360.core.access import hospital_ids_for

# A cell starting with one of these is run as a formula by Excel or LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """Prefix spreadsheet formula payloads with an apostrophe (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class PXResource(resources.ModelResource):
    """Every import and export of business data goes through a subclass.

    ``hospital_field`` names the row's hospital foreign key; an import row
    for a hospital outside the importing user's scope is an error.
    """

    hospital_field: str | None = "hospital"

    def __init__(self, *, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def export_field(self, field, instance, **kwargs):
        return neutralise_formula(super().export_field(field, instance, **kwargs))

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        self.check_scope(instance)

    def check_scope(self, instance):
        if self.hospital_field is None or self.user is None:
            return
        allowed = hospital_ids_for(self.user)
        if allowed is None:
            return
        hospital_id = getattr(instance, f"{self.hospital_field}_id", None)
        if hospital_id not in allowed:
            raise ValidationError({self.hospital_field: _("You cannot import records for this hospital.")})
