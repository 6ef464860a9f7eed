"""List filters that offer and name only what the user may see.

Django's ``RelatedFieldListFilter`` lists every row of the related table, and
Unfold's autocomplete filters render the label of whatever id is put in the
URL, read through the unscoped manager; ``AllValuesFieldListFilter`` lists the
distinct values of a column across every hospital when the column is reached
through a relation. The changelist guard (:mod:`px360.core.admin.lookups`)
swaps each such filter class, declared or chosen by Django for a plain field
name, for a subclass from here, so every admin, including one added later, gets
filter choices and labels through the access policy like any other read:

- choices and the selected label come from :func:`visible_related`;
- a related id outside that set filters the list to nothing;
- distinct-value filters list the values of the rows the user can see.
"""

from __future__ import annotations

from django.contrib.admin import AllValuesFieldListFilter, FieldListFilter, RelatedFieldListFilter, SimpleListFilter
from django.contrib.admin.filters import RelatedOnlyFieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path, get_model_from_relation
from django.core.exceptions import ValidationError
from django.core.validators import EMPTY_VALUES
from django.db.models import Field
from unfold.contrib.filters.admin.mixins import AutocompleteMixin

from px360.core.access import model_access, restrict


def visible_related(field, field_path: str, request, model_admin):
    """The rows of ``field``'s related model that a filter may offer or name to ``request.user``.

    Business models go through the access policy. Tables without a declared
    policy (content types) would be empty for everyone but a superuser under
    the policy; for them a filter offers only the rows that the user's own list
    refers to, which the list shows anyway.
    """
    related_model = get_model_from_relation(field)
    queryset = related_model._default_manager.all()
    user = request.user
    if model_access(related_model) is None and not user.is_superuser:
        referenced = model_admin.get_queryset(request).order_by().values(f"{field_path}__pk")
        return queryset.filter(pk__in=referenced)
    return restrict(queryset, user, "view")


class ScopedRelatedFilterMixin:
    """Related-object filters (dropdown, checkbox, autocomplete, Django's own) scoped to the user."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        # field_choices runs inside the parent constructor and needs both.
        self.px_request = request
        self.px_model_admin = model_admin
        super().__init__(field, request, params, model, model_admin, field_path)

    def visible_related(self):
        return visible_related(self.field, self.field_path, self.px_request, self.px_model_admin)

    def field_choices(self, field, request, model_admin):
        if isinstance(self, AutocompleteMixin):
            # Autocomplete filters list nothing up front; their options come
            # from the (scoped) autocomplete view.
            return super().field_choices(field, request, model_admin)
        visible = self.visible_related()
        if isinstance(self, RelatedOnlyFieldListFilter):
            referenced = model_admin.get_queryset(request).order_by().values(f"{self.field_path}__pk")
            visible = visible.filter(pk__in=referenced)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, limit_choices_to={"pk__in": visible.values("pk")}, ordering=ordering
        )

    def choices(self, changelist):
        for choice in super().choices(changelist):
            form = choice.get("form") if isinstance(choice, dict) else None
            form_field = form.fields.get(self.lookup_kwarg) if form is not None else None
            if form_field is not None and hasattr(form_field, "queryset"):
                # Unfold's autocomplete form names the selected id through the
                # related model's unscoped manager.
                form_field.queryset = self.visible_related()
            yield choice

    def _selected(self) -> set:
        selected = self.used_parameters.get(self.lookup_kwarg) or []
        if not isinstance(selected, list | tuple):
            selected = [selected]
        return {value for value in selected if value not in EMPTY_VALUES}

    def has_output(self):
        # Django drops a filter with fewer than two choices, and with it the
        # selection in the URL: a selected filter stays, so it is applied.
        return super().has_output() or bool(self._selected())

    def queryset(self, request, queryset):
        selected = self._selected()
        if selected:
            target = self.field.target_field.name
            try:
                visible = self.visible_related().filter(**{f"{target}__in": selected}).values(target).distinct()
                found = visible.count()
            except (ValueError, ValidationError) as error:
                raise IncorrectLookupParameters(error) from error
            if found < len(selected):
                # A row the user may not see: nothing matches, and nothing is said about it.
                return queryset.none()
        return super().queryset(request, queryset)


class ScopedAllValuesFilterMixin:
    """Distinct-value filters list the values of the rows the user can see, never of every hospital."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        manager = getattr(model, "all_objects", None) or model._default_manager
        visible = model_admin.get_queryset(request).order_by().values("pk")
        # Lazy, like the parent's: the query runs only if the filter renders.
        self.lookup_choices = (
            manager.filter(pk__in=visible).order_by(field_path).values_list(field_path, flat=True).distinct()
        )


_SCOPED: dict[type, type] = {}


def scoped_filter_class(filter_class):
    """The scoped subclass of a field list filter class (the class itself when it needs none)."""
    if not isinstance(filter_class, type) or issubclass(
        filter_class, ScopedRelatedFilterMixin | ScopedAllValuesFilterMixin
    ):
        return filter_class
    if issubclass(filter_class, RelatedFieldListFilter):
        mixin = ScopedRelatedFilterMixin
    elif issubclass(filter_class, AllValuesFieldListFilter):
        mixin = ScopedAllValuesFilterMixin
    else:
        return filter_class
    scoped = _SCOPED.get(filter_class)
    if scoped is None:
        scoped = type(f"Scoped{filter_class.__name__}", (mixin, filter_class), {"__module__": __name__})
        _SCOPED[filter_class] = scoped
    return scoped


def default_filter_class(field):
    """The filter class Django picks for a plain field name in ``list_filter``."""
    for test, filter_class in FieldListFilter._field_list_filters:
        if test(field):
            return filter_class
    return None


def filter_field_path(model, item) -> tuple[str, Field] | None:
    """``(field path, field)`` of a field filter declaration; ``None`` for a filter class."""
    if isinstance(item, list | tuple):
        item = item[0]
    if isinstance(item, Field):
        return item.name, item
    if isinstance(item, str):
        return item, get_fields_from_path(model, item)[-1]
    return None


def scoped_list_filter(model, list_filter) -> list:
    """``list_filter`` with every related or distinct-value filter replaced by its scoped subclass."""
    scoped = []
    for item in list_filter:
        if isinstance(item, list | tuple):
            scoped.append((item[0], scoped_filter_class(item[1])))
            continue
        resolved = filter_field_path(model, item)
        if resolved is not None:
            _path, field = resolved
            filter_class = default_filter_class(field)
            replacement = scoped_filter_class(filter_class)
            if replacement is not filter_class:
                scoped.append((item, replacement))
                continue
        scoped.append(item)
    return scoped


def simple_filter_choices(model_admin, request) -> dict[str, set[str]]:
    """The option values of an admin's own (``SimpleListFilter``) filters, by parameter name.

    They are words chosen by the admin ("deleted=yes"), not typed by the user,
    so the audit keeps them as they are.
    """
    options: dict[str, set[str]] = {}
    for item in model_admin.get_list_filter(request):
        if not (isinstance(item, type) and issubclass(item, SimpleListFilter)):
            continue
        try:
            spec = item(request, {}, model_admin.model, model_admin)
        except Exception:  # a filter whose options need more than the request: keep its values protected
            continue
        options[spec.parameter_name] = {str(value) for value, _label in spec.lookup_choices}
    return options
