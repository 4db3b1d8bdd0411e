"""The PostgreSQL engine: full-text search over the analysed documents.

Beside the shared columns of ``catalogue_workindex`` (migration 0004) it keeps:

- ``tsv``: every field, weighted title A, authors B, subjects C, other D, built with
  the ``simple`` configuration from terms our analyser already folded and stemmed
  (:mod:`catalogue.search.analysis`, the Snowball French stemmer PostgreSQL's own
  ``french`` configuration uses), so PostgreSQL and SQLite index the same lexemes;
- ``ta_tsv``: title (A) and authors (B) only, a much smaller index that answers the
  ranking tiers without reading every summary's match;
- ``facets``: the facet tokens, ``text[]`` under a GIN index; ``title_words``.

Lexemes are ASCII letters and digits, so tsquery strings are built directly.
"""

from collections import Counter

from django.db import connection

from catalogue.search.engine import EXACT_LIMIT, Engine
from catalogue.search.query import ALL_FIELDS, AUTHORS, OTHER, SUBJECTS, TITLE, Plan

TABLE = "catalogue_workindex"
WEIGHTS = {TITLE: "A", AUTHORS: "B", SUBJECTS: "C", OTHER: "D"}
_CLOSENESS_TERMS = 6


def _lexeme(term: str, weights: str = "") -> str:
    return f"'{term}':{weights}" if weights else f"'{term}'"


def tsquery(plan: Plan) -> str:
    if plan.identifier:
        return _lexeme(plan.identifier)
    parts = []
    for clause in plan.clauses:
        weights = "" if clause.fields == ALL_FIELDS else "".join(WEIGHTS[f] for f in clause.fields)
        joiner = " <-> " if clause.phrase else " & "
        parts.append("(" + joiner.join(_lexeme(t, weights) for t in clause.terms) + ")")
    return " & ".join(parts)


def _all(units, weights: str = "") -> str:
    """Every unit (a term, or a phrase: terms next to each other) in these weights."""
    return " & ".join(
        "(" + " <-> ".join(_lexeme(term, weights) for term in unit) + ")" for unit in units
    )


def _where(plan: Plan) -> tuple[str, list]:
    conditions, params = [], []
    if not plan.is_empty:
        conditions.append("tsv @@ %s::tsquery")
        params.append(tsquery(plan))
    single = [group[0] for group in plan.filters if len(group) == 1]
    if single:
        conditions.append("facets @> %s::text[]")
        params.append(single)
    for group in plan.filters:
        if len(group) > 1:
            conditions.append("facets && %s::text[]")
            params.append(list(group))
    return " AND ".join(conditions) or "TRUE", params


def _in_own_title(units) -> tuple[str, list]:
    patterns = [f"% {' '.join(unit)} %" for unit in units]
    return "(" + " AND ".join("title_terms LIKE %s" for _ in patterns) + ")", patterns


def _tier_conditions(plan: Plan) -> dict[int, tuple[str, list]]:
    """SQL condition of each ranking tier (see :mod:`catalogue.search.engine`)."""
    units = plan.rank_units
    tiers: dict[int, tuple[str, list]] = {}
    if plan.title_key:
        tiers[0] = ("title_key = %s", [plan.title_key])
        tiers[1] = ("title_key LIKE %s", [_like_prefix(plan.title_key + " ")])
    if units:
        tiers[2] = _in_own_title(units)
        tiers[3] = ("ta_tsv @@ %s::tsquery", [_all(units, "A")])
        tiers[4] = ("ta_tsv @@ %s::tsquery", [_all(units)])
        tiers[5] = ("tsv @@ %s::tsquery", [_all(units, "ABC")])
    return tiers


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _order(plan: Plan, sort: str) -> tuple[str, list]:
    if sort == "newest":
        return "year DESC NULLS LAST, rank DESC, work_id", []
    if sort == "title":
        return "title_key, rank DESC, work_id", []
    if sort == "author":
        return "author_key = '', author_key, title_key, work_id", []
    tiers = _tier_conditions(plan)
    if not tiers:
        return "rank DESC, work_id", []
    cases, params = [], []
    for tier, (condition, values) in sorted(tiers.items()):
        cases.append(f"WHEN {condition} THEN {tier}")
        params += values
    closeness_terms = plan.rank_terms[:_CLOSENESS_TERMS]
    in_title = " + ".join("(title_terms LIKE %s)::int" for _ in closeness_terms) or "0"
    params += [f"% {term} %" for term in closeness_terms]
    order = (
        f"CASE {' '.join(cases)} ELSE 6 END, "
        f"CASE WHEN ({in_title}) * 2 >= title_words THEN 0 ELSE 1 END, rank DESC, work_id"
    )
    return order, params


