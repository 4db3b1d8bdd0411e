"""The PostgreSQL engine: full-text search over the analysed documents.

Beside the shared columns of ``catalogue_workindex`` (migration 0004) it keeps:

- ``tsv``: every field, weighted title A, authors B, subjects C, other D, built with
  the ``simple`` configuration from terms our analyser already folded and stemmed
  (:mod:`catalogue.search.analysis`, the Snowball French stemmer PostgreSQL's own
  ``french`` configuration uses), so PostgreSQL and SQLite index the same lexemes; and
  the work's facet tokens (``t:book``, ``b:12``…) as lexemes too, which no word can be
  (words have no colon): one GIN scan intersects a query's words and filters;
- ``ranking_tsv``: titles (A) and authors (B) only, the facet tokens, and the tokens of
  the thresholds of libraries the work reaches (``r:2``… ``documents.HELD_BY``), much
  smaller than ``tsv``: a broad query's title and author matches are found with their
  filters in one GIN scan that needs no recheck (no weight to tell apart), and its
  best-held ones among the works held by enough libraries; and ``subject_tsv``
  (C, not indexed): with it, ranking every match of a narrow query reads no summary;
- ``facet_ids``: the same facet tokens as numbers (``bytea``, :mod:`catalogue.search.facet_ids`):
  a query's facets are counted over its matches' values concatenated by ``string_agg``;
- the **rank index** ``(rank DESC, work_id)``: read in order, it answers "the best-held
  works matching in titles or authors, with these filters" for a broad query, stopping
  as soon as enough match (matches are dense there, so few rows are read);
- the **sample** ``catalogue_workindex_sample``: a fixed 2 % of the works (those whose
  ``sample`` is below 20) with their vectors, facet numbers and rank (migrations 0007 and
  0008), written
  beside the documents and deleted or truncated with them by triggers (migration 0006).

A query is first sized on the sample (one small query): a narrow one is then counted,
ranked and faceted in one statement over its matches; a broad one is never counted nor
ranked whole — its total and facet counts are the sample's, scaled, and its page is
ranked among a bounded set of candidates (see :meth:`PostgresEngine.run`).

Lexemes are ASCII letters and digits, so tsquery strings are built directly.
"""

from collections import Counter

from django.db import connection, transaction

from catalogue.search import engine, facet_ids
from catalogue.search.documents import HELD_BY, RANK_PER_LIBRARY, held_by_token
from catalogue.search.engine import (
    MAX_BROAD_RESULTS,
    SAMPLE_BUCKETS,
    SAMPLE_SCALE,
    Engine,
    Page,
)
from catalogue.search.query import ALL_FIELDS, AUTHORS, OTHER, SUBJECTS, TITLE, Plan

TABLE = "catalogue_workindex"
SAMPLE = "catalogue_workindex_sample"
# A query whose sample matches are 30 % above what EXACT_LIMIT works would give (260 for
# 10,000, ~13,000 works) surely matches more than EXACT_LIMIT (for 10,000 the sample
# holds 200 ± 14, and 260 or more once in 100,000 queries): broad, never counted.
# Below, the exact reading is tried, and gives up past EXACT_LIMIT.
SURELY_BROAD = 1.3
CANDIDATES = 200  # works ranked for a broad query's first pages
FACET_SAMPLE = 2_000  # sample matches a broad query's facet counts are read from
TITLE_RANGE = 5_000  # works titled exactly as the query read for a broad query
# Estimated title/author matches from which the rank index is walked (1.5 % of 1.3 million
# works: 200 candidates within ~13,000 rows read); fewer are gathered through the GIN index.
TITLE_AUTHOR_DENSE = 20_000
# A threshold of libraries is read when the sample says it holds this many times the
# candidates needed (a 2 % sample's count of 8 or more: it holds fewer than half as many
# about once in a hundred queries, and then the matches are read the other way).
HELD_MARGIN = 2
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


