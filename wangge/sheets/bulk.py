"""Bulk reads and writes for imports, as plain parameterised statements through Django's connection.

`Model.objects.bulk_create` spends most of its time in Python preparing each field of each object
(about 25 µs a row for a resident on the reference machine, several times the database's own
cost), and `filter(x__in=[...])` prepares every listed value the same way. An import already holds
validated plain values, so it sends tuples with `executemany`; values that need the backend's
adaptation (dates, datetimes, JSON) go through the field's own adaptation, once per distinct value.
Works the same on SQLite and PostgreSQL. No signals are sent and no model `save()` runs: callers
are import writers that validated every value themselves.
"""

from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils.dateparse import parse_date, parse_datetime

_ADAPTED = {"DateField", "DateTimeField", "JSONField", "DecimalField", "UUIDField", "TimeField", "DurationField"}
_REPEATING = {"DateField", "DateTimeField", "TimeField"}  # few distinct values: adapt each once


def _connection():
    return connections[DEFAULT_DB_ALIAS]  # resolved once per call: the proxy costs a lookup per use


def adapter(model: type[models.Model], name: str) -> Callable | None:
    """The function that turns a Python value of this field into what the database driver takes,
    or None when the value goes as it is. Dates and datetimes are memoised (an import has few)."""
    connection = _connection()
    field = model._meta.get_field(name)
    kind = field.get_internal_type()
    if kind not in _ADAPTED:
        return None
    if kind == "DateField":
        convert = connection.ops.adapt_datefield_value
    elif kind == "DateTimeField":
        convert = connection.ops.adapt_datetimefield_value
    else:

        def convert(value):
            return field.get_db_prep_save(value, connection)

    if kind not in _REPEATING:
        return lambda value: None if value is None else convert(value)
    memo: dict = {None: None}

    def memoised(value):
        try:
            return memo[value]
        except KeyError:
            memo[value] = done = convert(value)
            return done

    return memoised


def _adapt(rows: Sequence[Sequence], converters: list) -> list:
    active = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
    if not active:
        return rows
    adapted = []
    for row in rows:
        row = list(row)
        for index, convert in active:
            row[index] = convert(row[index])
        adapted.append(row)
    return adapted


def _quoted(connection, model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence], *, adapted: bool = False
) -> None:
    """INSERT one row per tuple (values in the order of `fields`). With adapted=True the caller has
    already passed every value through `adapter()` while building the tuples (one pass, not two)."""
    if not rows:
        return
    connection = _connection()
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_quoted(connection, model, name) for name in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    if not adapted:
        rows = _adapt(rows, [adapter(model, name) for name in fields])
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10_000):
            cursor.executemany(sql, rows[start : start + 10_000])


def insert_with_ids(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence], *, key: str, adapted: bool = False
) -> list:
    """INSERT like `insert_rows` and return the new primary keys in the order of `rows`, without
    reading them back row by row. Call it inside a transaction.

    PostgreSQL: the keys are drawn from the table's own sequence first and inserted with the rows.
    SQLite: a database has one writer at a time, so the rows of this insert get consecutive rowids
    (`AUTOINCREMENT`: each one more than the last); the highest id after the insert gives them all,
    checked by counting. Anything unexpected falls back to looking the keys up by `key`, a unique
    field given in each row."""
    if not rows:
        return []
    connection = _connection()
    if not adapted:
        rows = _adapt(rows, [adapter(model, name) for name in fields])
        adapted = True
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    count = len(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column, count],
            )
            ids = [row[0] for row in cursor.fetchall()]
        insert_rows(
            model, (model._meta.pk.name, *fields), [(pk_value, *row) for pk_value, row in zip(ids, rows)], adapted=True
        )
        return ids
    if connection.vendor == "sqlite" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max({pk}) FROM {table}")
            before = cursor.fetchone()[0] or 0
            insert_rows(model, fields, rows, adapted=True)
            cursor.execute(f"SELECT max({pk}) FROM {table}")
            last = cursor.fetchone()[0]
            first = last - count + 1
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {pk} >= %s", [first])
            if first > before and cursor.fetchone()[0] == count:
                return list(range(first, last + 1))
    else:
        insert_rows(model, fields, rows, adapted=True)
    position = list(fields).index(key)
    found = pks_by(model, key, [row[position] for row in rows])
    return [found[row[position]] for row in rows]


