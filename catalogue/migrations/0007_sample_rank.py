"""The search documents gain tokens saying how many libraries hold each work (``r:2``…,
catalogue.search.documents.HELD_BY), so that a broad query reads its best-held title and
author matches among the works held by enough libraries: every document is queued to be
written again (until it is, broad queries read their candidates as before). On
PostgreSQL, the search sample also keeps each work's static rank, so that a query's
sizing says how many of its matches each threshold holds."""

from django.db import migrations

POSTGRESQL = [
    "ALTER TABLE catalogue_workindex_sample ADD COLUMN rank integer NOT NULL DEFAULT 0",
    """UPDATE catalogue_workindex_sample AS sample SET rank = document.rank
        FROM catalogue_workindex AS document WHERE document.work_id = sample.work_id""",
    """INSERT INTO catalogue_pendingindex (work_id)
        SELECT work_id FROM catalogue_workindex ON CONFLICT DO NOTHING""",
]
POSTGRESQL_REVERSE = ["ALTER TABLE catalogue_workindex_sample DROP COLUMN rank"]
SQLITE = [
    """INSERT OR IGNORE INTO catalogue_pendingindex (work_id)
        SELECT work_id FROM catalogue_workindex""",
]


def _run(statements: dict):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0006_sample_follows_by_trigger")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE}),
        )
    ]
