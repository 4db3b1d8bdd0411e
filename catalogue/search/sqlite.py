"""The SQLite engine (the embedded default): FTS5 over the analysed documents.

FTS5 has no French stemmer, so it indexes the terms our analyser produced
(:mod:`catalogue.search.analysis`) — the same lexemes as PostgreSQL. Migration 0004
creates, beside ``catalogue_workindex``:

- ``catalogue_workindex_fts``: an FTS5 table (rowid = work id) with the columns
  title, authors, subjects, other;
- ``catalogue_workfacet``: (facet token, work id) pairs, the key of both the filters
  and the facet counts.
"""

from collections import Counter

from django.db import connection

from catalogue.search.engine import EXACT_LIMIT, Engine
from catalogue.search.query import ALL_FIELDS, AUTHORS, SUBJECTS, TITLE, Plan

TABLE = "catalogue_workindex"
FTS = "catalogue_workindex_fts"
FACETS = "catalogue_workfacet"
_CLOSENESS_TERMS = 6


def _quoted(terms) -> str:
    return " ".join(f'"{term}"' for term in terms)


def _units(units) -> str:
    """Every unit (a term, or a phrase: terms next to each other), as FTS5 phrases."""
    return " ".join(f'"{" ".join(unit)}"' for unit in units)


def _columns(fields) -> str:
    return "" if tuple(fields) == ALL_FIELDS else "{" + " ".join(fields) + "} : "


def match(plan: Plan) -> str:
    if plan.identifier:
        return f'{{other}} : "{plan.identifier}"'
    parts = []
    for clause in plan.clauses:
        inner = f'"{" ".join(clause.terms)}"' if clause.phrase else _quoted(clause.terms)
        parts.append(f"{_columns(clause.fields)}({inner})")
    return " AND ".join(parts)


def _in_fts(expression: str) -> tuple[str, list]:
    return f"work_id IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)", [expression]  # noqa: S608


def _where(plan: Plan) -> tuple[str, list]:
    conditions, params = [], []
    if not plan.is_empty:
        condition, values = _in_fts(match(plan))
        conditions.append(condition)
        params += values
    for group in plan.filters:
        marks = ", ".join("%s" for _ in group)
        conditions.append(f"work_id IN (SELECT work_id FROM {FACETS} WHERE facet IN ({marks}))")  # noqa: S608
        params += list(group)
    return " AND ".join(conditions) or "1", params


def _tier_conditions(plan: Plan) -> dict[int, tuple[str, list]]:
    units = plan.rank_units
    tiers: dict[int, tuple[str, list]] = {}
    if plan.title_key:
        start = plan.title_key + " "
        tiers[0] = ("title_key = %s", [plan.title_key])
        tiers[1] = ("(title_key >= %s AND title_key < %s)", [start, start + "\x7f"])
    if units:
        tiers[2] = (
            "(" + " AND ".join("instr(title_terms, %s) > 0" for _ in units) + ")",
            [f" {' '.join(unit)} " for unit in units],
        )
        tiers[3] = _in_fts(_columns((TITLE,)) + f"({_units(units)})")
        tiers[4] = _in_fts(_columns((TITLE, AUTHORS)) + f"({_units(units)})")
        tiers[5] = _in_fts(_columns((TITLE, AUTHORS, SUBJECTS)) + f"({_units(units)})")
    return tiers


def _order(plan: Plan, sort: str) -> tuple[str, list]:
    if sort == "newest":
        return "year IS NULL, year DESC, rank DESC, work_id", []
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
    in_title = " + ".join("(instr(title_terms, %s) > 0)" for _ in closeness_terms) or "0"
    params += [f" {term} " for term in closeness_terms]
    order = (
        f"CASE {' '.join(cases)} ELSE 6 END, "
        f"CASE WHEN ({in_title}) * 2 >= title_words THEN 0 ELSE 1 END, rank DESC, work_id"
    )
    return order, params


