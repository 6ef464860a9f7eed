"""The columns of a list export: what each holds, its header and the type of its cells.

A column reads one or more ORM paths of the rows (fetched with
``values_list``, a chunk at a time) and turns them into one typed cell value:

- numbers stay numbers (a score is ``80``, not ``"80.00"``);
- dates and times are ``date`` / naive ``datetime`` in the project's time zone
  (Asia/Riyadh), which the writers store as real date cells (PostgreSQL
  returns stored date-times already as that zone's wall-clock time,
  :class:`LocalDateTime`; elsewhere the column converts them);
- yes/no and choices are words in the reader's language;
- fields listed in a model's ``px_masked_fields`` are masked for a reader who
  sees them masked (:mod:`px360.core.masking`, the one rule);
- headers are the fields' verbose names in the reader's language.

Where the columns come from, first match wins:

1. ``export_columns`` on the model admin: a list of ORM paths or
   :class:`Column` objects;
2. a provider registered for the model (:func:`register_columns`), so an app
   above ``core`` adds columns (one per survey question) without ``core``
   importing it;
3. the admin's import-export resource: each field whose attribute is an ORM
   path to a stored field;
4. the changelist's own columns (``list_display``): fields, ``__str__`` and the
   admin's display methods, read from the rows a chunk at a time.

Columns with work per chunk (labels of related rows, the answers of a chunk
of responses) declare a ``prepare`` hook; nothing is held beyond one chunk.
"""

from __future__ import annotations

import datetime
import decimal
import html
import json
import operator
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.admin.utils import label_for_field
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DateTimeField, Func
from django.utils.html import strip_tags
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from px360.core.masking import mask_national_id, path_touches_masked, sees_full_identifiers

# What a provider returns: the columns for this model, reader and rows.
ColumnProvider = Callable[..., list["Column"]]

_PROVIDERS: dict[str, ColumnProvider] = {}


def register_columns(model_label: str, provider: ColumnProvider) -> None:
    """Let an app name the export columns of one of its models (``provider(model, user=..., queryset=...)``)."""
    _PROVIDERS[model_label.lower()] = provider


def registered_provider(model) -> ColumnProvider | None:
    return _PROVIDERS.get(model._meta.label_lower)


def local_timezone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def yes_no() -> dict:
    """``True``/``False`` as words in the active language (``None`` stays empty)."""
    return {True: _("Yes"), False: _("No"), None: None}


@dataclass
class Column:
    """One column: a header and how to get its cell from a fetched row.

    ``paths`` are read with ``values_list`` (ORM paths, or expressions such
    as :class:`LocalDateTime`); ``convert`` receives their values
    (one argument per path) and returns the cell: ``str``, ``int``, ``float``,
    ``Decimal``, ``date``, naive ``datetime`` or ``None`` (empty). ``prepare``,
    if set, is called with each chunk of rows (and the index of the primary
    key in them) before its cells are read. ``width`` is the XLSX column width
    in characters.
    """

    header: str
    paths: tuple[str, ...] = ()
    convert: Callable[..., object] | None = None
    prepare: Callable[[Sequence[tuple], int], None] | None = None
    width: float = 16
    number_format: str | None = None


@dataclass
class ColumnSet:
    """Columns bound to one ``values_list`` row layout (the primary key first)."""

    columns: list[Column]
    paths: list[str] = field(default_factory=list)
    _plan: list = field(default_factory=list, repr=False)
    _hooks: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        self.paths = ["pk"]
        index = {"pk": 0}
        for column in self.columns:
            for path in column.paths:
                if path not in index:
                    index[path] = len(self.paths)
                    self.paths.append(path)
        self._plan = [_step(column, [index[path] for path in column.paths]) for column in self.columns]
        hooks = []
        for column in self.columns:
            if column.prepare is not None and column.prepare not in hooks:
                hooks.append(column.prepare)
        self._hooks = hooks

    @property
    def headers(self) -> list[str]:
        return [str(column.header) for column in self.columns]

    def prepare(self, chunk: Sequence[tuple]) -> None:
        for hook in self._hooks:
            hook(chunk, 0)

    def cells(self, row: tuple) -> list:
        # The inner loop of an export (once per cell): a column that reads
        # one value takes it by position and calls its converter directly (or
        # none); only a column of several paths calls a reader of the row.
        return [
            (row[position] if convert is None else convert(row[position])) if position >= 0 else convert(row)
            for position, convert in self._plan
        ]


