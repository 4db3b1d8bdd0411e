"""Catalogue search: the one way into the union catalogue's works.

Views, the API and the benchmarks call :func:`search`, :func:`complete` and
:func:`index_works` (harvests: :func:`queue_works`, then :func:`index_pending` when a run
ends) and never an engine directly, so the engine behind them can change:

- PostgreSQL full text in production (:mod:`catalogue.search.postgres`),
- SQLite FTS5 embedded (:mod:`catalogue.search.sqlite`),
- OpenSearch/Elasticsearch when one machine is outgrown: an engine implementing
  :class:`catalogue.search.engine.Engine` over an index of the same documents
  (:mod:`catalogue.search.documents`; modelsearch's Elasticsearch backends show the
  mapping), chosen here. The README says more.

Both engines index the terms of one French analyser (:mod:`catalogue.search.analysis`)
and rank with the rules of :mod:`catalogue.search.engine`.
"""

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter

from django.db import connection
from rapidfuzz.distance import OSA

from catalogue.dedup import title_for_key
from catalogue.search import analysis, documents
from catalogue.search.engine import EXACT_LIMIT, MAX_BROAD_RESULTS, SORTS, Engine, Page
from catalogue.search.facets import BY_NAME, BY_PREFIX, FACETS, YEAR_RANGES, Facet, value_label
from catalogue.search.query import Plan, plan
from metrobib import pagecache

__all__ = [
    "EXACT_LIMIT",
    "MAX_BROAD_RESULTS",
    "SORTS",
    "Completion",
    "SearchQuery",
    "SearchResult",
    "complete",
    "index_pending",
    "index_works",
    "queue_works",
    "rebuild_index",
    "search",
]

INDEX_CHUNK = 1000
MAX_FACET_VALUES = 20  # values of one facet shown (the most frequent; selected ones too)
_YEAR_ORDER = {value: i for i, (value, *_rest) in enumerate(YEAR_RANGES)}
FEW_RESULTS = 3  # below this, a better spelling is offered ("Vouliez-vous dire…")


def current_engine() -> Engine:
    """The engine of the default database."""
    if connection.vendor == "postgresql":
        from catalogue.search.postgres import PostgresEngine

        return PostgresEngine()
    from catalogue.search.sqlite import SqliteEngine

    return SqliteEngine()


@dataclass(frozen=True)
class SearchQuery:
    """What a patron asks: the search box's text, the advanced form's fields, filters
    (facet name → values, as in the URL), a sort and a page (from 1)."""

    text: str = ""
    title: str = ""
    author: str = ""
    subject: str = ""
    filters: dict = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    @property
    def is_empty(self) -> bool:
        return not any((self.text.strip(), self.title, self.author, self.subject, self.filters))

    def plan(self, text: str | None = None) -> Plan:
        groups = [
            [f"{BY_NAME[name].prefix}:{value}" for value in values]
            for name, values in self.filters.items()
            if name in BY_NAME
        ]
        return plan(
            text=self.text if text is None else text,
            title=self.title,
            author=self.author,
            subject=self.subject,
            filters=groups,
        )


@dataclass(frozen=True)
class Hit:
    work_id: int


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class FacetGroup:
    facet: Facet
    values: list[FacetValue]


@dataclass
class SearchResult:
    query: SearchQuery
    hits: list[Hit]
    total: int
    exact: bool  # False: total and facet counts are estimates ("environ")
    facets: list[FacetGroup]
    corrected: str = ""  # the query shown, when the one typed found nothing
    suggestion: str = ""  # a better spelling with more results ("Vouliez-vous dire…")

    @property
    def pages(self) -> int:
        reachable = self.total if self.exact else min(self.total, MAX_BROAD_RESULTS)
        return max(1, math.ceil(reachable / self.query.per_page))

    @property
    def shown_total(self) -> int:
        """The total as shown: exact, or an estimate rounded to two significant digits."""
        if self.exact or self.total < 100:
            return self.total
        magnitude = 10 ** (len(str(self.total)) - 2)
        return round(self.total / magnitude) * magnitude


def search(query: SearchQuery) -> SearchResult:
    """Works matching ``query``, ranked (see :mod:`catalogue.search.engine`), with facet
    counts. When nothing matches and a better spelling exists, the results are those of
    the corrected query (``corrected``); with few results, the better spelling is offered
    (``suggestion``). Never raises on what a patron typed."""
    current = current_engine()
    sort = query.sort if query.sort in SORTS else "relevance"
    page_number = max(1, query.page)
    offset = (page_number - 1) * query.per_page
    if query.is_empty:
        return SearchResult(query, [], 0, True, [])
    the_plan = query.plan()
    page = current.run(the_plan, sort=sort, offset=offset, limit=query.per_page)
    corrected = suggestion = ""
    if page.total < FEW_RESULTS and query.text and not the_plan.identifier:
        better = better_spelling(query.text, current)
        if better:
            better_page = current.run(
                query.plan(better), sort=sort, offset=offset, limit=query.per_page
            )
            if page.total == 0 and better_page.total:
                page, corrected = better_page, better
            elif better_page.total > page.total:
                suggestion = better
    return SearchResult(
        query,
        [Hit(work_id) for work_id in page.work_ids],
        page.total,
        page.exact,
        facet_groups(page, query),
        corrected,
        suggestion,
    )


