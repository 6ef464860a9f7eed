"""Changelist URLs filter and sort only by what the changelist declares.

Django's admin accepts a lookup on any of the model's own fields in the
changelist URL (``?national_id__startswith=13``, ``?body__regex=...``):
whether a row stays listed is then a one-bit oracle on a column the screen
hides or masks. Sorting by a column is the same oracle in another form.

:class:`ChangelistGuardMixin` (part of every project admin) allows only:

- the parameters of the changelist's own filters, exactly as each filter reads
  them (Unfold's ``<field>_from`` / ``_to`` ranges, ``<fk>__id__exact``,
  ``<field>__exact``, ``__isnull``, a simple filter's ``parameter_name``);
- the date hierarchy's ``__year`` / ``__month`` / ``__day``;
- the fixed pairs of a foreign key's ``limit_choices_to`` (raw-id popups);
- search ``q``, page ``p``, ``all``, ``_popup``, ``_to_field`` (as Django
  checks it), ``_facets`` and ``_changelist_filters``;
- ordering ``o`` by index of a shown, sortable column.

A field listed in a model's ``px_masked_fields`` is never filtered or sorted on
(also across relations, ``patient__national_id``) for a viewer who sees it
masked. Anything else is refused as Django refuses a disallowed lookup:
``DisallowedModelAdminLookup``, answered 400.

The guarded changelist also swaps related and distinct-value filters for the
scoped ones of :mod:`px360.core.admin.filters`.
"""

from __future__ import annotations

import re

from django.contrib import admin
from django.contrib.admin import SimpleListFilter
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.views.main import ORDER_VAR
from django.contrib.admin.widgets import url_params_from_lookup_dict
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F
from django.db.models.constants import LOOKUP_SEP

from px360.core.admin.bidi import ltr_list_display
from px360.core.admin.filters import filter_field_path, scoped_list_filter
from px360.core.masking import path_touches_masked, sees_full_identifiers

# Parameters that select nothing themselves and that Django's changelist does
# not already set aside (it ignores q, o, p, e, all, _popup, _to_field, _facets).
PLUMBING_PARAMETERS = ("_changelist_filters",)

# Unfold's range filters read <field>_from / <field>_to, and for date-times
# <field>_from_0 (date) / <field>_from_1 (time).
_RANGE_SUFFIXES = ("from", "to", "from_0", "from_1", "to_0", "to_1")

_ORDER_ITEM = re.compile(r"-?(\d+)")


def _order_paths(order_field) -> list[str]:
    """The field paths an ``admin_order_field`` (a name or an expression) sorts by."""
    if isinstance(order_field, str):
        return [order_field.lstrip("-")]
    if isinstance(order_field, F):
        return [order_field.name]
    paths = []
    for node in getattr(order_field, "flatten", lambda: [])():
        if isinstance(node, F):
            paths.append(node.name)
    return paths


def _limit_choices_pairs(model) -> set[tuple[str, str]]:
    """``(parameter, value)`` pairs a raw-id popup for a foreign key to ``model`` puts in the URL."""
    pairs = set()
    for lookups in model._meta.related_fkey_lookups:
        if callable(lookups):
            lookups = lookups()
        pairs.update(url_params_from_lookup_dict(lookups).items())
    return pairs


def _masks_for(user) -> bool:
    return not sees_full_identifiers(user)


def _refuse(message: str):
    # The message names the parameter, never its value (which may be personal data).
    raise DisallowedModelAdminLookup(message)