class PostgresEngine(Engine):
    vendor = "postgresql"

    def write(self, documents) -> None:
        rows = [
            (
                d.work_id, d.title_key, d.title_terms, d.author_key, d.year, d.library_count,
                d.available_count, d.rank, d.sample, d.title_words, d.facets,
                d.title, d.authors, d.subjects, d.other, d.title, d.authors,
            )
            for d in documents
        ]  # fmt: skip
        if not rows:
            return
        sql = f"""
            INSERT INTO {TABLE} (work_id, title_key, title_terms, author_key, year,
                library_count, available_count, rank, sample, title_words, facets, tsv, ta_tsv)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::text[],
                setweight(to_tsvector('simple', %s), 'A')
                || setweight(to_tsvector('simple', %s), 'B')
                || setweight(to_tsvector('simple', %s), 'C')
                || setweight(to_tsvector('simple', %s), 'D'),
                setweight(to_tsvector('simple', %s), 'A')
                || setweight(to_tsvector('simple', %s), 'B'))
            ON CONFLICT (work_id) DO UPDATE SET
                title_key = EXCLUDED.title_key, title_terms = EXCLUDED.title_terms,
                author_key = EXCLUDED.author_key,
                year = EXCLUDED.year, library_count = EXCLUDED.library_count,
                available_count = EXCLUDED.available_count, rank = EXCLUDED.rank,
                sample = EXCLUDED.sample, title_words = EXCLUDED.title_words,
                facets = EXCLUDED.facets, tsv = EXCLUDED.tsv, ta_tsv = EXCLUDED.ta_tsv
        """  # noqa: S608 (the table name is ours; every value is a parameter)
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def delete(self, work_ids) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE work_id = ANY(%s)", [list(work_ids)])  # noqa: S608

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def count(self, plan: Plan, limit: int) -> int:
        where, params = _where(plan)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE {where} LIMIT %s) AS hits"  # noqa: S608
        return self._fetch(sql, [*params, limit])[0][0]

    def exact_page(self, plan: Plan, sort: str, offset: int, limit: int) -> list[int]:
        where, params = _where(plan)
        order, order_params = _order(plan, sort)
        # The hits are gathered first (at most EXACT_LIMIT of them), then ranked: the
        # planner must not walk an ordered index looking for a few matches.
        sql = f"""
            WITH hits AS MATERIALIZED (
                SELECT work_id, title_key, title_terms, title_words, author_key, year, rank,
                    ta_tsv, tsv
                FROM {TABLE} WHERE {where} LIMIT {EXACT_LIMIT}
            )
            SELECT work_id FROM hits ORDER BY {order} LIMIT %s OFFSET %s
        """  # noqa: S608
        return [row[0] for row in self._fetch(sql, [*params, *order_params, limit, offset])]

    def exact_facets(self, plan: Plan) -> Counter:
        where, params = _where(plan)
        sql = f"""
            SELECT token, count(*) FROM {TABLE}, unnest(facets) AS token
            WHERE {where} GROUP BY token
        """  # noqa: S608
        return Counter(dict(self._fetch(sql, params)))

    def tier_page(self, plan: Plan, tier: int, limit: int) -> list[int]:
        where, params = _where(plan)
        tiers = _tier_conditions(plan)
        conditions = [where]
        if tier in tiers:
            condition, values = tiers[tier]
            conditions.append(condition)
            params = [*params, *values]
        for earlier in range(tier):
            if earlier in tiers:
                condition, values = tiers[earlier]
                conditions.append(f"NOT ({condition})")
                params = [*params, *values]
        sql = (
            f"SELECT work_id FROM {TABLE} WHERE {' AND '.join(conditions)} "  # noqa: S608
            "ORDER BY rank DESC, work_id LIMIT %s"
        )
        return [row[0] for row in self._fetch(sql, [*params, limit])]

    def sorted_page(self, plan: Plan, sort: str, offset: int, limit: int) -> list[int]:
        where, params = _where(plan)
        order, order_params = _order(plan, sort)
        sql = f"SELECT work_id FROM {TABLE} WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s"  # noqa: S608
        return [row[0] for row in self._fetch(sql, [*params, *order_params, limit, offset])]

    def sample(self, plan: Plan, buckets: int) -> tuple[int, Counter]:
        where, params = _where(plan)
        sql = f"""
            WITH sampled AS MATERIALIZED (
                SELECT facets FROM {TABLE} WHERE {where} AND sample < %s
            )
            SELECT NULL, count(*) FROM sampled
            UNION ALL
            SELECT token, count(*) FROM sampled, unnest(facets) AS token GROUP BY token
        """  # noqa: S608
        rows = self._fetch(sql, [*params, buckets])
        total = next(n for token, n in rows if token is None)
        return total, Counter({token: n for token, n in rows if token is not None})

    # ------------------------------------------------------------ vocabulary, completion

    def add_terms(self, counts: Counter) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO catalogue_searchterm (term, works) VALUES (%s, %s) "
                "ON CONFLICT (term) DO NOTHING",
                sorted(counts.items()),
            )

    def known_terms(self, words) -> set[str]:
        rows = self._fetch(
            "SELECT term FROM catalogue_searchterm WHERE term = ANY(%s)", [list(words)]
        )
        return {row[0] for row in rows}

    def similar_terms(self, word: str, limit: int = 5) -> list[tuple[str, float, int]]:
        """Vocabulary terms close to ``word`` by pg_trgm similarity (at least 0.3)."""
        return self._fetch(
            "SELECT term, similarity(term, %s) AS score, works FROM catalogue_searchterm "
            "WHERE term %% %s ORDER BY score DESC, works DESC, term LIMIT %s",
            [word, word, limit],
        )

    def complete_titles(self, prefix: str, limit: int) -> list[int]:
        # The first few hundred keys in index order, then the best held among them.
        sql = f"""
            SELECT work_id FROM (
                SELECT work_id, rank FROM {TABLE} WHERE title_key LIKE %s
                ORDER BY title_key LIMIT 300
            ) AS near ORDER BY rank DESC, work_id LIMIT %s
        """  # noqa: S608
        return [row[0] for row in self._fetch(sql, [_like_prefix(prefix), limit])]

    def complete_authors(self, prefix: str, limit: int) -> list[int]:
        sql = f"""
            SELECT DISTINCT ON (author_key) work_id, author_key, rank FROM (
                SELECT work_id, author_key, rank FROM {TABLE} WHERE author_key LIKE %s
                ORDER BY author_key LIMIT 300
            ) AS near ORDER BY author_key, rank DESC
        """  # noqa: S608
        rows = self._fetch(sql, [_like_prefix(prefix)])
        return [row[0] for row in sorted(rows, key=lambda row: -row[2])[:limit]]
