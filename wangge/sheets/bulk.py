"""Bulk writes for imports, as plain parameterised statements through Django's connection.

`Model.objects.bulk_create` spends most of its time in Python preparing each field of each object
(about 25 µs a row for a resident on the reference machine, several times the database's own cost).
An import already holds validated plain values, so it sends tuples with `executemany`; values that
need the backend's adaptation (dates, datetimes, JSON) go through the field's own `get_db_prep_save`.
Works the same on SQLite and PostgreSQL. No signals are sent and no model `save()` runs: callers
are import writers that validated every value themselves.
"""

from collections.abc import Iterable, Sequence

from django.db import connection, models

_ADAPTED = {"DateField", "DateTimeField", "JSONField", "DecimalField", "UUIDField", "TimeField", "DurationField"}


def _converters(model: type[models.Model], fields: Sequence[str]) -> list:
    converters = []
    for name in fields:
        field = model._meta.get_field(name)
        if field.get_internal_type() in _ADAPTED:
            converters.append(lambda value, field=field: field.get_db_prep_save(value, connection))
        else:
            converters.append(None)
    return converters


def _adapt(rows: Iterable[Sequence], converters: list) -> list[tuple]:
    active = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
    if not active:
        return [tuple(row) for row in rows]
    adapted = []
    for row in rows:
        row = list(row)
        for index, convert in active:
            if row[index] is not None:
                row[index] = convert(row[index])
        adapted.append(tuple(row))
    return adapted


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence], batch: int = 5000) -> None:
    """INSERT one row per tuple (values in the order of `fields`)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_column(model, name) for name in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    converters = _converters(model, fields)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, _adapt(rows[start : start + batch], converters))


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence], batch: int = 5000) -> None:
    """UPDATE … SET fields WHERE pk: each tuple holds the new values in the order of `fields`,
    then the primary key."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{_column(model, name)} = %s" for name in fields)
    pk = connection.ops.quote_name(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"
    converters = [*_converters(model, fields), None]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, _adapt(rows[start : start + batch], converters))


def pks_by(model: type[models.Model], field: str, values: Sequence, batch: int = 2000) -> dict:
    """{value of a unique field: primary key} for the given values, in a few queries."""
    found = {}
    manager = model._default_manager
    for start in range(0, len(values), batch):
        chunk = values[start : start + batch]
        found.update(manager.filter(**{f"{field}__in": chunk}).values_list(field, "pk"))
    return found
