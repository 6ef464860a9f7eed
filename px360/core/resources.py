"""Base resource for django-import-export: scoped, masked, spreadsheet-safe.

Every import and export of business data goes through :class:`PXResource`,
which holds these rules for all of them (a resource added later inherits them):

Imports
    - A row is matched only among the records the importer may change
      (``restrict(..., user, "change")``). A key that exists outside the
      importer's scope is therefore a new row, exactly like an unknown key:
      nothing of the stored record is read, shown in the preview or written.
    - A code naming another record (``hospital_code``) resolves only among the
      records the importer may see; a code outside the scope is reported in the
      same words as a code that does not exist.
    - A row whose hospital is outside the importer's scope is refused before it
      is compared with stored rows, so no "already exists" message can tell
      what another hospital holds.
    - Masked fields (``px_masked_fields``) are shown masked in the preview to a
      viewer who sees them masked, and are read-only on stored records for that
      viewer, as on the change form. The masked value an export wrote means
      "unchanged".
    - The apostrophe exports put before formula payloads is removed, so an
      export imports again as it is.

Exports
    - Masked fields are masked for viewers who see them masked.
    - Formula payloads are neutralised with a leading apostrophe.
"""

from __future__ import annotations

import datetime
import functools

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ImproperlyConfigured,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    ValidationError,
)
from django.db import transaction
from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.resources import Diff

from px360.core.access import ScopeKind, can_access, hospital_ids_for, model_access, restrict, scope_for
from px360.core.masking import (
    is_masked_value,
    mask_national_id,
    national_id_for,
    path_touches_masked,
    sees_full_identifiers,
)

# A cell starting with one of these is run as a formula by Excel or LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_GUARD = "'"


def _looks_like_formula(value: str) -> bool:
    # Apostrophes are skipped so that a value that already starts with the
    # guard is guarded again, and removing one guard always gives it back.
    return value.lstrip(FORMULA_GUARD).startswith(FORMULA_PREFIXES)


def neutralise_formula(value):
    """Prefix spreadsheet formula payloads with an apostrophe (OWASP's advice)."""
    if isinstance(value, str) and _looks_like_formula(value):
        return FORMULA_GUARD + value
    return value


def restore_formula(value):
    """Undo :func:`neutralise_formula`: ``restore_formula(neutralise_formula(v)) == v``."""
    if isinstance(value, str) and value.startswith(FORMULA_GUARD) and _looks_like_formula(value):
        return value[len(FORMULA_GUARD) :]
    return value


class _ScopedRelationMixin:
    """Related records named in a file resolve only among those the importer may see."""

    px_user = None
    px_scoped = True

    def _scoped(self, queryset):
        return queryset if self.px_user is None else restrict(queryset, self.px_user, "view")


class ScopedForeignKeyWidget(_ScopedRelationMixin, widgets.ForeignKeyWidget):
    """A foreign key by code; a code outside the importer's scope reads as unknown."""

    def get_queryset(self, value, row, *args, **kwargs):
        return self._scoped(super().get_queryset(value, row, *args, **kwargs))

    def get_instance_by_natural_key(self, value):
        instance = super().get_instance_by_natural_key(value)
        if not self._scoped(self.model._default_manager.filter(pk=instance.pk)).exists():
            raise self.model.DoesNotExist
        return instance

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row=row, **kwargs)
        except (ObjectDoesNotExist, MultipleObjectsReturned):
            # ValueError makes the library report it as this column's error.
            raise ValueError(
                _("There is no %(model)s “%(value)s”.") % {"model": self.model._meta.verbose_name, "value": value}
            ) from None


class ScopedManyToManyWidget(_ScopedRelationMixin, widgets.ManyToManyWidget):
    """Many-to-many by codes; codes outside the importer's scope are ignored like unknown ones."""

    def clean(self, value, row=None, **kwargs):
        return self._scoped(super().clean(value, row=row, **kwargs))


class _MaskedDiff(Diff):
    """The preview's before/after cells, read through the resource so masked fields stay masked."""

    def __init__(self, resource, instance, new):
        self.left = resource.preview_values(instance)
        self.right = []
        self.new = new

    def compare_with(self, resource, instance):
        self.right = resource.preview_values(instance)