def facet_groups(page: Page, query: SearchQuery) -> list[FacetGroup]:
    """The facets to show: values by count (years in their order), the most frequent
    MAX_FACET_VALUES of each and the selected ones, with their labels (library, site and
    commune names read once per process until the network's data changes,
    metrobib.pagecache)."""
    by_prefix: dict[str, list[tuple[str, int]]] = {prefix: [] for prefix in BY_PREFIX}
    for token, count in page.facet_counts.items():
        prefix, _, value = token.partition(":")
        if prefix in by_prefix:
            by_prefix[prefix].append((value, count))
    shown: dict[str, list[tuple[str, int]]] = {}
    for facet in FACETS:
        values = by_prefix[facet.prefix]
        selected = query.filters.get(facet.name, ())
        if selected:
            # A selected value stays visible (to be removed) even when it counts nothing.
            present = {value for value, _count in values}
            values += [(value, 0) for value in selected if value not in present]
        if facet.prefix == "y":
            values.sort(key=lambda item: _YEAR_ORDER.get(item[0], 99))
        else:
            # By count, most first, then by value: two sorts on C keys (stable), a third
            # of one sort on a Python key (a subject facet has hundreds of values).
            values.sort()
            values.sort(key=itemgetter(1), reverse=True)
            values = values[:MAX_FACET_VALUES] + (
                [item for item in values[MAX_FACET_VALUES:] if item[0] in selected]
                if selected
                else []
            )
        if values:
            shown[facet.prefix] = values
    names = pagecache.derived("facet-names", (), _all_names)
    return [
        FacetGroup(
            facet,
            [
                FacetValue(
                    value,
                    value_label(facet.prefix, value, names),
                    count,
                    value in query.filters.get(facet.name, ()),
                )
                for value, count in shown[facet.prefix]
            ],
        )
        for facet in FACETS
        if facet.prefix in shown
    ]


def _all_names() -> dict[tuple[str, str], str]:
    from network.models import Commune, Library, Site

    names: dict[tuple[str, str], str] = {}
    for prefix, model, key in (
        ("b", Library, "pk"),
        ("s", Site, "pk"),
        ("c", Commune, "insee_code"),
    ):
        for value, name in model.objects.values_list(key, "name"):
            names[(prefix, str(value))] = name
    return names


RARE = 3  # a word found in fewer works than this may be a misspelling of a common one
MORE_COMMON = 10  # how many times more works the better spelling must be found in
# Letters a typo changes (insert, delete, replace, swap two): a word the index lacks may
# be two typos away from what was meant, a word it holds (rarely) only one.
TYPOS_UNKNOWN, TYPOS_RARE = 2, 1


def better_spelling(text: str, current: Engine | None = None) -> str:
    """``text`` with its doubtful words replaced by words of the catalogue's own
    vocabulary (titles, authors and subjects), or "". Candidates are the vocabulary's
    closest words by trigram similarity, kept if they are a typo or two away (optimal
    string alignment distance): a word the index does not hold at all is replaced by the
    closest within two typos; a word it holds in fewer than RARE works only by one a
    single typo away and found in MORE_COMMON times as many works (a misspelling the
    catalogue itself carries); a common word never."""
    current = current or current_engine()
    words = analysis.words(text)
    replaced = {}
    for word in dict.fromkeys(words):
        if len(word) < 3 or word.isdigit() or word in analysis.STOP_WORDS:
            continue
        found_in = current.term_frequency(analysis.stem(word), RARE)
        if found_in >= RARE:
            continue
        typos = TYPOS_RARE if found_in else TYPOS_UNKNOWN
        for term, _score, _works in current.similar_terms(word, limit=10):
            if term == word or OSA.distance(word, term) > typos:
                continue
            needed = max(1, MORE_COMMON * found_in)
            if current.term_frequency(analysis.stem(term), needed) >= needed:
                replaced[word] = term
                break
    if not replaced:
        return ""
    # Words kept because their stem is common may still be spelt as nobody does ("prid"
    # is "pride"'s stem): shown as the vocabulary spells them.
    known = current.known_terms(words)
    for word in dict.fromkeys(words):
        if word in replaced or word in known or len(word) < 3 or word.isdigit():
            continue
        for term, _score, _works in current.similar_terms(word, limit=10):
            if analysis.stem(term) == analysis.stem(word) and OSA.distance(word, term) <= 2:
                replaced[word] = term
                break
    return " ".join(replaced.get(word, word) for word in words)


