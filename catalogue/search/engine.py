"""What every search engine of the catalogue does, and the ranking they share.

**Ranking** (what a librarian expects first). Works matching every part of the query
are ordered by:

1. a *tier*: 0 the title is exactly what was typed (as deduplication compares titles:
   case, accents, leading article, plurals aside); 1 the title starts with it; 2 every
   term is in the work's own title; 3 every term is in a title statement (subtitles,
   parts, other editions' titles); 4 every term is in the titles or the authors ("zola
   germinal"); 5 every term is in the titles, authors or subjects; 6 the rest (a term
   found only in a summary, a publisher, contents);
2. within a tier, whether the query covers at least half of the work's own title
   ("Stourm budget": *Le budget* before *Cours de finances. Le budget*);
3. the static rank (:func:`catalogue.search.documents.static_rank`): the libraries
   holding the work, then its editions and copies, then its year, newest first;
4. the work's id, so that pages never overlap.

**Bounded work.** Up to :data:`EXACT_LIMIT` matching works everything is exact: the
count, every facet count, the order. Beyond it the query is *broad* ("histoire",
"revue"): counting or ranking every match is what made full-text search slow at two
million works (ARCHITECTURE.md), so the total and the facet counts are estimated from a
uniform sample of the works (shown as "environ 12 000"), and a page is read in
static-rank order, where matches are dense, so few rows are read, and ranked among those
bounded candidates (works titled exactly as the query always among them). Each engine
does it its own way: PostgreSQL sizes every query on a fixed 2 % sample first
(:mod:`catalogue.search.postgres`); SQLite reads its matches once, up to the limit
(:mod:`catalogue.search.sqlite`).
Results beyond :data:`MAX_BROAD_RESULTS` are not paged: the patron is asked to refine.
"""

from collections import Counter
from dataclasses import dataclass

from catalogue.search.query import Plan

EXACT_LIMIT = 10_000
MAX_BROAD_RESULTS = 1_000
# The sample: works whose ``sample`` (0-999, documents.sample_bucket) is below this, 2 %.
SAMPLE_BUCKETS = 20
SAMPLE_SCALE = 1000 / SAMPLE_BUCKETS

SORTS = ("relevance", "newest", "title", "author")


@dataclass
class Page:
    work_ids: list[int]
    total: int
    exact: bool
    facet_counts: Counter  # token → count (estimated when not exact)


def estimated_page(work_ids: list[int], sampled: int, sample_counts: Counter) -> Page:
    """A broad query's page: its total and facet counts are its sample's, scaled, the
    total never below the exact limit."""
    counts = Counter({t: max(1, round(n * SAMPLE_SCALE)) for t, n in sample_counts.items()})
    return Page(work_ids, max(round(sampled * SAMPLE_SCALE), EXACT_LIMIT + 1), False, counts)


# Tiers decided by the document's own columns (title key, own title's terms); the others
# match text vectors, which costs ten times as much per row.
COLUMN_TIERS = (0, 1, 2)


def tier_case(tiers: dict[int, tuple[str, list]], which) -> tuple[str, list]:
    cases, params = [], []
    for tier, (condition, values) in sorted(tiers.items()):
        if tier in which:
            cases.append(f"WHEN {condition} THEN {tier}")
            params += values
    return (f"CASE {' '.join(cases)} ELSE 6 END", params) if cases else ("6", [])


def coverage_case(in_own_title: list) -> tuple[str, list]:
    covered = " + ".join(f"({condition})" for condition, _value in in_own_title) or "0"
    params = [value for _condition, value in in_own_title]
    return f"CASE WHEN ({covered}) * 2 >= title_words THEN 0 ELSE 1 END", params


# The columns each sort's ORDER BY (order_by) reads besides rank and work_id (an engine's
# ``newest`` orders by ``year``).
SORT_COLUMNS = {"newest": ("year",), "title": ("title_key",), "author": ("author_key", "title_key")}


def _relevance_keys(tiers: dict[int, tuple[str, list]], in_own_title: list):
    """The two computed keys of relevance, the tier and the title coverage, with their
    parameters; :func:`_relevance_order` orders by them."""
    tier, tier_params = tier_case(tiers, range(7))
    coverage, coverage_params = coverage_case(in_own_title)
    return tier, coverage, [*tier_params, *coverage_params]


def _relevance_order(tier: str, coverage: str) -> str:
    return f"{tier}, {coverage}, rank DESC, work_id"


