"""PostgreSQL: the search sample follows the search documents by triggers, not by a foreign
key. Django's ``flush`` (and any TRUNCATE of the documents) cannot truncate a table that
another references unless it names both, and the sample is no model of Django's: a
truncate of the documents now truncates the sample, a delete deletes its sample rows."""

from django.db import migrations

POSTGRESQL = [
    "ALTER TABLE catalogue_workindex_sample "
    "DROP CONSTRAINT IF EXISTS catalogue_workindex_sample_work_id_fkey",
    """CREATE FUNCTION catalogue_workindex_sample_forget() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM catalogue_workindex_sample AS sample USING gone
                WHERE sample.work_id = gone.work_id;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER catalogue_workindex_forget AFTER DELETE ON catalogue_workindex
        REFERENCING OLD TABLE AS gone
        FOR EACH STATEMENT EXECUTE FUNCTION catalogue_workindex_sample_forget()""",
    """CREATE FUNCTION catalogue_workindex_sample_clear() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE catalogue_workindex_sample;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER catalogue_workindex_cleared AFTER TRUNCATE ON catalogue_workindex
        FOR EACH STATEMENT EXECUTE FUNCTION catalogue_workindex_sample_clear()""",
    # Rows of documents deleted while the key was there went with them; none are left.
    """DELETE FROM catalogue_workindex_sample AS sample
        WHERE NOT EXISTS (SELECT FROM catalogue_workindex AS d WHERE d.work_id = sample.work_id)""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS catalogue_workindex_cleared ON catalogue_workindex",
    "DROP FUNCTION IF EXISTS catalogue_workindex_sample_clear()",
    "DROP TRIGGER IF EXISTS catalogue_workindex_forget ON catalogue_workindex",
    "DROP FUNCTION IF EXISTS catalogue_workindex_sample_forget()",
    """ALTER TABLE catalogue_workindex_sample ADD CONSTRAINT
        catalogue_workindex_sample_work_id_fkey FOREIGN KEY (work_id)
        REFERENCES catalogue_workindex (work_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED""",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0005_pending_index")]

    operations = [migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_REVERSE))]