def _quoted(token: str) -> str:
    """A facet token as a tsquery lexeme (tokens hold any character: quoted, escaped)."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _where(plan: Plan) -> tuple[str, list]:
    """The whole query as one match of ``tsv``: its words and its filters, whose tokens
    ``tsv`` holds too, so that the GIN index intersects them itself. A common filter (a
    language, an audience) is not free there: the scan decodes most of its long posting
    list ("afriqu" alone 7.5-10 ms of index scan, with the filters book and French 15-20
    ms), but checking it on every row the words alone match would cost far more (39,721
    rows: 120-130 ms; bench/README.md, a sixth session)."""
    parts = [f"({tsquery(plan)})"] if not plan.is_empty else []
    parts += ["(" + " | ".join(_quoted(token) for token in group) + ")" for group in plan.filters]
    if not parts:
        return "TRUE", []
    return "tsv @@ %s::tsquery", [" & ".join(parts)]


def _title_author_query(plan: Plan) -> str:
    """The query as a match in titles and authors only (``ranking_tsv``), or "" when a
    part of it can only match elsewhere (a subject field, an identifier)."""
    if plan.identifier or not plan.clauses:
        return ""
    parts = []
    for clause in plan.clauses:
        if SUBJECTS in clause.fields and clause.fields != ALL_FIELDS:
            return ""
        weights = {ALL_FIELDS: "", (TITLE,): "A", (AUTHORS,): "B"}.get(clause.fields)
        if weights is None:
            return ""
        joiner = " <-> " if clause.phrase else " & "
        parts.append("(" + joiner.join(_lexeme(t, weights) for t in clause.terms) + ")")
    parts += ["(" + " | ".join(_quoted(token) for token in group) + ")" for group in plan.filters]
    return " & ".join(parts)


def _settings(**values: str) -> None:
    """Planner settings for the rest of the current transaction (SET LOCAL)."""
    with connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute(f"SET LOCAL {name} = '{value}'")


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
        tiers[3] = ("ranking_tsv @@ %s::tsquery", [_all(units, "A")])
        tiers[4] = ("ranking_tsv @@ %s::tsquery", [_all(units)])
        tiers[5] = _each_in_titles_authors_or_subjects(units)
    return tiers


def _each_in_titles_authors_or_subjects(units) -> tuple[str, list]:
    """Every unit in the titles and authors (``ranking_tsv``) or in the subjects, unit
    by unit: matching the two vectors concatenated builds a new vector per row, three
    times the cost, and a narrow query ranks up to 10,000 rows this way (a phrase never
    spans the two fields, as it never spans two fields on SQLite)."""
    conditions = ["(ranking_tsv @@ %s::tsquery OR subject_tsv @@ %s::tsquery)" for _ in units]
    return "(" + " AND ".join(conditions) + ")", [
        query for unit in units for query in (_all([unit]),) * 2
    ]


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _ranking(plan: Plan) -> dict:
    """This engine's SQL of the ranking (:func:`engine.order_by`)."""
    return {
        "newest": "year DESC NULLS LAST",
        "tiers": _tier_conditions(plan),
        "in_own_title": [
            ("(title_terms LIKE %s)::int", f"% {term} %")
            for term in plan.rank_terms[:_CLOSENESS_TERMS]
        ],
    }


def _page(source: str, params: list, plan: Plan, sort: str, limit: int, offset: int):
    """One page of ``source`` in ``sort`` order (:func:`engine.ranked_page`)."""
    return engine.ranked_page(source, params, sort, limit, offset, **_ranking(plan))