# ------------------------------------------------------------------------- completion


@dataclass(frozen=True)
class Completion:
    label: str  # what the list shows
    kind: str  # "titre" or "auteur"
    query: str  # what the search box gets when chosen
    work_id: int | None = None  # a title opens its work


def complete(prefix: str, limit: int = 8) -> list[Completion]:
    """Titles and authors starting with what was typed (at least two letters): the
    titles of the best-held works first, then up to three authors."""
    from catalogue.models import Work

    folded = " ".join(analysis.words(prefix))
    if len(folded.replace(" ", "")) < 2:
        return []
    current = current_engine()
    title_prefix = title_for_key(prefix) or folded
    title_ids = current.complete_titles(title_prefix, limit)
    author_ids = current.complete_authors(folded, 3)
    works = Work.objects.in_bulk(set(title_ids) | set(author_ids))
    completions = []
    for work_id in author_ids:
        work = works.get(work_id)
        if work and work.main_author:
            completions.append(Completion(work.main_author, "auteur", work.main_author))
    titles: dict[str, Completion] = {}
    for work_id in title_ids:
        work = works.get(work_id)
        if work:
            label = f"{work.title} — {work.main_author}" if work.main_author else work.title
            if label in titles:
                # Several works answer to this label (the volumes of a set): search it.
                titles[label] = Completion(label, "titre", work.title)
            else:
                titles[label] = Completion(label, "titre", work.title, work.pk)
    return (list(titles.values())[: limit - len(completions)] + completions)[:limit]


# ----------------------------------------------------------------------------- indexing


def index_works(work_ids: Iterable[int]) -> int:
    """Write the search documents of these works (in the current transaction); works
    that no longer exist lose theirs with them. Returns how many were written."""
    work_ids = sorted(set(work_ids))
    current = current_engine()
    written = 0
    for start in range(0, len(work_ids), INDEX_CHUNK):
        built = documents.build(work_ids[start : start + INDEX_CHUNK])
        current.write(built)
        vocabulary: Counter = Counter()
        for document in built:
            vocabulary.update(document.vocabulary)
        current.add_terms(vocabulary)
        written += len(built)
    return written


def queue_works(work_ids: Iterable[int]) -> None:
    """Mark these works' documents to be written again (:func:`index_pending`), in the
    current transaction."""
    from catalogue.models import PendingIndex

    PendingIndex.objects.bulk_create(
        [PendingIndex(work_id=work_id) for work_id in set(work_ids)], ignore_conflicts=True
    )


def index_pending(progress: Callable[[int], None] | None = None) -> int:
    """Write the documents of every queued work, a chunk per transaction, and take them
    off the queue; works deleted since lose their document with them. Safe to run in
    several processes at once (PostgreSQL: rows locked, others skipped). Returns how many
    works were indexed."""
    from django.db import transaction

    from catalogue.models import PendingIndex

    done = 0
    while True:
        with transaction.atomic():
            queued = PendingIndex.objects.order_by("work_id")
            if connection.vendor == "postgresql":
                queued = queued.select_for_update(skip_locked=True)
            chunk = list(queued.values_list("work_id", flat=True)[:INDEX_CHUNK])
            if not chunk:
                return done
            index_works(chunk)
            PendingIndex.objects.filter(work_id__in=chunk).delete()
        done += len(chunk)
        if progress:
            progress(len(chunk))


def rebuild_index(progress: Callable[[int], None] | None = None) -> int:
    """Every work's document written again, and the vocabulary recounted."""
    from django.db import transaction

    from catalogue.models import PendingIndex, SearchTerm, Work, WorkIndex

    current = current_engine()
    vocabulary: Counter = Counter()
    written = 0
    last = 0
    while True:
        chunk = list(
            Work.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:INDEX_CHUNK]
        )
        if not chunk:
            break
        with transaction.atomic():
            built = documents.build(chunk)
            current.write(built)
        for document in built:
            vocabulary.update(document.vocabulary)
        written += len(built)
        last = chunk[-1]
        if progress:
            progress(len(chunk))
    with transaction.atomic():
        WorkIndex.objects.exclude(work__in=Work.objects.all()).delete()
        PendingIndex.objects.filter(work_id__lte=last).delete()
        SearchTerm.objects.all().delete()
        current.add_terms(vocabulary)
    return written
