"""Facet tokens as numbers (catalogue.search.facet_ids): the dictionary
``catalogue_facettoken``, and each search document's tokens as their numbers, 4 bytes
each, big-endian (``facet_ids``), in place of the tokens themselves (``facets``, a
``text[]`` on PostgreSQL; ``facet_list``, a text on SQLite). A query's facets are then
counted as one histogram over its matches' numbers instead of one database row per
token. The documents are converted here, so that facets stay counted without indexing
the catalogue again."""

import struct

from django.db import migrations, models

POSTGRESQL = [
    """INSERT INTO catalogue_facettoken (token)
        SELECT DISTINCT unnest(facets) FROM catalogue_workindex ORDER BY 1
        ON CONFLICT (token) DO NOTHING""",
    "ALTER TABLE catalogue_workindex ADD COLUMN facet_ids bytea NOT NULL DEFAULT ''",
    # One join of every document's tokens with the dictionary (a hash join: a probe of
    # the dictionary per document would read it whole each time while it has no
    # statistics yet).
    """UPDATE catalogue_workindex AS document SET facet_ids = numbered.packed FROM (
        SELECT filed.work_id, string_agg(int4send(token.id), ''::bytea ORDER BY token.id)
            AS packed
        FROM catalogue_workindex AS filed, unnest(filed.facets) AS listed (token)
        JOIN catalogue_facettoken AS token ON token.token = listed.token
        GROUP BY filed.work_id) AS numbered
        WHERE numbered.work_id = document.work_id""",
    "ALTER TABLE catalogue_workindex DROP COLUMN facets",
    "ALTER TABLE catalogue_workindex_sample ADD COLUMN facet_ids bytea NOT NULL DEFAULT ''",
    """UPDATE catalogue_workindex_sample AS sample SET facet_ids = document.facet_ids
        FROM catalogue_workindex AS document WHERE document.work_id = sample.work_id""",
    "ALTER TABLE catalogue_workindex_sample DROP COLUMN facets",
]
# The tokens of a document's numbers, in their order as text (as they were written).
_TOKENS = """ARRAY(
    SELECT token.token FROM generate_series(0, length(facet_ids) / 4 - 1) AS i
    JOIN catalogue_facettoken AS token ON token.id = (get_byte(facet_ids, 4 * i) << 24)
        | (get_byte(facet_ids, 4 * i + 1) << 16) | (get_byte(facet_ids, 4 * i + 2) << 8)
        | get_byte(facet_ids, 4 * i + 3)
    ORDER BY token.token)"""
POSTGRESQL_REVERSE = [
    "ALTER TABLE catalogue_workindex ADD COLUMN facets text[] NOT NULL DEFAULT '{}'",
    f"UPDATE catalogue_workindex SET facets = {_TOKENS} WHERE length(facet_ids) > 0",
    "ALTER TABLE catalogue_workindex DROP COLUMN facet_ids",
    "ALTER TABLE catalogue_workindex_sample ADD COLUMN facets text[] NOT NULL DEFAULT '{}'",
    """UPDATE catalogue_workindex_sample AS sample SET facets = document.facets
        FROM catalogue_workindex AS document WHERE document.work_id = sample.work_id""",
    "ALTER TABLE catalogue_workindex_sample DROP COLUMN facet_ids",
]
SEPARATOR = "\x1f"  # between the tokens of SQLite's former facet_list
CHUNK = 1000


def _sqlite_forward(cursor) -> None:
    cursor.execute("ALTER TABLE catalogue_workindex ADD COLUMN facet_ids BLOB NOT NULL DEFAULT x''")
    last = 0
    while True:
        cursor.execute(
            "SELECT work_id, facet_list FROM catalogue_workindex WHERE work_id > %s "
            "ORDER BY work_id LIMIT %s",
            [last, CHUNK],
        )
        rows = cursor.fetchall()
        if not rows:
            break
        last = rows[-1][0]
        lists = [(work_id, value.split(SEPARATOR) if value else []) for work_id, value in rows]
        tokens = sorted({token for _work_id, listed in lists for token in listed})
        cursor.executemany(
            "INSERT OR IGNORE INTO catalogue_facettoken (token) VALUES (%s)",
            [(token,) for token in tokens],
        )
        numbers = {}
        for start in range(0, len(tokens), 500):
            chunk = tokens[start : start + 500]
            marks = ", ".join("%s" for _ in chunk)
            cursor.execute(
                f"SELECT token, id FROM catalogue_facettoken WHERE token IN ({marks})",  # noqa: S608
                chunk,
            )
            numbers.update(cursor.fetchall())
        cursor.executemany(
            "UPDATE catalogue_workindex SET facet_ids = %s WHERE work_id = %s",
            [
                (_packed(sorted(numbers[token] for token in listed)), work_id)
                for work_id, listed in lists
                if listed
            ],
        )
    cursor.execute("ALTER TABLE catalogue_workindex DROP COLUMN facet_list")


def _packed(numbers: list[int]) -> bytes:
    return struct.pack(f">{len(numbers)}i", *numbers)


def _sqlite_reverse(cursor) -> None:
    cursor.execute("ALTER TABLE catalogue_workindex ADD COLUMN facet_list TEXT NOT NULL DEFAULT ''")
    cursor.execute("SELECT id, token FROM catalogue_facettoken")
    names = dict(cursor.fetchall())
    cursor.execute("SELECT work_id, facet_ids FROM catalogue_workindex WHERE length(facet_ids) > 0")
    rows = cursor.fetchall()
    cursor.executemany(
        "UPDATE catalogue_workindex SET facet_list = %s WHERE work_id = %s",
        [
            (
                SEPARATOR.join(
                    sorted(names[n] for n in struct.unpack(f">{len(value) // 4}i", value))
                ),
                work_id,
            )
            for work_id, value in rows
        ],
    )
    cursor.execute("ALTER TABLE catalogue_workindex DROP COLUMN facet_ids")


def _run(forward: bool):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            for statement in POSTGRESQL if forward else POSTGRESQL_REVERSE:
                schema_editor.execute(statement)
        elif vendor == "sqlite":
            with schema_editor.connection.cursor() as cursor:
                (_sqlite_forward if forward else _sqlite_reverse)(cursor)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0007_sample_rank")]

    operations = [
        migrations.CreateModel(
            name="FacetToken",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("token", models.TextField(unique=True)),
            ],
        ),
        migrations.RunPython(_run(forward=True), _run(forward=False)),
    ]