def _step(column: Column, indices: list[int]) -> tuple[int, Callable | None]:
    """``(position, convert)`` for :meth:`ColumnSet.cells`; position ``-1``: ``convert`` reads the whole row."""
    if len(indices) == 1:
        return indices[0], column.convert
    return -1, _reader(column, indices)


def _reader(column: Column, indices: list[int]):
    """A column of several paths (or none): its converter called with those values (or the row)."""
    convert = column.convert
    if not indices:
        return convert
    values = operator.itemgetter(*indices)
    return lambda row: convert(*values(row))


# --- columns from model fields ------------------------------------------------------


_TEXT_TYPES = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}

_NUMBER_TYPES = {
    "IntegerField",
    "SmallIntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
    "FloatField",
    "DecimalField",
}


def _field_header(model, path: str) -> str:
    """The field's verbose name, prefixed by the relation's when the path crosses one."""
    fields_ = _fields_of(model, path)
    last = fields_[-1]
    name = _verbose_name(last)
    if len(fields_) == 1:
        return capfirst(name)
    relation = capfirst(str(fields_[0].verbose_name))
    return _("%(relation)s: %(field)s") % {"relation": relation, "field": name}


def _verbose_name(model_field) -> str:
    original = getattr(model_field, "translated_field", None)
    if original is not None:
        language = dict(settings.LANGUAGES).get(model_field.language, model_field.language)
        return _("%(field)s (%(language)s)") % {"field": original.verbose_name, "language": str(language)}
    return str(model_field.verbose_name)


def _fields_of(model, path: str) -> list:
    fields_ = []
    opts = model._meta
    for part in path.split("__"):
        model_field = opts.pk if part == "pk" else opts.get_field(part)
        fields_.append(model_field)
        if model_field.is_relation and model_field.related_model is not None:
            opts = model_field.related_model._meta
    return fields_


def resolves_to_field(model, path: str) -> bool:
    try:
        fields_ = _fields_of(model, path)
    except (FieldDoesNotExist, AttributeError):
        return False
    last = fields_[-1]
    # Reverse relations and many-to-many would multiply the rows.
    return all(getattr(f, "concrete", False) and not f.many_to_many for f in fields_) and (
        not last.is_relation or last.many_to_one or last.one_to_one
    )


def field_column(model, path: str, *, user, header: str | None = None) -> Column:
    """A column for an ORM path to a stored field, typed by the field."""
    model_field = _fields_of(model, path)[-1]
    header = header or _field_header(model, path)
    translated = _translated_paths(model_field, path)
    if translated:
        # The bare column of a translated field holds whichever language was
        # active at the last save: read the reader's language, then the other.
        return Column(header, translated, lambda mine, other: mine or other or None, width=_text_width(model_field))
    if path_touches_masked(model, path) and not sees_full_identifiers(user):
        return Column(header, (path,), _masked, width=16)
    if model_field.is_relation:
        return related_label_column(model_field.related_model, path, header)
    kind = model_field.get_internal_type()
    if getattr(model_field, "flatchoices", None):
        return Column(header, (path,), choice_labels(model_field.flatchoices).__getitem__)
    if kind in ("BooleanField", "NullBooleanField"):
        words = yes_no()
        return Column(header, (path,), words.get, width=10)
    if kind == "DateTimeField":
        return Column(header, (LocalDateTime(path),), local_datetime_converter(), width=17)
    if kind == "DateField":
        return Column(header, (path,), None, width=11)
    if kind in _NUMBER_TYPES:
        return Column(header, (path,), None, width=12, number_format="0.00" if kind == "DecimalField" else None)
    if kind == "JSONField":
        return Column(header, (path,), _json_text, width=30)
    if kind == "UUIDField":
        return Column(header, (path,), _text, width=36)
    # A plain text field's values are already text.
    convert = None if kind in _TEXT_TYPES and not hasattr(model_field, "from_db_value") else _text
    return Column(header, (path,), convert, width=_text_width(model_field))


