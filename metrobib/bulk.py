"""Inserting many rows fast: COPY on PostgreSQL, ``bulk_create`` elsewhere.

Harvests insert hundreds of thousands of rows. On PostgreSQL, ``COPY`` skips building
and parsing a giant ``INSERT`` (most of the cost of ``bulk_create`` for wide rows); the
primary keys are taken from the table's sequence first, so the caller gets them as with
``bulk_create``. Values are prepared by each field (JSON, bytes, dates), so what is
stored is what the ORM would store.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Model


def _preparer(field) -> Callable[[Any], Any]:
    """How a field's Python value goes into COPY. Most values go as they are (psycopg
    adapts str, int, bool, bytes, dates); JSON is written as text, which COPY parses;
    other fields are prepared by Django, as an INSERT would."""
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    if isinstance(
        field,
        models.CharField | models.TextField | models.IntegerField | models.BooleanField
        | models.ForeignKey | models.BinaryField | models.DateTimeField,
    ):  # fmt: skip
        return _as_is
    return lambda value: field.get_db_prep_save(value, connection)


def _as_is(value):
    return value


def insert(objects: Sequence[Model]) -> None:
    """Insert unsaved instances of one model and set their primary keys."""
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
        prepared = [(f, _preparer(f)) for f in fields]
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row([prepare(f.pre_save(obj, True)) for f, prepare in prepared])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_rows(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert plain rows (values for ``columns``, field names whose values need no
    preparation: text, numbers, booleans, foreign keys) without making model instances;
    the primary key comes from the table's default."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return
    meta = model._meta
    names = ", ".join(connection.ops.quote_name(meta.get_field(c).column) for c in columns)
    table = connection.ops.quote_name(meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
