"""Bulk writes of whole rows, and their django-simple-history rows, in raw SQL.

Why raw SQL: the encounter import writes four tables (patients, encounters and
their two history tables). ``bulk_create_with_history`` and
``bulk_update_with_history`` build a model instance per row and per history
row and push every value through Django's insert compiler (``pre_save``,
``get_db_prep_save`` and SQL assembly per value, at most 999 parameters per
statement on SQLite); that alone cost more than the whole budget of the import
(STACK.md trap 5 still applies: plain ``bulk_create`` writes no history, so
history has to be written somewhere). Here the rows are plain tuples built
from the validated plan, values are converted once per column kind, and they
go to the database with:

- SQLite: one ``executemany`` per table (the sqlite3 module loops in C);
- PostgreSQL: ``COPY ... FROM STDIN`` through psycopg 3's ``cursor.copy()``
  for inserts, ``UPDATE ... FROM (VALUES ...)`` for updates.

Column lists come from the models' ``_meta`` (so a new field is picked up) and
values are converted the way ``Field.get_db_prep_save`` would convert them
(UUIDs, aware datetimes), with fast paths for the common column kinds.

History rows carry what ``bulk_history_create`` would write: every tracked
field of the row as saved, ``history_date``, ``history_user_id``,
``history_type`` (``+`` created, ``~`` changed) and ``history_change_reason``.
Statements go through the connection's execute wrappers, so query counters
(the benchmark, ``assertNumQueries``) still see each of them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

# Fields whose Python values the database adapters take as they are.
_PLAIN = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "EmailField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallAutoField",
    "SmallIntegerField",
    "TextField",
    "URLField",
}
# Rows per UPDATE ... FROM (VALUES ...) statement (PostgreSQL allows 65,535 parameters).
UPDATE_BATCH = 1000
# PostgreSQL column types (Django's ``db_type`` without its length) that binary COPY
# handles, and the psycopg type names whose binary dumpers write them.
_BINARY_COPY_TYPES = {
    "uuid": "uuid",
    "timestamp with time zone": "timestamptz",
    "date": "date",
    "varchar": "varchar",
    "text": "text",
    "boolean": "bool",
    "smallint": "int2",
    "integer": "int4",
    "bigint": "int8",
}


def _target(field):
    """The field whose database type a column has (a foreign key's target field)."""
    while field.is_relation:
        field = field.target_field
    return field


def _converter(field, connection):
    """A function taking a non-None Python value to its database value, or None for "as is"."""
    kind = _target(field).get_internal_type()
    if kind in _PLAIN:
        return None
    if kind == "UUIDField":
        if connection.features.has_native_uuid_field:
            return None
        return lambda value: value.hex
    if kind == "DateTimeField":
        if connection.vendor == "postgresql":
            return None  # psycopg sends aware datetimes as timestamptz
        if connection.vendor == "sqlite":
            # What DatabaseOperations.adapt_datetimefield_value does: naive in the
            # connection's time zone (UTC), as text.
            zone = connection.timezone

            def sqlite_datetime(value, zone=zone):
                if value.tzinfo is not None:
                    value = value.astimezone(zone).replace(tzinfo=None)
                return str(value)

            return sqlite_datetime
    if kind == "DateField" and connection.vendor == "postgresql":
        return None
    if kind == "DateField" and connection.vendor == "sqlite":
        return str
    target = _target(field)
    return lambda value: target.get_db_prep_save(value, connection)


class Table:
    """One model's table: columns in ``_meta.concrete_fields`` order and their converters."""

    def __init__(self, model, connection, *, skip_primary_auto: bool = False):
        fields = [
            field
            for field in model._meta.concrete_fields
            if not (skip_primary_auto and field.primary_key and field.get_internal_type().endswith("AutoField"))
        ]
        self.model = model
        self.connection = connection
        self.fields = fields
        self.attnames = [field.attname for field in fields]
        self.columns = [field.column for field in fields]
        self.index = {name: position for position, name in enumerate(self.attnames)}
        self.db_table = model._meta.db_table
        self.copy_types = _binary_copy_types(fields, connection)
        self._converters = [
            (position, converter)
            for position, converter in enumerate(_converter(field, connection) for field in fields)
            if converter is not None
        ]
        # New rows start from the fields' defaults; callable defaults (uuid4) run per row.
        self.template = []
        self._dynamic = []
        for position, field in enumerate(fields):
            if field.has_default() and callable(field.default):
                self.template.append(None)
                self._dynamic.append((position, field.default))
            else:
                self.template.append(field.get_default())

    def new_row(self, values: dict) -> list:
        """A full row (Python values) for a new record: defaults, then ``values``."""
        row = self.template[:]
        for position, default in self._dynamic:
            row[position] = default()
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        return row

    def row_maker(self, names: Sequence[str]):
        """:meth:`new_row` for values given positionally, in the order of ``names`` (no dict per row)."""
        positions = [self.index[name] for name in names]
        template, dynamic = self.template, self._dynamic

        def make(values: Sequence) -> list:
            row = template[:]
            for position, default in dynamic:
                row[position] = default()
            for position, value in zip(positions, values, strict=True):
                row[position] = value
            return row

        return make

    def prepare(self, rows: Iterable[Sequence]) -> list[list]:
        """Rows of Python values (in column order) converted to database values."""
        converters = self._converters
        prepared = []
        append = prepared.append
        for row in rows:
            row = list(row)
            for position, convert in converters:
                value = row[position]
                if value is not None:
                    row[position] = convert(value)
            append(row)
        return prepared

    def convert(self, name: str, value):
        """One value of column ``name`` as the database takes it."""
        for position, convert in self._converters:
            if self.attnames[position] == name:
                return convert(value) if value is not None else None
        return value


def _binary_copy_types(fields, connection) -> list[str] | None:
    """psycopg type names for ``COPY ... (FORMAT BINARY)`` of these columns, or None (text COPY).

    Binary COPY sends UUIDs as 16 bytes and timestamps as integers: psycopg does
    not format them as text and the server does not parse them (psycopg's row
    formatting fell about fourfold). It needs every column's exact type (the
    server applies no cast) and values of the matching Python type (``UUID``
    objects, not strings), so a column of any other type falls back to text.
    """
    if connection.vendor != "postgresql":
        return None
    names = []
    for field in fields:
        db_type = _target(field).db_type(connection)
        name = _BINARY_COPY_TYPES.get(db_type.split("(")[0].strip().lower()) if db_type else None
        if name is None:
            return None
        names.append(name)
    return names


class HistoryTable(Table):
    """The django-simple-history table of ``model``, filled from rows of the model's own :class:`Table`."""

    def __init__(self, model, connection, source: Table):
        super().__init__(model.history.model, connection, skip_primary_auto=True)
        extra = {"history_date", "history_change_reason", "history_type", "history_user_id"}
        self._picks = []
        for name in self.attnames:
            if name in extra:
                self._picks.append(None)
            else:
                # Tracked fields keep the original field's type: the source row's
                # already converted value can be copied as it is.
                self._picks.append(source.index[name])
        self._extra_positions = {name: self.index[name] for name in extra}

    def rows_for(self, prepared_rows, *, history_type: str, user_id, date: datetime.datetime, reason) -> list[list]:
        """History rows (database values) for rows already passed through the source table's ``prepare``."""
        constants = {
            "history_date": self.convert("history_date", date),
            "history_change_reason": reason,
            "history_type": history_type,
            "history_user_id": self.convert("history_user_id", user_id),
        }
        template = [None] * len(self.attnames)
        for name, position in self._extra_positions.items():
            template[position] = constants[name]
        picks = [(position, source) for position, source in enumerate(self._picks) if source is not None]
        rows = []
        for prepared in prepared_rows:
            row = template[:]
            for position, source in picks:
                row[position] = prepared[source]
            rows.append(row)
        return rows


# --- statements ---------------------------------------------------------------------


def _run(connection, cursor, sql: str, params, executor) -> None:
    """Run ``executor`` through the connection's execute wrappers (query counters see it)."""
    call = executor
    for wrapper in reversed(connection.execute_wrappers):
        call = _bind(wrapper, call)
    call(sql, params, True, {"connection": connection, "cursor": cursor})


def _bind(wrapper, call):
    return lambda sql, params, many, context: wrapper(call, sql, params, many, context)


def insert(table: Table, rows: list[list]) -> None:
    """Insert prepared rows (database values, in ``table.columns`` order)."""
    if not rows:
        return
    connection = table.connection
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in table.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = table.copy_types
            sql = f"COPY {quote(table.db_table)} ({columns}) FROM STDIN"
            if types is not None:
                sql += " (FORMAT BINARY)"

            def copy(sql, params, many, context):
                with context["cursor"].cursor.copy(sql) as copy:
                    if types is not None:
                        copy.set_types(types)
                    write_row = copy.write_row
                    for row in params:
                        write_row(row)

            _run(connection, cursor, sql, rows, copy)
        else:
            placeholders = ", ".join(["%s"] * len(table.columns))
            cursor.executemany(f"INSERT INTO {quote(table.db_table)} ({columns}) VALUES ({placeholders})", rows)


def update(table: Table, rows: list[list], names: Sequence[str], key: str = "id") -> None:
    """Set the columns ``names`` of prepared rows (full rows, in column order), matched on ``key``."""
    if not rows or not names:
        return
    connection = table.connection
    quote = connection.ops.quote_name
    positions = [table.index[name] for name in names]
    key_position = table.index[key]
    fields = [table.fields[position] for position in positions]
    key_field = table.fields[key_position]
    db_table = quote(table.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement per batch; the casts give the VALUES list its column types
            # (a None or text parameter alone would not say it is a timestamp or a uuid).
            casts = [_target(field).db_type(connection) for field in (key_field, *fields)]
            row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
            alias = ", ".join(quote(f"v_{field.column}") for field in (key_field, *fields))
            assignments = ", ".join(f"{quote(field.column)} = v.{quote('v_' + field.column)}" for field in fields)
            for start in range(0, len(rows), UPDATE_BATCH):
                batch = rows[start : start + UPDATE_BATCH]
                params = []
                for row in batch:
                    params.append(row[key_position])
                    params.extend(row[position] for position in positions)
                cursor.execute(
                    f"UPDATE {db_table} AS t SET {assignments} FROM (VALUES {', '.join([row_sql] * len(batch))}) "
                    f"AS v({alias}) WHERE t.{quote(key_field.column)} = v.{quote('v_' + key_field.column)}",
                    params,
                )
        else:
            assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
            cursor.executemany(
                f"UPDATE {db_table} SET {assignments} WHERE {quote(key_field.column)} = %s",
                [[row[position] for position in positions] + [row[key_position]] for row in rows],
            )