class _Labels(dict):
    """Choice labels by value; a value without a label is shown as it is stored."""

    def __missing__(self, value):
        return value


def choice_labels(choices) -> dict:
    """A mapping from stored values to cells: each choice's label, empty for ``None`` and ``""``.

    Its ``__getitem__`` is the column's converter (one dictionary lookup a cell).
    """
    labels = _Labels((value, str(label)) for value, label in choices)
    labels[None] = None
    labels[""] = None
    return labels


def _translated_paths(model_field, path: str) -> tuple[str, str] | None:
    """``(<path>_<reader's language>, <path>_<other>)`` for a field with modeltranslation columns."""
    opts = model_field.model._meta
    languages = [code for code, _name in settings.LANGUAGES]
    siblings = []
    for code in languages:
        try:
            sibling = opts.get_field(f"{model_field.name}_{code}")
        except FieldDoesNotExist:
            return None
        if getattr(sibling, "translated_field", None) is not model_field:
            return None
        siblings.append(code)
    mine = (get_language() or settings.LANGUAGE_CODE)[:2]
    mine = mine if mine in siblings else siblings[0]
    other = next(code for code in siblings if code != mine)
    return f"{path}_{mine}", f"{path}_{other}"


def _text_width(model_field) -> float:
    length = getattr(model_field, "max_length", None) or 40
    return float(min(max(length, 10), 40))


def _masked(value):
    return mask_national_id(value) or None


def _text(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return str(value)


def _json_text(value):
    if value in (None, "", [], {}):
        return None
    return json.dumps(value, ensure_ascii=False, default=str)


class LocalDateTime(Func):
    """A stored date-time read as the wall-clock time of the project's time zone.

    PostgreSQL computes it (``AT TIME ZONE``, a naive ``timestamp``): its rows
    arrive ready for the sheet, and psycopg reads a naive timestamp in C,
    where the aware ones go through Django's Python loader (about 2
    microseconds each: three quarters of the CPU time of reading 500,000
    encounters). Other databases return the stored value, which
    :func:`local_datetime_converter` converts.
    """

    arity = 1
    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} AT TIME ZONE %s)", (*params, settings.TIME_ZONE)


def local_datetime_converter():
    """Aware datetimes to naive wall-clock times in the project's time zone (spreadsheets have no zones)."""
    zone = local_timezone()

    def convert(value):
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(zone).replace(tzinfo=None)

    return convert


def related_label_column(related_model, path: str, header: str) -> Column:
    """A foreign key shown as the related row's label, as the list shows it.

    Labels are read per chunk for the ids not seen yet; the cache is bounded so
    a long export keeps constant memory.
    """
    labels: dict = {}
    limit = 20_000
    position = {"index": None}

    def prepare(chunk, _pk_index):
        index = position["index"]
        missing = {row[index] for row in chunk if row[index] is not None and row[index] not in labels}
        if not missing:
            return
        if len(labels) + len(missing) > limit:
            labels.clear()
        manager = related_model._base_manager
        for obj in manager.filter(pk__in=missing):
            labels[obj.pk] = str(obj)

    column = Column(header, (path,), lambda value: labels.get(value) if value is not None else None, width=24)
    column.prepare = prepare
    column._position = position  # the ColumnSet binds it (see bind_positions)
    return column