class ChangelistGuard:
    """Mixed into the admin's changelist class by :meth:`ChangelistGuardMixin.get_changelist`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Codes, numbers and related records (whose names carry codes) are
        # isolated left to right in every list (px360.core.admin.bidi). The
        # columns keep their places, names, headers and sorting; the sort was
        # already checked against the declared columns above.
        keep = set(self.list_editable or ())
        mapping = dict(zip(self.list_display, ltr_list_display(self.model, self.list_display, keep=keep), strict=True))
        self.list_display = [mapping[column] for column in self.list_display]
        if self.list_display_links:
            self.list_display_links = [mapping.get(column, column) for column in self.list_display_links]
        if self.sortable_by is not None:
            self.sortable_by = [mapping.get(column, column) for column in self.sortable_by]

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        for name in PLUMBING_PARAMETERS:
            lookup_params.pop(name, None)
        return lookup_params

    def get_filters(self, request):
        user = request.user
        masks = _masks_for(user)
        list_filter = []
        for item in scoped_list_filter(self.model, self.list_filter):
            resolved = filter_field_path(self.model, item)
            if masks and resolved is not None and path_touches_masked(self.model, resolved[0]):
                continue  # a filter on a masked field would read it
            list_filter.append(item)
        self.list_filter = list_filter

        given = self.get_filters_params()
        filter_specs, has_filters, remaining, may_have_duplicates, has_active_filters = super().get_filters(request)
        # Every declared filter has taken its own parameters out of
        # ``remaining``; what is left is a lookup nobody declared.
        derived = set()
        if self.date_hierarchy and f"{self.date_hierarchy}__year" in given:
            derived = {f"{self.date_hierarchy}__gte", f"{self.date_hierarchy}__lt"}
        popup_pairs = _limit_choices_pairs(self.model)
        for key in remaining:
            if key in derived:
                continue
            if key in given and all((key, value) in popup_pairs for value in given[key]):
                continue
            _refuse(f"Filtering by {key} not allowed")
        return filter_specs, has_filters, remaining, may_have_duplicates, has_active_filters

    def get_ordering(self, request, queryset):
        self._check_ordering(request)
        return super().get_ordering(request, queryset)

    def _check_ordering(self, request):
        value = self.params.get(ORDER_VAR)
        if value is None:
            return
        masks = _masks_for(request.user)
        for item in value.split("."):
            if item == "":
                continue  # Django writes an empty item when the last sort is removed
            match = _ORDER_ITEM.fullmatch(item)
            if match is None or int(match.group(1)) >= len(self.list_display):
                _refuse(f"Ordering by {item} not allowed")
            column = self.list_display[int(match.group(1))]
            if self.sortable_by is not None and column not in self.sortable_by:
                _refuse(f"Ordering by {item} not allowed")
            order_field = self.get_ordering_field(column)
            if not order_field:
                _refuse(f"Ordering by {item} not allowed")
            if masks and any(path_touches_masked(self.model, path) for path in _order_paths(order_field)):
                _refuse(f"Ordering by {item} not allowed")


_GUARDED: dict[type, type] = {}


def guarded_changelist(changelist_class):
    """``changelist_class`` with the guard mixed in (cached, so each class is made once)."""
    if issubclass(changelist_class, ChangelistGuard):
        return changelist_class
    guarded = _GUARDED.get(changelist_class)
    if guarded is None:
        guarded = type(f"Guarded{changelist_class.__name__}", (ChangelistGuard, changelist_class), {})
        _GUARDED[changelist_class] = guarded
    return guarded


class ChangelistGuardMixin:
    """For every model admin: URL lookups and sorting limited to what the changelist declares.

    ``lookup_allowed`` is Django's own hook, asked for every parameter before
    the filters run: it refuses masked fields and anything not rooted in a
    declared filter. The guarded changelist then refuses any parameter that
    no declared filter took, so a lookup that merely starts like a filter
    (``hospital__name__startswith``) does not slip through either.
    """

    def get_changelist(self, request, **kwargs):
        return guarded_changelist(super().get_changelist(request, **kwargs))

    def lookup_allowed(self, lookup, value, request=None):
        if request is not None and _masks_for(request.user) and path_touches_masked(self.model, lookup):
            return False
        if (lookup, value) in _limit_choices_pairs(self.model):
            return True
        if not super().lookup_allowed(lookup, value, request):
            return False
        return any(_rooted(lookup, root) for root in self._declared_lookup_roots(request))

    def _declared_lookup_roots(self, request) -> set[str]:
        list_filter = self.get_list_filter(request) if request is not None else self.list_filter
        roots = set()
        for item in list_filter:
            resolved = filter_field_path(self.model, item)
            if resolved is not None:
                roots.add(resolved[0])
            elif isinstance(item, type) and issubclass(item, SimpleListFilter) and item.parameter_name:
                roots.add(item.parameter_name)
        if self.date_hierarchy:
            roots.add(self.date_hierarchy)
        return roots

    def get_sortable_by(self, request):
        sortable = super().get_sortable_by(request)
        if not _masks_for(request.user):
            return sortable
        return [column for column in sortable if not self._sorts_by_masked(column)]

    def _sorts_by_masked(self, column) -> bool:
        try:
            field = self.opts.get_field(column)
            order_field = field.name
        except FieldDoesNotExist:
            if callable(column):
                attr = column
            elif hasattr(self, column):
                attr = getattr(self, column)
            else:
                attr = getattr(self.model, column, None)
            if isinstance(attr, property):
                attr = attr.fget
            order_field = getattr(attr, "admin_order_field", None)
        if not order_field:
            return False
        return any(path_touches_masked(self.model, path) for path in _order_paths(order_field))


def _rooted(lookup: str, root: str) -> bool:
    if lookup == root or lookup.startswith(root + LOOKUP_SEP):
        return True
    return any(lookup == f"{root}_{suffix}" for suffix in _RANGE_SUFFIXES)


def guard_registered_admins(site=None) -> None:
    """Give every admin registered on ``site`` the changelist guard.

    Project admins have it from ``PXModelAdmin``; this covers the others that
    libraries register or that are re-registered on Unfold (auth groups,
    django-q2, django-axes, the audit log), so a model registered later by any
    route is guarded without anyone remembering to. Runs once the admin
    modules are imported (``CoreConfig.ready``).
    """
    site = site or admin.site
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, ChangelistGuardMixin):
            continue
        admin_class = type(model_admin)
        guarded = type(
            admin_class.__name__, (ChangelistGuardMixin, admin_class), {"__module__": admin_class.__module__}
        )
        site._registry[model] = guarded(model, site)


@checks.register(checks.Tags.admin)
def check_admins_guard_lookups(app_configs=None, **kwargs):
    """Every registered admin guards its changelist URL (an admin registered after start-up may not)."""
    errors = []
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, ChangelistGuardMixin):
            errors.append(
                checks.Error(
                    f"The admin of {model._meta.label} accepts any lookup in its changelist URL.",
                    hint="Derive it from px360.core.admin.base.PXModelAdmin, or mix in "
                    "px360.core.admin.lookups.ChangelistGuardMixin.",
                    obj=type(model_admin),
                    id="px360.E001",
                )
            )
    return errors
