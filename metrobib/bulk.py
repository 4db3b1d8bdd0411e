"""Inserting many rows fast: COPY on PostgreSQL, ``bulk_create`` elsewhere.

Harvests insert hundreds of thousands of rows. On PostgreSQL, ``COPY`` skips building
and parsing a giant ``INSERT`` (most of the cost of ``bulk_create`` for wide rows); the
primary keys are taken from the table's sequence first, so the caller gets them as with
``bulk_create``. Values are prepared by each field (JSON, bytes, dates), so what is
stored is what the ORM would store.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


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
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
                )
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