def order_by(
    sort: str, *, newest: str, tiers: dict[int, tuple[str, list]], in_own_title: list
) -> tuple[str, list]:
    """The ORDER BY of a sort, from an engine's SQL: ``newest`` (year first, works
    without one last), the condition of each ranking tier, and one condition per query
    term (up to six) that is true when the work's own title holds it (title coverage)."""
    if sort == "newest":
        return f"{newest}, rank DESC, work_id", []
    if sort == "title":
        return "title_key, rank DESC, work_id", []
    if sort == "author":
        return "author_key = '', author_key, title_key, work_id", []
    if not tiers:
        return "rank DESC, work_id", []
    tier, coverage, params = _relevance_keys(tiers, in_own_title)
    return _relevance_order(tier, coverage), params


def sort_keys(
    sort: str, *, newest: str, tiers: dict[int, tuple[str, list]], in_own_title: list
) -> tuple[list[str], list, str]:
    """:func:`order_by` for matches that are read once and ordered later: the columns
    to read with them (by relevance, the tier and title coverage computed as each is
    read, ``expression AS name``), their parameters, and the ORDER BY over those columns."""
    if sort == "relevance" and tiers:
        tier, coverage, params = _relevance_keys(tiers, in_own_title)
        columns = [f"{tier} AS tier", f"{coverage} AS coverage"]
        return columns, params, _relevance_order("tier", "coverage")
    order, params = order_by(sort, newest=newest, tiers=tiers, in_own_title=in_own_title)
    return list(SORT_COLUMNS.get(sort, ())), params, order


def ranked_page(
    source: str, source_params: list, sort: str, limit: int, offset: int, *, newest: str,
    tiers: dict[int, tuple[str, list]], in_own_title: list,
) -> tuple[str, list]:  # fmt: skip
    """``SELECT work_id`` of one page of ``source`` ("a relation WHERE a condition") in
    ``sort`` order. By relevance, the works of the column tiers (0-2) come first: they
    are ranked alone, and the others — whose tiers match text vectors — only when the
    first are too few to fill the page. ``UNION ALL`` reads its branches in order (no
    parallel plans: settings.py) and the outer LIMIT stops before the second when the
    first fills the page: a query with many title matches ranks 10,000 works for the
    price of their columns."""
    costly = {tier for tier in tiers if tier not in COLUMN_TIERS}
    if sort != "relevance" or not costly or costly == set(tiers):
        order, order_params = order_by(sort, newest=newest, tiers=tiers, in_own_title=in_own_title)
        sql = f"SELECT work_id FROM {source} ORDER BY {order} LIMIT %s OFFSET %s"  # noqa: S608
        return sql, [*source_params, *order_params, limit, offset]
    first, first_params = tier_case(tiers, COLUMN_TIERS)
    rest, rest_params = tier_case(tiers, costly)
    coverage, coverage_params = coverage_case(in_own_title)
    wanted = offset + limit
    sql = f"""
        SELECT work_id FROM (
            SELECT work_id FROM (
                SELECT work_id FROM {source} AND {first} < 6
                ORDER BY {first}, {coverage}, rank DESC, work_id LIMIT %s
            ) AS column_tiers
            UNION ALL
            SELECT work_id FROM (
                SELECT work_id FROM {source} AND {first} = 6
                ORDER BY {rest}, {coverage}, rank DESC, work_id LIMIT %s
            ) AS other_tiers
        ) AS ranked LIMIT %s OFFSET %s
    """  # noqa: S608 (the SQL is the engines'; every value is a parameter)
    params = [
        *source_params, *first_params, *first_params, *coverage_params, wanted,
        *source_params, *first_params, *rest_params, *coverage_params, wanted,
        limit, offset,
    ]  # fmt: skip
    return sql, params


class Engine:
    """An engine indexes documents and answers plans; :meth:`run` is the algorithm
    above, each engine's own way."""

    vendor: str

    def write(self, documents) -> None:
        raise NotImplementedError

    def delete(self, work_ids) -> None:
        raise NotImplementedError

    def run(self, plan: Plan, *, sort: str, offset: int, limit: int, facets: bool = True) -> Page:
        """The works of one page of ``plan`` in ``sort`` order, the total and the facet
        counts: exact up to :data:`EXACT_LIMIT` works, estimated beyond."""
        raise NotImplementedError

    def term_frequency(self, stem: str, limit: int) -> int:
        """In how many works the index holds this term, counted up to ``limit``."""
        raise NotImplementedError

    def similar_terms(self, word: str, limit: int = 5) -> list[tuple[str, float, int]]:
        """Vocabulary words close to ``word`` (trigram similarity), closest first."""
        raise NotImplementedError

    def known_terms(self, words) -> set[str]:
        raise NotImplementedError

    def add_terms(self, counts: Counter) -> None:
        raise NotImplementedError

    def complete_titles(self, prefix: str, limit: int) -> list[int]:
        raise NotImplementedError

    def complete_authors(self, prefix: str, limit: int) -> list[int]:
        raise NotImplementedError