def copy_rows(
    model: type[models.Model],
    fields: Sequence[str],
    source: type[models.Model],
    source_fields: Sequence[str],
    *,
    constants: Sequence = (),
    where: dict,
    pk_range: tuple[int, int],
) -> None:
    """INSERT INTO model (fields) SELECT source_fields, constants FROM source WHERE each `where`
    column equals its value and the source's pk lies in pk_range: rows derived from rows just
    written, without sending anything per row. `fields` names the source columns' targets first,
    then the constants' (already adapted, like `insert_rows` values)."""
    connection = _connection()
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_quoted(connection, model, name) for name in fields)
    selected = [_quoted(connection, source, name) for name in source_fields]
    for name in fields[len(source_fields) :]:
        # PostgreSQL would take an untyped parameter in a SELECT list for text; SQLite must not
        # cast at all (CAST(... AS date) makes a number there).
        cast = connection.vendor == "postgresql"
        selected.append(f"CAST(%s AS {model._meta.get_field(name).db_type(connection)})" if cast else "%s")
    conditions = [f"{_quoted(connection, source, name)} = %s" for name in where]
    pk = connection.ops.quote_name(source._meta.pk.column)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {', '.join(selected)} "
        f"FROM {connection.ops.quote_name(source._meta.db_table)} "
        f"WHERE {' AND '.join(conditions)} AND {pk} BETWEEN %s AND %s ORDER BY {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants, *where.values(), *pk_range])


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence]) -> None:
    """UPDATE … SET fields WHERE pk: each tuple holds the new values in the order of `fields`,
    then the primary key."""
    if not rows:
        return
    connection = _connection()
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{_quoted(connection, model, name)} = %s" for name in fields)
    pk = connection.ops.quote_name(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"
    rows = _adapt(rows, [*(adapter(model, name) for name in fields), None])
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10_000):
            cursor.executemany(sql, rows[start : start + 10_000])


def roomy_cache() -> None:
    """SQLite's default page cache (2 MB) thrashes when 100,000 rows go into a table whose indexes
    have random keys (blind indexes): give this connection 64 MB. PostgreSQL needs nothing here."""
    connection = _connection()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -65536")


def _reader(model, name: str) -> Callable | None:
    """SQLite hands dates back as text; PostgreSQL as dates. Make them dates either way."""
    kind = model._meta.get_field(name).get_internal_type()
    if kind == "DateField":
        return lambda value: parse_date(value) if isinstance(value, str) else value
    if kind == "DateTimeField":
        return lambda value: parse_datetime(value) if isinstance(value, str) else value
    return None


def rows_in(
    model: type[models.Model], key: str, values: Sequence, fields: Sequence[str], *, for_update: bool = False
) -> list[tuple]:
    """SELECT fields FROM the model's table WHERE key IN values, in chunks: plain columns of one
    table (no joins), dates as dates. `for_update` locks the rows where the database can."""
    if not values:
        return []
    connection = _connection()
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_quoted(connection, model, name) for name in fields)
    key_column = _quoted(connection, model, key)
    lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""
    readers = [(index, read) for index, name in enumerate(fields) if (read := _reader(model, name))]
    found = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), 2000):
            chunk = list(values[start : start + 2000])
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE {key_column} IN ({', '.join(['%s'] * len(chunk))}){lock}", chunk
            )
            for row in cursor.fetchall():
                if readers:
                    row = list(row)
                    for index, read in readers:
                        row[index] = read(row[index])
                found.append(tuple(row))
    return found


def pks_by(model: type[models.Model], field: str, values: Sequence) -> dict:
    """{value of a unique field: primary key} for the given values, in a few queries."""
    return dict(rows_in(model, field, values, [field, model._meta.pk.name]))


__all__ = ["adapter", "insert_rows", "insert_with_ids", "copy_rows", "update_rows", "rows_in", "pks_by", "roomy_cache"]
