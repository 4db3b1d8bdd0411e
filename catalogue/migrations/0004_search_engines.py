"""What each search engine keeps beside the shared search documents (catalogue.search)."""

from django.db import migrations

POSTGRESQL = [
    """ALTER TABLE catalogue_workindex
        ADD COLUMN facets text[] NOT NULL DEFAULT '{}',
        ADD COLUMN tsv tsvector NOT NULL DEFAULT '',
        ADD COLUMN ranking_tsv tsvector NOT NULL DEFAULT '',
        ADD COLUMN subject_tsv tsvector NOT NULL DEFAULT ''""",
    "CREATE INDEX workindex_tsv ON catalogue_workindex USING gin (tsv)",
    "CREATE INDEX workindex_ranking_tsv ON catalogue_workindex USING gin (ranking_tsv)",
    # Broad queries read works in static-rank order. (Not a covering index: a popular
    # work's titles and facets outgrow a btree entry's 2,704 bytes.)
    "CREATE INDEX workindex_rank ON catalogue_workindex (rank DESC, work_id)",
    # A fixed 2 % of the works (sample < 20): the size of a query and its facet counts
    # are estimated here before anything is read from the whole index.
    """CREATE TABLE catalogue_workindex_sample (
        work_id bigint PRIMARY KEY
            REFERENCES catalogue_workindex (work_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        tsv tsvector NOT NULL,
        ranking_tsv tsvector NOT NULL,
        facets text[] NOT NULL,
        bucket smallint NOT NULL
    )""",
    "CREATE INDEX workindex_sample_tsv ON catalogue_workindex_sample USING gin (tsv)",
    # LIKE 'prefix%' on the title key (tier 1, autocomplete) whatever the collation.
    "CREATE INDEX workindex_title_prefix ON catalogue_workindex (title_key varchar_pattern_ops)",
    "CREATE INDEX workindex_author_prefix ON catalogue_workindex (author_key varchar_pattern_ops)",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX searchterm_trigrams ON catalogue_searchterm USING gin (term gin_trgm_ops)",
]
POSTGRESQL_REVERSE = [
    "DROP TABLE IF EXISTS catalogue_workindex_sample",
    "DROP INDEX IF EXISTS workindex_rank",
    "DROP INDEX IF EXISTS searchterm_trigrams",
    "DROP INDEX IF EXISTS workindex_author_prefix",
    "DROP INDEX IF EXISTS workindex_title_prefix",
    "ALTER TABLE catalogue_workindex DROP COLUMN facets, DROP COLUMN tsv, DROP COLUMN ranking_tsv, "
    "DROP COLUMN subject_tsv",
]

SQLITE = [
    # Terms are already folded and stemmed: the tokenizer only splits on spaces.
    """CREATE VIRTUAL TABLE catalogue_workindex_fts USING fts5(
        title, authors, subjects, other, facets,
        tokenize = 'unicode61 remove_diacritics 0')""",
    # The facet tokens of the work, separated by U+001F, counted in Python for a page.
    "ALTER TABLE catalogue_workindex ADD COLUMN facet_list TEXT NOT NULL DEFAULT ''",
    "CREATE INDEX workindex_rank ON catalogue_workindex (rank DESC, work_id)",
    # Whatever deletes a search document (a work deleted, a document rewritten) deletes
    # its full-text row.
    """CREATE TRIGGER catalogue_workindex_forget AFTER DELETE ON catalogue_workindex BEGIN
        DELETE FROM catalogue_workindex_fts WHERE rowid = old.work_id;
    END""",
    """CREATE VIRTUAL TABLE catalogue_searchterm_trigrams USING fts5(
        term, content = 'catalogue_searchterm', tokenize = 'trigram')""",
    """CREATE TRIGGER catalogue_searchterm_added AFTER INSERT ON catalogue_searchterm BEGIN
        INSERT INTO catalogue_searchterm_trigrams (rowid, term) VALUES (new.rowid, new.term);
    END""",
    """CREATE TRIGGER catalogue_searchterm_removed AFTER DELETE ON catalogue_searchterm BEGIN
        INSERT INTO catalogue_searchterm_trigrams (catalogue_searchterm_trigrams, rowid, term)
        VALUES ('delete', old.rowid, old.term);
    END""",
]
SQLITE_REVERSE = [
    "DROP INDEX IF EXISTS workindex_rank",
    "DROP TRIGGER IF EXISTS catalogue_searchterm_removed",
    "DROP TRIGGER IF EXISTS catalogue_searchterm_added",
    "DROP TABLE IF EXISTS catalogue_searchterm_trigrams",
    "DROP TRIGGER IF EXISTS catalogue_workindex_forget",
    "DROP TABLE IF EXISTS catalogue_workindex_fts",
]


def _run(statements: dict):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_search_and_open_data")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
