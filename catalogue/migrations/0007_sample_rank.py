"""PostgreSQL: the search sample keeps each work's static rank, so that a broad query's
sizing also says how many of its title and author matches each threshold of libraries
holds (catalogue.search.postgres); and the documents are queued to be written again,
with the tokens of those thresholds in their ranking vector (until they are, broad
queries read their candidates the way they did before)."""

from django.db import migrations

POSTGRESQL = [
    "ALTER TABLE catalogue_workindex_sample ADD COLUMN rank integer NOT NULL DEFAULT 0",
    """UPDATE catalogue_workindex_sample AS sample SET rank = document.rank
        FROM catalogue_workindex AS document WHERE document.work_id = sample.work_id""",
    """INSERT INTO catalogue_pendingindex (work_id)
        SELECT work_id FROM catalogue_workindex ON CONFLICT DO NOTHING""",
]
POSTGRESQL_REVERSE = ["ALTER TABLE catalogue_workindex_sample DROP COLUMN rank"]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0006_sample_follows_by_trigger")]

    operations = [migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_REVERSE))]