class PXResource(resources.ModelResource):
    """Every import and export of business data goes through a subclass.

    ``user`` is the person importing or exporting; without one (system use)
    nothing is scoped and masked fields are masked.
    """

    def __init__(self, *, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.sees_full_identifiers = sees_full_identifiers(user)
        self._masked_fields = []
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, widgets.ForeignKeyWidget | widgets.ManyToManyWidget):
                if not getattr(widget, "px_scoped", False):
                    raise ImproperlyConfigured(
                        f"{type(self).__name__}.{name}: use ScopedForeignKeyWidget / ScopedManyToManyWidget, "
                        "so imports resolve related records within the importer's scope."
                    )
                widget.px_user = user
            if field.attribute and path_touches_masked(self._meta.model, field.attribute):
                self._masked_fields.append(field)
        self._hospital_before = None

    # --- relations declared by the library get scoped widgets too ---------------

    @classmethod
    def get_fk_widget(cls, field):
        library = super().get_fk_widget(field)
        return functools.partial(ScopedForeignKeyWidget, *library.args, **library.keywords)

    @classmethod
    def get_m2m_widget(cls, field):
        library = super().get_m2m_widget(field)
        return functools.partial(ScopedManyToManyWidget, *library.args, **library.keywords)

    # --- masking -----------------------------------------------------------------

    def _masks(self, field) -> bool:
        return not self.sees_full_identifiers and field in self._masked_fields

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if self._masks(field):
            value = mask_national_id(value)
        return neutralise_formula(value)

    def get_diff_class(self):
        return _MaskedDiff

    def preview_values(self, instance) -> list:
        """The row's cells as the import preview shows them to this user."""
        fields_ = self.get_import_fields()
        if instance is None:
            return ["" for _field in fields_]
        values = []
        for field in fields_:
            value = field.export(instance)
            values.append(mask_national_id(value) if self._masks(field) else value)
        return values

    # --- matching within the importer's scope ----------------------------------------

    def get_queryset(self):
        queryset = self._meta.model._default_manager.all()
        if self.user is None:
            return queryset
        return restrict(queryset, self.user, "change")

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            # A key naming a related record the importer cannot see (say, a
            # hospital code of another hospital) matches nothing: the row is
            # new, and importing its fields reports the code like an unknown one.
            return None

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        for column, value in row.items():
            row[column] = restore_formula(value)
        for field in self.get_import_fields():
            value = row.get(field.column_name)
            if isinstance(field.widget, widgets.DateWidget) and isinstance(value, datetime.datetime):
                # A workbook gives a date cell back as midnight; the library
                # would store the date-time and see every row as changed.
                row[field.column_name] = value.date()

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        path = self._hospital_path()
        self._hospital_before = None if new or path is None else _value_at(instance, path)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if (
            field.attribute
            and field.column_name in row
            and not instance._state.adding
            and field in self._masked_fields
            and self._keeps_masked_value(field, instance, row[field.column_name])
        ):
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def _keeps_masked_value(self, field, instance, value) -> bool:
        """Whether a masked field's cell leaves the stored value as it is.

        The value this importer was shown (in an export or on the screen) means
        "unchanged". A viewer who sees the field masked cannot change it, and
        is told so whatever the value, so the answer never depends on the
        hidden digits.
        """
        stored = str(field.get_value(instance) or "")
        text = "" if value is None else str(value).strip()
        if text in (national_id_for(self.user, stored), mask_national_id(stored)):
            return True
        if not self.sees_full_identifiers:
            raise ValueError(
                _("You cannot change “%(column)s” of a stored record: keep the value as exported or remove the column.")
                % {"column": field.column_name}
            )
        if is_masked_value(text):
            raise ValueError(_("This masked value is not the stored one: enter the full value or keep it as exported."))
        return False

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        path = self._hospital_path()
        key = path.split("__")[0] if path and path != "pk" else NON_FIELD_ERRORS
        if key not in errors and not self._hospital_in_scope(instance):
            errors[key] = [_("You cannot import records for this hospital.")]
        if errors:
            raise ValidationError(errors)

    def _hospital_path(self) -> str | None:
        rules = model_access(self._meta.model)
        return rules.hospital if rules is not None else None

    def _hospital_in_scope(self, instance) -> bool:
        if self.user is None:
            return True
        allowed = hospital_ids_for(self.user)
        if allowed is None:
            return True
        path = self._hospital_path()
        if path is None:
            # Rows that belong to no hospital are for a global scope only.
            return False
        hospital_id = _value_at(instance, path)
        if hospital_id in allowed:
            return True
        # A stored record the importer may change through an object grant
        # stays changeable as long as it keeps its hospital.
        return not instance._state.adding and hospital_id == self._hospital_before

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if self._meta.clean_model_instances:
            try:
                # A row refused already (a hospital outside the scope, an
                # unknown code) is not compared with stored rows: whether its
                # key is taken elsewhere would tell what other hospitals hold.
                instance.full_clean(
                    exclude=errors.keys(),
                    validate_unique=validate_unique and not errors,
                    validate_constraints=not errors,
                )
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(self._by_column(errors))

    def _by_column(self, errors: dict) -> dict:
        """Name errors by the file's column (``hospital_code``), not the model's attribute."""
        columns = {field.attribute: field.column_name for field in self.get_import_fields() if field.attribute}
        return {columns.get(key, key): value for key, value in errors.items()}

    def do_instance_save(self, instance, is_create):
        if self._checked_in_memory():
            return super().do_instance_save(instance, is_create)
        # A scope narrower than a hospital (a department tree, own rows) is
        # checked by the access policy itself on the saved row; the savepoint
        # undoes a row that falls outside it.
        with transaction.atomic():
            super().do_instance_save(instance, is_create)
            if not can_access(self.user, instance, "change"):
                raise ValidationError({NON_FIELD_ERRORS: [_("You cannot import this record.")]})

    def _checked_in_memory(self) -> bool:
        """Whether the hospital check in :meth:`import_instance` is the whole scope."""
        if self.user is None:
            return True
        kind = scope_for(self.user).kind
        return kind == ScopeKind.ALL or (kind == ScopeKind.HOSPITAL and self._hospital_path() is not None)


def _value_at(instance, path: str):
    """The id ``path`` (an ORM path such as ``hospital`` or ``pk``) leads to, read from memory."""
    parts = path.split("__")
    obj = instance
    for part in parts[:-1]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    last = parts[-1]
    if last == "pk":
        return obj.pk
    field = obj._meta.get_field(last)
    return getattr(obj, field.attname, None)
