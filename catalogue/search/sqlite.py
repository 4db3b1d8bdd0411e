"""The SQLite engine (the embedded default): FTS5 over the analysed documents.

FTS5 has no French stemmer, so it indexes the terms our analyser produced
(:mod:`catalogue.search.analysis`) — the same lexemes as PostgreSQL. Migration 0004
creates, beside ``catalogue_workindex``:

- ``catalogue_workindex_fts``: an FTS5 table (rowid = work id) with the columns
  title, authors, subjects, other, and ``facets``: each facet token of the work as one
  FTS5 token (``f`` and a hash of it), the thresholds of libraries holding it the same
  way (``r:2``…, read for a broad query's best-held candidates), and ``zsample`` for the
  works of the fixed 2 % sample, so that a query's words, filters and sample are one MATCH;
- ``facet_ids``, a column of ``catalogue_workindex``: the work's facet tokens as numbers
  (:mod:`catalogue.search.facet_ids`), counted for the works of a page's query over their
  values concatenated by ``group_concat`` (migration 0008).

A query's matches are counted first, up to EXACT_LIMIT + 1 (their ids only): under the
limit, one statement reads each match's index row once and ranks its page and counts its
facets over them; over it, the total and facet counts are the sample's, scaled, and the
page is ranked among bounded candidates, as on PostgreSQL.
"""

import hashlib
import json
from collections import Counter

from django.db import connection

from catalogue.search import engine, facet_ids
from catalogue.search.documents import HELD_BY, held_by_token
from catalogue.search.engine import (
    MAX_BROAD_RESULTS,
    SAMPLE_BUCKETS,
    Engine,
    Page,
    estimated_page,
)
from catalogue.search.query import ALL_FIELDS, AUTHORS, SUBJECTS, TITLE, Plan

TABLE = "catalogue_workindex"
FTS = "catalogue_workindex_fts"
_CLOSENESS_TERMS = 6
SAMPLE_MARK = "zsample"
CANDIDATES = 200


def facet_token(token: str) -> str:
    """A facet token ("t:book", "u:Finances publiques") as one FTS5 token."""
    return "f" + hashlib.blake2b(token.encode(), digest_size=8).hexdigest()


def facet_column(document) -> str:
    tokens = [facet_token(token) for token in (*document.facets, *document.held_by)]
    if document.sample < SAMPLE_BUCKETS:
        tokens.append(SAMPLE_MARK)
    return " ".join(tokens)


def _quoted(terms) -> str:
    return " ".join(f'"{term}"' for term in terms)


def _units(units) -> str:
    """Every unit (a term, or a phrase: terms next to each other), as FTS5 phrases."""
    return " ".join(f'"{" ".join(unit)}"' for unit in units)


def _columns(fields) -> str:
    return "" if tuple(fields) == ALL_FIELDS else "{" + " ".join(fields) + "} : "


def match(plan: Plan, *, sample: bool = False) -> str:
    """The FTS5 expression of the whole query: words, filters (and the sample)."""
    parts = []
    if plan.identifier:
        parts.append(f'{{other}} : "{plan.identifier}"')
    for clause in plan.clauses:
        inner = f'"{" ".join(clause.terms)}"' if clause.phrase else _quoted(clause.terms)
        parts.append(f"{_columns(clause.fields)}({inner})")
    for group in plan.filters:
        parts.append("{facets} : (" + " OR ".join(f'"{facet_token(t)}"' for t in group) + ")")
    if sample:
        parts.append(f'{{facets}} : "{SAMPLE_MARK}"')
    return " AND ".join(parts)


def _in_fts(expression: str) -> tuple[str, list]:
    return f"work_id IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)", [expression]  # noqa: S608


def _ids(ids) -> tuple[str, list]:
    return "work_id IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]


