"""Hand-written statements for the member API's hottest requests (a whole contest saving
answers, every open lesson's heartbeat: bench/quiz_load.py), where building a query through
the ORM costs more CPU than the database spends running it.

``columns`` names a model's columns for a SELECT; ``loaded`` runs the statement on a bare
cursor and builds the model instances from those columns, converted exactly as the ORM
converts them (JSON, SQLite's text datetimes), with the statement's further columns beside
them. ``Model.objects.raw`` does the same through a RawQuerySet, at about twice the CPU of the
statement itself: it works out the columns' mapping and converters again for every query.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


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
    attnames, steps = _converters(model, frozenset(names), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = len(attnames)
    result = []
    for row in rows:
        values = list(row[:width])
        for index, column, chain in steps:
            for convert in chain:
                values[index] = convert(values[index], column, connection)
        result.append((model.from_db(connection.alias, attnames, values), row[width:]))
    return result
