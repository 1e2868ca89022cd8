"""Hand-written statements for the member API's hottest requests (a whole contest saving
answers, every open lesson's heartbeat: bench/quiz_load.py) and for the grading worker's
batches, where building a query through the ORM costs more CPU than the database spends
running it.

Reads: ``columns`` names a model's columns for a SELECT; ``loaded`` runs the statement on a
bare cursor and builds the model instances from those columns, converted exactly as the ORM
converts them (JSON, SQLite's text datetimes), with the statement's further columns beside
them. ``Model.objects.raw`` does the same through a RawQuerySet, at about twice the CPU of the
statement itself: it works out the columns' mapping and converters again for every query.

Writes of many rows: ``upsert_rows`` and ``update_rows`` send one short statement per row, all
at once (psycopg's pipeline; SQLite's executemany), with values prepared as the ORM prepares
them. ``bulk_create(update_conflicts=True)`` and ``bulk_update`` build one statement with a
placeholder per value (``bulk_update`` a CASE per field over every row), which the driver then
parses again: for a contest's hand-ins that was most of the grading's CPU.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model


def hot_connection():
    """The default database's connection itself: ``django.db.connection`` is a proxy that looks
    it up again on every attribute (a few microseconds, a dozen times a hot request)."""
    return connections[DEFAULT_DB_ALIAS]


@functools.cache
def _fields(model: type[Model], names: frozenset[str]) -> tuple:
    # In the model's order: Model.from_db takes the loaded values in that order.
    wanted = {model._meta.get_field(name) for name in names}
    return tuple(field for field in model._meta.concrete_fields if field in wanted)


def columns(model: type[Model], names: Sequence[str], table: str = "") -> str:
    """``names`` (field names) of ``model`` as a quoted column list, ``table``-qualified, in
    the order ``loaded`` reads them."""
    q = connection.ops.quote_name
    prefix = f"{table}." if table else ""
    return ", ".join(prefix + q(field.column) for field in _fields(model, frozenset(names)))


@functools.cache
def _converters(model: type[Model], names: frozenset[str], vendor: str) -> tuple[tuple[str, ...], tuple]:
    fields = _fields(model, names)
    steps = []
    for index, field in enumerate(fields):
        column = field.cached_col
        chain = [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]
        if chain:
            steps.append((index, column, tuple(chain)))
    return tuple(field.attname for field in fields), tuple(steps)


def loaded(model: type[Model], names: Sequence[str], sql: str, params: Sequence) -> list[tuple[Model, tuple]]:
    """Each row of ``sql`` as (an instance of ``model`` with ``names`` loaded and its other
    fields deferred, the row's remaining columns unconverted). The statement selects
    ``names``' columns first, as ``columns`` lists them."""
    db = hot_connection()
    attnames, steps = _converters(model, frozenset(names), db.vendor)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = len(attnames)
    result = []
    for row in rows:
        values = list(row[:width])
        for index, column, chain in steps:
            for convert in chain:
                values[index] = convert(values[index], column, db)
        result.append((model.from_db(db.alias, attnames, values), row[width:]))
    return result


#: Column types whose Python values the database drivers take as they are: no preparing.
_PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "FloatField",
        "BooleanField",
        "ForeignKey",
        "OneToOneField",
    }
)


@functools.cache
def _write_fields(model: type[Model], names: tuple[str, ...]) -> tuple:
    meta = model._meta
    return tuple(meta.get_field(name) for name in names)


def _prepared(fields: tuple, rows) -> list[list]:
    """Each row's values as the database takes them (``get_db_prep_save``: JSON, datetimes on
    SQLite…), numbers and booleans as they are. A batch repeats its moments (every answer of an
    attempt carries its hand-in time): each distinct value is prepared once."""
    db = hot_connection()
    steps = [(index, field) for index, field in enumerate(fields) if field.get_internal_type() not in _PLAIN_TYPES]
    done: dict = {}
    prepared = []
    for row in rows:
        values = list(row)
        for index, field in steps:
            value = values[index]
            try:
                values[index] = done[index, value]
            except KeyError:
                values[index] = done[index, value] = field.get_db_prep_save(value, db)
            except TypeError:  # unhashable: a JSON list or object
                values[index] = field.get_db_prep_save(value, db)
        prepared.append(values)
    return prepared


@functools.cache
def _upsert_sql(model: type[Model], names: tuple[str, ...], unique: tuple[str, ...], update: tuple[str, ...], vendor):
    q = connection.ops.quote_name
    column = {field.name: q(field.column) for field in _write_fields(model, names)}
    return (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(column[name] for name in names)}) "
        f"VALUES ({', '.join(['%s'] * len(names))}) "
        f"ON CONFLICT ({', '.join(column[name] for name in unique)}) "
        f"DO UPDATE SET {', '.join(f'{column[name]} = EXCLUDED.{column[name]}' for name in update)}"
    )


def upsert_rows(
    model: type[Model], names: Sequence[str], rows, *, unique: Sequence[str], update: Sequence[str]
) -> None:
    """Insert each row (the values of ``names``, in that order), or set ``update`` of the row
    already stored under the same ``unique`` fields. One short statement, sent for all the
    rows at once (psycopg pipelines it; SQLite's executemany): a multi-row statement built
    through the ORM (``bulk_create(update_conflicts=True)``) cost the grading worker more CPU
    to build and to hand to the driver than the database spent running it."""
    names = tuple(names)
    rows = _prepared(_write_fields(model, names), rows)
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_upsert_sql(model, names, tuple(unique), tuple(update), connection.vendor), rows)


@functools.cache
def _update_sql(model: type[Model], names: tuple[str, ...], by: str, vendor) -> str:
    q = connection.ops.quote_name
    fields = _write_fields(model, names)
    assignments = ", ".join(f"{q(field.column)} = %s" for field in fields)
    return f"UPDATE {q(model._meta.db_table)} SET {assignments} WHERE {q(model._meta.get_field(by).column)} = %s"


def update_rows(model: type[Model], names: Sequence[str], rows, *, by: str = "id") -> None:
    """Set ``names`` of the row whose ``by`` is the last value of each row (the values of
    ``names`` first, in that order): ``upsert_rows``' counterpart for rows known to exist
    (``bulk_update`` builds one CASE per field over every row)."""
    names = tuple(names)
    rows = _prepared(_write_fields(model, (*names, by)), rows)
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_update_sql(model, names, by, connection.vendor), rows)