def _title_author_match(plan: Plan) -> str:
    """The query matched in titles and authors only, with its filters, or "" when a part
    of it can only match elsewhere (a subject field, an identifier)."""
    if plan.identifier or not plan.clauses:
        return ""
    parts = []
    for clause in plan.clauses:
        fields = (TITLE, AUTHORS) if clause.fields == ALL_FIELDS else clause.fields
        if SUBJECTS in fields:
            return ""
        inner = f'"{" ".join(clause.terms)}"' if clause.phrase else _quoted(clause.terms)
        parts.append(f"{_columns(fields)}({inner})")
    for group in plan.filters:
        parts.append("{facets} : (" + " OR ".join(f'"{facet_token(t)}"' for t in group) + ")")
    return " AND ".join(parts)


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


def _ranking(plan: Plan) -> dict:
    """This engine's SQL of the ranking (:func:`engine.order_by`)."""
    return {
        "newest": "year IS NULL, year DESC",
        "tiers": _tier_conditions(plan),
        "in_own_title": [
            ("instr(title_terms, %s) > 0", f" {term} ")
            for term in plan.rank_terms[:_CLOSENESS_TERMS]
        ],
    }


class SqliteEngine(Engine):
    vendor = "sqlite"

    def write(self, documents) -> None:
        documents = list(documents)
        if not documents:
            return
        ids = [d.work_id for d in documents]
        self.delete(ids)
        numbered = facet_ids.numbers(t for d in documents for t in d.facets)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (work_id, title_key, title_terms, author_key, year, "  # noqa: S608
                "library_count, available_count, rank, sample, title_words, facet_ids) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
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
                        facet_ids.pack(d.facets, numbered),
                    )
                    for d in documents
                ],  # fmt: skip
            )
            cursor.executemany(
                f"INSERT INTO {FTS} (rowid, title, authors, subjects, other, facets) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (d.work_id, d.title, d.authors, d.subjects, d.other, facet_column(d))
                    for d in documents
                ],
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

    # ------------------------------------------------------------------- searching

    def run(self, plan: Plan, *, sort: str, offset: int, limit: int, facets: bool = True) -> Page:
        """Counted first, up to EXACT_LIMIT + 1 matches (their ids only): under the limit
        they are ranked and their facets counted in one statement; over it the sample
        sizes the query and the page is ranked among bounded candidates."""
        cap = engine.EXACT_LIMIT
        if plan.is_empty and not plan.filters:
            return Page([], 0, True, Counter())
        (count,) = self._fetch(
            f"SELECT count(*) FROM (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s)",  # noqa: S608
            [match(plan), cap + 1],
        )[0]
        if count == 0:
            return Page([], 0, True, Counter())
        if count <= cap:
            page = self._exact(plan, sort, offset, limit, facets)
            if page is not None:
                return page
        sampled, numbers = self._fetch(
            f"SELECT count(*), group_concat(hex(facet_ids), '') FROM {FTS} "  # noqa: S608
            f"JOIN {TABLE} ON work_id = {FTS}.rowid WHERE {FTS} MATCH %s",
            [match(plan, sample=True)],
        )[0]
        wanted = min(offset + limit, MAX_BROAD_RESULTS)
        if sort == "relevance":
            ids = self._ranked(plan, sort, self._candidates(plan, wanted), offset, limit)
        else:
            where, params = _in_fts(match(plan))
            ids = self._column(*engine.ranked_page(
                f"{TABLE} WHERE {where}", params, sort, max(wanted - offset, 0), offset,
                **_ranking(plan),
            ))  # fmt: skip
        return estimated_page(ids, sampled, _counted(numbers))

    def _exact(self, plan: Plan, sort: str, offset: int, limit: int, facets: bool) -> Page | None:
        """Count, rank and facet every match in one statement, as on PostgreSQL: each
        match's index row is read once, joined to the full-text match (not looked up
        again by id for the ranking, then for the facets). None when the index grew
        past EXACT_LIMIT since it was counted."""
        cap = engine.EXACT_LIMIT
        page, page_params = engine.ranked_page(
            "hits WHERE 1", [], sort, limit, offset, **_ranking(plan)
        )
        numbers = "group_concat(hex(facet_ids), '')" if facets else "NULL"
        sql = f"""
            WITH hits AS MATERIALIZED (
                SELECT w.work_id, w.title_key, w.title_terms, w.title_words, w.author_key,
                    w.year, w.rank, w.facet_ids
                FROM {FTS} JOIN {TABLE} AS w ON w.work_id = {FTS}.rowid
                WHERE {FTS} MATCH %s LIMIT {cap + 1}
            )
            SELECT 0, count(*), NULL FROM hits
            UNION ALL SELECT 1, work_id, NULL FROM ({page})
            UNION ALL SELECT 2, NULL, {numbers} FROM hits
        """  # noqa: S608
        rows = self._fetch(sql, [match(plan), *page_params])
        total = next(value for kind, value, _numbers in rows if kind == 0)
        if total > cap:
            return None
        # UNION ALL keeps each branch's order: the page's rows come in rank order.
        ids = [work_id for kind, work_id, _numbers in rows if kind == 1]
        counts = next(_counted(numbers) for kind, _id, numbers in rows if kind == 2)
        return Page(ids, total, True, counts)

    def _ranked(self, plan: Plan, sort: str, ids, offset: int, limit: int) -> list[int]:
        condition, params = _ids(ids)
        sql, params = engine.ranked_page(
            f"{TABLE} WHERE {condition}", params, sort, limit, offset, **_ranking(plan)
        )
        return self._column(sql, params)

    def _candidates(self, plan: Plan, wanted: int) -> list[int]:
        """A broad query's candidates: works titled exactly as the query, the best-held
        works matching in titles or authors, and, if too few, the best-held others."""
        candidates: list[int] = []
        if plan.title_key:
            where, params = _in_fts(match(plan))
            candidates += self._column(
                f"SELECT work_id FROM {TABLE} WHERE title_key = %s AND {where} "  # noqa: S608
                "ORDER BY rank DESC LIMIT %s",
                [plan.title_key, *params, wanted],
            )
        title_author = _title_author_match(plan)
        if title_author:
            candidates += self._best_held(title_author, max(CANDIDATES, wanted + CANDIDATES // 2))
        candidates = list(dict.fromkeys(candidates))
        if len(candidates) < wanted:
            where, params = _in_fts(match(plan))
            candidates += self._column(
                f"SELECT work_id FROM {TABLE} WHERE {where} ORDER BY rank DESC, work_id "  # noqa: S608
                "LIMIT %s",
                [*params, wanted],
            )
        return list(dict.fromkeys(candidates))

    def _best_held(self, title_author: str, size: int) -> list[int]:
        """The ``size`` best-ranked works matching ``title_author``. Static rank orders
        works by the libraries holding them first: the works held by the most libraries
        are read first (``r:N`` tokens, highest N first: few works, and quickly read),
        and the first threshold holding ``size`` matches holds the best; else all."""
        ranked = f"SELECT work_id FROM {TABLE} WHERE {{}} ORDER BY rank DESC, work_id LIMIT %s"  # noqa: S608
        for threshold in reversed(HELD_BY):
            held = f'{title_author} AND {{facets}} : "{facet_token(held_by_token(threshold))}"'
            where, params = _in_fts(held)
            ids = self._column(ranked.format(where), [*params, size])
            if len(ids) == size:
                return ids
        where, params = _in_fts(title_author)
        return self._column(ranked.format(where), [*params, size])

    def _column(self, sql: str, params: list) -> list:
        return [row[0] for row in self._fetch(sql, params)]

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


def _counted(numbers: str | None) -> Counter:
    """Facet counts from the works' facet numbers, concatenated as hex (SQLite's
    group_concat writes text), counted as a histogram."""
    return facet_ids.count(bytes.fromhex(numbers) if numbers else b"")


def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity of two words: shared trigrams over all trigrams, each word
    padded with two spaces before and one after."""
    first, second = _trigrams(a), _trigrams(b)
    return len(first & second) / len(first | second) if first and second else 0.0