class PostgresEngine(Engine):
    vendor = "postgresql"

    def write(self, documents) -> None:
        numbered = facet_ids.numbers(t for d in documents for t in d.facets)
        rows = [
            (
                d.work_id, d.title_key, d.title_terms, d.author_key, d.year, d.library_count,
                d.available_count, d.rank, d.sample, d.title_words,
                facet_ids.pack(d.facets, numbered),
                d.title, d.authors, d.subjects, d.other, d.facets,
                d.title, d.authors, [*d.facets, *d.held_by], d.subjects,
            )
            for d in documents
        ]  # fmt: skip
        if not rows:
            return
        sql = f"""
            INSERT INTO {TABLE} (work_id, title_key, title_terms, author_key, year,
                library_count, available_count, rank, sample, title_words, facet_ids, tsv,
                ranking_tsv, subject_tsv)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                setweight(to_tsvector('simple', %s), 'A')
                || setweight(to_tsvector('simple', %s), 'B')
                || setweight(to_tsvector('simple', %s), 'C')
                || setweight(to_tsvector('simple', %s), 'D')
                || array_to_tsvector(%s::text[]),
                setweight(to_tsvector('simple', %s), 'A')
                || setweight(to_tsvector('simple', %s), 'B')
                || array_to_tsvector(%s::text[]),
                setweight(to_tsvector('simple', %s), 'C'))
            ON CONFLICT (work_id) DO UPDATE SET
                title_key = EXCLUDED.title_key, title_terms = EXCLUDED.title_terms,
                author_key = EXCLUDED.author_key,
                year = EXCLUDED.year, library_count = EXCLUDED.library_count,
                available_count = EXCLUDED.available_count, rank = EXCLUDED.rank,
                sample = EXCLUDED.sample, title_words = EXCLUDED.title_words,
                facet_ids = EXCLUDED.facet_ids, tsv = EXCLUDED.tsv,
                ranking_tsv = EXCLUDED.ranking_tsv,
                subject_tsv = EXCLUDED.subject_tsv
        """  # noqa: S608 (the table name is ours; every value is a parameter)
        sampled = [d.work_id for d in documents if d.sample < SAMPLE_BUCKETS]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
            if sampled:
                cursor.execute(
                    f"""INSERT INTO {SAMPLE} (work_id, tsv, ranking_tsv, facet_ids, bucket, rank)
                        SELECT work_id, tsv, ranking_tsv, facet_ids, sample, rank FROM {TABLE}
                        WHERE work_id = ANY(%s)
                        ON CONFLICT (work_id) DO UPDATE SET tsv = EXCLUDED.tsv,
                            ranking_tsv = EXCLUDED.ranking_tsv, facet_ids = EXCLUDED.facet_ids,
                            bucket = EXCLUDED.bucket, rank = EXCLUDED.rank""",  # noqa: S608
                    [sampled],
                )

    def delete(self, work_ids) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE work_id = ANY(%s)", [list(work_ids)])  # noqa: S608

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    # ------------------------------------------------------------------- searching

    def run(self, plan: Plan, *, sort: str, offset: int, limit: int, facets: bool = True) -> Page:
        """The bounded-work algorithm of :mod:`catalogue.search.engine`, sized first on
        the 2 % sample (one small query), so that a broad query never counts or ranks
        its matches in the whole index, and a narrow one is read in one statement."""
        sampled, sampled_ta, sampled_held, sample_facets = self._sample(plan)
        if sampled < SURELY_BROAD * engine.EXACT_LIMIT / SAMPLE_SCALE:
            page = self._exact(plan, sort, offset, limit)
            if page is not None:
                return page
        wanted = min(offset + limit, MAX_BROAD_RESULTS)
        with transaction.atomic():  # the planner settings of the broad path are local
            if sort == "relevance":
                ids = self._broad_relevance(plan, wanted, sampled_ta, sampled_held)[offset:wanted]
            else:
                ids = self._broad_sorted(plan, sort, offset, max(wanted - offset, 0))
        numbers, spread = sample_facets
        counts = Counter({token: n * spread for token, n in facet_ids.count(numbers).items()})
        return engine.estimated_page(ids, sampled, counts)

    def _sample(self, plan: Plan) -> tuple[int, int, dict[int, int], tuple[bytes, float]]:
        """In the sample: how many works match, how many match in titles and authors
        (and how many of those each threshold of HELD_BY holds), and their facet numbers
        (counted only if the query is broad) with the factor that scales their counts to
        the sample. When the sample holds more than FACET_SAMPLE matches, facets are
        counted on as many of its buckets as hold about that many (a very broad query's
        counts need no more to be "environ" right)."""
        where, params = _where(plan)
        ta = _title_author_query(plan)
        held = ", ".join(
            f"count(*) FILTER (WHERE ta AND rank >= {n * RANK_PER_LIBRARY})" for n in HELD_BY
        )
        sql = f"""
            WITH hits AS MATERIALIZED (
                SELECT facet_ids, bucket, rank,
                    {"ranking_tsv @@ %s::tsquery" if ta else "FALSE"} AS ta
                FROM {SAMPLE} WHERE {where}
            ),
            sized AS (
                SELECT count(*) AS n, count(*) FILTER (WHERE ta) AS ta,
                    LEAST({SAMPLE_BUCKETS}, GREATEST(1, CEIL(
                        {SAMPLE_BUCKETS} * {FACET_SAMPLE}.0 / GREATEST(count(*), 1)))) AS buckets,
                    ARRAY[{held}] AS held
                FROM hits
            )
            SELECT n, ta, buckets, held, (
                SELECT string_agg(facet_ids, ''::bytea) FROM hits WHERE bucket < sized.buckets
            ) FROM sized
        """  # noqa: S608
        rows = self._fetch(sql, [*([ta] if ta else []), *params])
        count, title_author, buckets, held, numbers = rows[0]
        spread = SAMPLE_BUCKETS / int(buckets)
        return count, title_author, dict(zip(HELD_BY, held, strict=True)), (numbers, spread)

    def _exact(self, plan: Plan, sort: str, offset: int, limit: int) -> Page | None:
        """Count, rank and facet every match in one statement, or None when there are
        more than EXACT_LIMIT (then nothing was ranked nor counted). The matches are
        materialised with their sort keys only (by relevance each one's tier and title
        coverage, computed as it is read: :func:`engine.sort_keys`), not the titles and
        text vectors the ranking reads: copying those into the matches and reading them
        back cost more than matching every costly tier at once (0.4-0.9 ms of CPU a
        search over the benchmark's queries, bench/README.md)."""
        cap = engine.EXACT_LIMIT
        where, params = _where(plan)
        keys, key_params, order = engine.sort_keys(sort, **_ranking(plan))
        sql = f"""
            WITH hits AS MATERIALIZED (
                SELECT {", ".join(["work_id", "rank", "facet_ids", *keys])}
                FROM {TABLE} WHERE {where} LIMIT {cap + 1}
            ),
            total AS (SELECT count(*) AS n FROM hits),
            page AS (
                SELECT work_id FROM hits WHERE (SELECT n FROM total) <= {cap}
                ORDER BY {order} LIMIT %s OFFSET %s
            )
            SELECT 0, NULL::integer, n, NULL::bytea FROM total
            UNION ALL SELECT 1, work_id, 0, NULL FROM page
            UNION ALL SELECT 2, NULL, 0, string_agg(facet_ids, ''::bytea) FROM hits
                WHERE (SELECT n FROM total) <= {cap}
        """  # noqa: S608
        rows = self._fetch(sql, [*key_params, *params, limit, offset])
        total = next(n for kind, _id, n, _numbers in rows if kind == 0)
        if total > cap:
            return None
        # UNION ALL keeps each branch's order: the page's rows come in rank order.
        ids = [work_id for kind, work_id, _n, _numbers in rows if kind == 1]
        numbers = next(numbers for kind, _id, _n, numbers in rows if kind == 2)
        return Page(ids, total, True, facet_ids.count(numbers))

    def _broad_relevance(
        self, plan: Plan, wanted: int, sampled_ta: int, sampled_held: dict[int, int]
    ) -> list[int]:
        """The first ``wanted`` works of a broad query by relevance, ranked among a
        bounded set of candidates: works titled exactly as the query (the title index),
        the best-held works matching in titles or authors (:meth:`_best_held`), then, if
        too few, the best-held of the others."""
        where, params = _where(plan)
        candidates: list[int] = []
        tiers = _tier_conditions(plan)
        if 0 in tiers:
            # Works titled exactly what was typed, through the title index (titles that
            # merely start with it are among the title candidates below).
            condition, values = tiers[0]
            sql = f"""
                WITH titled AS MATERIALIZED (
                    SELECT work_id, rank, tsv FROM {TABLE} WHERE {condition}
                    LIMIT {TITLE_RANGE}
                )
                SELECT work_id FROM titled WHERE {where} ORDER BY rank DESC, work_id LIMIT %s
            """  # noqa: S608
            candidates += self._ids(sql, [*values, *params, wanted])
        ta = _title_author_query(plan)
        if ta:
            size = max(CANDIDATES, wanted + CANDIDATES // 2)
            candidates += self._best_held(ta, size, sampled_ta, sampled_held)
        candidates = list(dict.fromkeys(candidates))
        if len(candidates) < wanted:
            # Not enough in titles and authors: the best held of the rest, in rank order.
            _settings(enable_bitmapscan="off")
            exclude = "NOT (ranking_tsv @@ %s::tsquery) AND " if ta else ""
            candidates += self._ids(
                f"SELECT work_id FROM {TABLE} WHERE {exclude}{where} "  # noqa: S608
                "ORDER BY rank DESC, work_id LIMIT %s",
                [*([ta] if ta else []), *params, wanted],
            )
            _settings(enable_bitmapscan="on")
        source = f"{TABLE} WHERE work_id = ANY(%s)"  # noqa: S608
        sql, params = _page(source, [list(dict.fromkeys(candidates))], plan, "relevance",
                            wanted, 0)  # fmt: skip
        return self._ids(sql, params)

    def _best_held(
        self, ta: str, size: int, sampled_ta: int, sampled_held: dict[int, int]
    ) -> list[int]:
        """The ``size`` best-ranked works matching ``ta`` (words in titles or authors,
        and the filters). Static rank orders works by the libraries holding them first,
        so when the works held by at least N libraries (token ``r:N``) include ``size``
        matches, the best are all among them: they are read there, through the GIN index
        (a few hundred rows), choosing the highest N the sample says holds twice as many
        as needed. Otherwise (or if the sample misjudged): gather every match when there
        are few, walk the rank index when there are many."""
        matching = "ranking_tsv @@ %s::tsquery"  # words and filters, one GIN scan
        gather = f"""
            WITH hits AS MATERIALIZED (SELECT work_id, rank FROM {TABLE} WHERE {matching})
            SELECT work_id FROM hits ORDER BY rank DESC, work_id LIMIT %s
        """  # noqa: S608
        threshold = max(
            (n for n in HELD_BY if sampled_held[n] * SAMPLE_SCALE >= HELD_MARGIN * size),
            default=None,
        )
        if threshold is not None:
            ids = self._ids(gather, [f"({ta}) & {_quoted(held_by_token(threshold))}", size])
            if len(ids) == size:
                return ids
        if sampled_ta * SAMPLE_SCALE < TITLE_AUTHOR_DENSE:
            # Few title or author matches: gather them all (GIN), keep the best held.
            return self._ids(gather, [ta, size])
        # Many: walk the rank index until enough match.
        _settings(enable_bitmapscan="off", enable_seqscan="off")
        ids = self._ids(
            f"SELECT work_id FROM {TABLE} WHERE {matching} ORDER BY rank DESC, work_id LIMIT %s",  # noqa: S608
            [ta, size],
        )
        _settings(enable_bitmapscan="on", enable_seqscan="on")
        return ids

    def _broad_sorted(self, plan: Plan, sort: str, offset: int, limit: int) -> list[int]:
        """A page of a broad query sorted by year, title or author: read in that index's
        order (matches are dense, few rows are read)."""
        where, params = _where(plan)
        _settings(enable_bitmapscan="off")
        ids = self._ids(*_page(f"{TABLE} WHERE {where}", params, plan, sort, limit, offset))
        _settings(enable_bitmapscan="on")
        return ids

    def _ids(self, sql: str, params: list) -> list[int]:
        return [row[0] for row in self._fetch(sql, params)]

    # ------------------------------------------------------------ vocabulary, completion

    def add_terms(self, counts: Counter) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO catalogue_searchterm (term, works) VALUES (%s, %s) "
                "ON CONFLICT (term) DO NOTHING",
                sorted(counts.items()),
            )

    def term_frequency(self, stem: str, limit: int) -> int:
        """In how many works the index holds this term, counted up to ``limit``."""
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE tsv @@ %s::tsquery LIMIT %s) t"  # noqa: S608
        return self._fetch(sql, [_lexeme(stem), limit])[0][0]

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
