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
static-rank order, where matches are dense, so few rows are read. How, is each engine's:
the base :meth:`Engine.run` (SQLite) counts up to the limit first and reads a broad
query tier by tier; PostgreSQL sizes every query on a fixed sample first and ranks a
broad one among a bounded set of candidates (:mod:`catalogue.search.postgres`).
Results beyond :data:`MAX_BROAD_RESULTS` are not paged: the patron is asked to refine.
"""

import math
from collections import Counter
from dataclasses import dataclass

from catalogue.search.query import Plan

EXACT_LIMIT = 10_000
MAX_BROAD_RESULTS = 1_000
SAMPLE_TARGET = 4_000  # matching works a facet estimate aims to count
TIERS = 7

SORTS = ("relevance", "newest", "title", "author")


@dataclass
class Page:
    work_ids: list[int]
    total: int
    exact: bool
    facet_counts: Counter  # token → count (estimated when not exact)


class Engine:
    """An engine indexes documents and answers plans. Subclasses implement the
    primitives; :meth:`run` is the algorithm above."""

    vendor: str

    def write(self, documents) -> None:
        raise NotImplementedError

    def delete(self, work_ids) -> None:
        raise NotImplementedError

    def count(self, plan: Plan, limit: int) -> int:
        """Works matching ``plan``, counted up to ``limit``."""
        raise NotImplementedError

    def exact_page(self, plan: Plan, sort: str, offset: int, limit: int) -> list[int]:
        """One page of a query known to match at most EXACT_LIMIT works, fully ranked."""
        raise NotImplementedError

    def exact_facets(self, plan: Plan) -> Counter:
        raise NotImplementedError

    def tier_page(self, plan: Plan, tier: int, limit: int) -> list[int]:
        """Up to ``limit`` works of one tier of a broad query, in static-rank order."""
        raise NotImplementedError

    def sorted_page(self, plan: Plan, sort: str, offset: int, limit: int) -> list[int]:
        """One page of a broad query sorted by year, title or author."""
        raise NotImplementedError

    def sample(self, plan: Plan, buckets: int) -> tuple[int, Counter]:
        """Matching works whose sample bucket is below ``buckets`` (of 1000): how many,
        and their facet counts."""
        raise NotImplementedError

    def tiers(self, plan: Plan) -> range:
        if plan.identifier or not plan.rank_terms:
            return range(TIERS - 1, TIERS)  # one tier: everything matches alike
        first = 0 if plan.title_key else 2
        return range(first, TIERS)

    def run(self, plan: Plan, *, sort: str, offset: int, limit: int, facets: bool = True) -> Page:
        total = self.count(plan, EXACT_LIMIT + 1)
        if total <= EXACT_LIMIT:
            ids = self.exact_page(plan, sort, offset, limit) if offset < total else []
            return Page(
                ids, total, True, self.exact_facets(plan) if facets and total else Counter()
            )
        wanted = min(offset + limit, MAX_BROAD_RESULTS)
        if sort == "relevance":
            ids: list[int] = []
            for tier in self.tiers(plan):
                if len(ids) >= wanted:
                    break
                ids += self.tier_page(plan, tier, wanted - len(ids))
            ids = ids[offset:wanted]
        else:
            ids = self.sorted_page(plan, sort, offset, max(wanted - offset, 0))
        estimate, counts = self._estimate(plan) if facets else (total, Counter())
        return Page(ids, max(estimate, EXACT_LIMIT + 1), False, counts)

    def _estimate(self, plan: Plan) -> tuple[int, Counter]:
        """The total and the facet counts of a broad query, from a sample of its works:
        1 % first, to learn its size, then as many buckets as SAMPLE_TARGET needs."""
        first, counts = self.sample(plan, 10)
        estimate = first * 100
        buckets = min(1000, max(10, math.ceil(1000 * SAMPLE_TARGET / max(estimate, 1))))
        if buckets > 10:
            first, counts = self.sample(plan, buckets)
        scale = 1000 / buckets
        return round(first * scale), Counter(
            {token: max(1, round(n * scale)) for token, n in counts.items()}
        )