# --- columns from the changelist (list_display) --------------------------------------


def instance_columns(model_admin, names: list, *, queryset) -> list[Column]:
    """Columns for ``__str__`` and display methods: the chunk's rows are read as objects once.

    The objects come from the list's own queryset (its annotations and
    ``list_select_related``), so display methods see what they see on screen.
    """
    model = model_admin.model
    objects: dict = {}

    def prepare(chunk, pk_index):
        objects.clear()
        objects.update((obj.pk, obj) for obj in queryset.order_by().filter(pk__in=[row[pk_index] for row in chunk]))

    columns = []
    for name in names:
        header = label_for_field(name, model, model_admin)
        getter = _display_getter(model_admin, name)

        def convert(pk, getter=getter):
            obj = objects.get(pk)
            return None if obj is None else display_value(getter(obj))

        columns.append(Column(capfirst(str(header)), ("pk",), convert, prepare=prepare, width=24))
    return columns


def _display_getter(model_admin, name):
    if callable(name):
        return name
    if name == "__str__":
        return str
    attr = getattr(model_admin, name, None)
    if attr is not None and callable(attr):
        return attr

    def read(obj):
        value = getattr(obj, name)
        return value() if callable(value) else value

    return read


def display_value(value):
    """What a display method returned, as a typed cell (Unfold labels, badges and HTML reduced to text)."""
    if isinstance(value, tuple | list):
        value = value[-1] if value else None
    if value is None:
        return None
    if isinstance(value, bool):
        return yes_no()[value]
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, datetime.datetime):
        return local_datetime_converter()(value)
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    text = html.unescape(strip_tags(str(value))).strip()
    return text or None


def list_display_columns(model_admin, request, *, user, queryset) -> list[Column]:
    model = model_admin.model
    columns: list[Column] = []
    pending: list = []

    def flush():
        if pending:
            columns.extend(instance_columns(model_admin, list(pending), queryset=queryset))
            pending.clear()

    for name in model_admin.get_list_display(request):
        if name == "action_checkbox":
            continue
        if isinstance(name, str) and resolves_to_field(model, name) and name not in ("pk", "id"):
            flush()
            columns.append(field_column(model, name, user=user))
        else:
            pending.append(name)
    flush()
    return columns


def resource_columns(model_admin, request, *, user) -> list[Column] | None:
    """Columns from the admin's import-export resource: its fields that are ORM paths to stored fields."""
    classes = getattr(model_admin, "resource_classes", None) or []
    if not classes:
        return None
    model = model_admin.model
    resource_class = classes[0]
    try:
        resource = resource_class(user=user)
    except TypeError:
        resource = resource_class()
    columns = []
    for resource_field in resource.get_export_fields():
        path = resource_field.attribute
        if not path or path in ("pk", "id") or not resolves_to_field(model, path):
            continue
        if _fields_of(model, path)[-1].primary_key:
            continue
        columns.append(field_column(model, path, user=user))
    return columns or None


def columns_for(model_admin, request, *, user, queryset) -> ColumnSet:
    """The export columns of ``model_admin``'s list for ``user`` (see the module docstring for the order)."""
    model = model_admin.model
    declared = getattr(model_admin, "export_columns", None)
    if declared:
        columns = [item if isinstance(item, Column) else field_column(model, item, user=user) for item in declared]
    elif (provider := registered_provider(model)) is not None:
        columns = provider(model, user=user, queryset=queryset, request=request)
    else:
        columns = resource_columns(model_admin, request, user=user) or list_display_columns(
            model_admin, request, user=user, queryset=queryset
        )
    return bind_positions(ColumnSet(columns))


def bind_positions(column_set: ColumnSet) -> ColumnSet:
    """Tell chunk hooks that read a path where it sits in the fetched rows."""
    for column in column_set.columns:
        position = getattr(column, "_position", None)
        if position is not None:
            position["index"] = column_set.paths.index(column.paths[0])
    return column_set