class SqliteEngine(Engine):
    vendor = "sqlite"

    def write(self, documents) -> None:
        documents = list(documents)
        if not documents:
            return
        ids = [d.work_id for d in documents]
        self.delete(ids)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (work_id, title_key, title_terms, author_key, year, "  # noqa: S608
                "library_count, available_count, rank, sample, title_words) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        d.work_id,
                        d.title_key,
                        d.title_terms,
                        d.author_key,
                        d.year,
                        d.library_count,
                        d.available_count,
                        d.rank,
                        d.sample,
                        d.title_words,
                    )
                    for d in documents
                ],  # fmt: skip
            )
            cursor.executemany(
                f"INSERT INTO {FTS} (rowid, title, authors, subjects, other) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s)",
                [(d.work_id, d.title, d.authors, d.subjects, d.other) for d in documents],
            )
            cursor.executemany(
                f"INSERT INTO {FACETS} (facet, work_id) VALUES (%s, %s)",  # noqa: S608
                [(token, d.work_id) for d in documents for token in d.facets],
            )

    def delete(self, work_ids) -> None:
        # A trigger (migration 0004) deletes the full-text row and the facets with it.
        work_ids = list(work_ids)
        with connection.cursor() as cursor:
            for start in range(0, len(work_ids), 500):
                chunk = work_ids[start : start + 500]
                marks = ", ".join("%s" for _ in chunk)
                cursor.execute(f"DELETE FROM {TABLE} WHERE work_id IN ({marks})", chunk)  # noqa: S608

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def count(self, plan: Plan, limit: int) -> int:
        where, params = _where(plan)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE {where} LIMIT %s)"  # noqa: S608
        return self._fetch(sql, [*params, limit])[0][0]

    def exact_page(self, plan: Plan, sort: str, offset: int, limit: int) -> list[int]:
        where, params = _where(plan)
        order, order_params = _order(plan, sort)
        sql = f"""
            WITH hits AS MATERIALIZED (
                SELECT work_id, title_key, title_terms, title_words, author_key, year, rank
                FROM {TABLE} WHERE {where} LIMIT {EXACT_LIMIT}
            )
            SELECT work_id FROM hits ORDER BY {order} LIMIT %s OFFSET %s
        """  # noqa: S608
        return [row[0] for row in self._fetch(sql, [*params, *order_params, limit, offset])]

    def exact_facets(self, plan: Plan) -> Counter:
        where, params = _where(plan)
        sql = f"""
            SELECT facet, count(*) FROM {FACETS}
            WHERE work_id IN (SELECT work_id FROM {TABLE} WHERE {where}) GROUP BY facet
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
        sampled = f"SELECT work_id FROM {TABLE} WHERE {where} AND sample < %s"  # noqa: S608
        total = self._fetch(f"SELECT count(*) FROM ({sampled})", [*params, buckets])[0][0]  # noqa: S608
        rows = self._fetch(
            f"SELECT facet, count(*) FROM {FACETS} WHERE work_id IN ({sampled}) GROUP BY facet",  # noqa: S608
            [*params, buckets],
        )
        return total, Counter(dict(rows))

    # ------------------------------------------------------------ vocabulary, completion

    def add_terms(self, counts: Counter) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT OR IGNORE INTO catalogue_searchterm (term, works) VALUES (%s, %s)",
                sorted(counts.items()),
            )

    def term_frequency(self, stem: str, limit: int) -> int:
        """In how many works the index holds this term, counted up to ``limit``."""
        sql = f"SELECT count(*) FROM (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s)"  # noqa: S608
        return self._fetch(sql, [f'"{stem}"', limit])[0][0]

    def known_terms(self, words) -> set[str]:
        words = list(words)
        if not words:
            return set()
        marks = ", ".join("%s" for _ in words)
        rows = self._fetch(f"SELECT term FROM catalogue_searchterm WHERE term IN ({marks})", words)  # noqa: S608
        return {row[0] for row in rows}

    def similar_terms(self, word: str, limit: int = 5) -> list[tuple[str, float, int]]:
        """Vocabulary terms close to ``word``: candidates sharing a trigram (FTS5's
        trigram index), scored as pg_trgm scores them (:func:`trigram_similarity`)."""
        grams = sorted({word[i : i + 3] for i in range(len(word) - 2)})
        if not grams:
            return []
        expression = " OR ".join(f'"{gram}"' for gram in grams)
        rows = self._fetch(
            "SELECT term, works FROM catalogue_searchterm WHERE rowid IN ("
            "SELECT rowid FROM catalogue_searchterm_trigrams "
            "WHERE catalogue_searchterm_trigrams MATCH %s LIMIT 2000)",
            [expression],
        )
        scored = [(term, trigram_similarity(word, term), works) for term, works in rows]
        scored = [row for row in scored if row[1] >= 0.3]
        scored.sort(key=lambda row: (-row[1], -row[2], row[0]))
        return scored[:limit]

    def complete_titles(self, prefix: str, limit: int) -> list[int]:
        sql = f"""
            SELECT work_id FROM (
                SELECT work_id, rank FROM {TABLE} WHERE title_key >= %s AND title_key < %s
                ORDER BY title_key LIMIT 300
            ) ORDER BY rank DESC, work_id LIMIT %s
        """  # noqa: S608
        return [row[0] for row in self._fetch(sql, [prefix, prefix + "\x7f", limit])]

    def complete_authors(self, prefix: str, limit: int) -> list[int]:
        sql = f"""
            SELECT work_id, author_key, max(rank) AS best FROM (
                SELECT work_id, author_key, rank FROM {TABLE}
                WHERE author_key >= %s AND author_key < %s ORDER BY author_key LIMIT 300
            ) GROUP BY author_key ORDER BY best DESC LIMIT %s
        """  # noqa: S608
        return [row[0] for row in self._fetch(sql, [prefix, prefix + "\x7f", limit])]


def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity of two words: shared trigrams over all trigrams, each word
    padded with two spaces before and one after."""
    first, second = _trigrams(a), _trigrams(b)
    return len(first & second) / len(first | second) if first and second else 0.0
