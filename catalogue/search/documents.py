"""A work's search document, built from its records and copies.

A document has four text fields of analysed terms — title (titles, subtitles and parts
of every edition), authors (every name of every edition), subjects (subject headings and
series) and other (summaries, statements of responsibility, publishers, contents, and
the identifiers ISBN-13, EAN, ISSN as plain tokens) — and the values the ranking and the
facets need. Engines index the fields with weights title > authors > subjects > other.
"""

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from catalogue.dedup import title_for_key
from catalogue.models import Item, Record, Work
from catalogue.search import analysis
from catalogue.search.facets import AVAILABLE_NOW, year_range

MAX_SUBJECT_FACETS = 6
MAX_SUMMARY = 4000  # characters of summaries and contents indexed per work
RANK_PER_LIBRARY = 10_000_000  # static rank of each library holding a work (up to 200)
# Libraries holding a work, as thresholds: a work held by at least N libraries carries the
# token "r:N" for each N it reaches. Static rank orders works by libraries first, so the
# best-ranked works matching a query are among those of the highest threshold that holds
# enough of them (the engines read them there, not among all).
HELD_BY = (2, 3, 4, 6, 10, 20, 40)


@dataclass
class Document:
    work_id: int
    title: str  # analysed terms, space-separated
    authors: str
    subjects: str
    other: str
    title_key: str
    title_terms: str
    title_words: int
    author_key: str
    year: int | None
    library_count: int
    available_count: int
    rank: int
    sample: int
    facets: list[str] = field(default_factory=list)
    vocabulary: set[str] = field(default_factory=set)  # folded words of titles and authors

    @property
    def held_by(self) -> list[str]:
        """The library thresholds this work reaches (:data:`HELD_BY`), as tokens."""
        return held_by_tokens(self.library_count)


def static_rank(library_count: int, record_count: int, year: int | None) -> int:
    """The tie-breaker of relevance as one sortable number: libraries holding the work,
    then its editions and copies (records), then its year (the newest first)."""
    year = max(0, min(year or 0, 9999))
    return min(library_count, 200) * RANK_PER_LIBRARY + min(record_count, 999) * 10_000 + year


def held_by_token(threshold: int) -> str:
    return f"r:{threshold}"


def held_by_tokens(library_count: int) -> list[str]:
    return [held_by_token(n) for n in HELD_BY if library_count >= n]


def sample_bucket(work_id: int) -> int:
    """A stable pseudo-random 0–999 per work: facet estimates on very large result sets
    count a uniform sample of the works (see :mod:`catalogue.search`)."""
    return zlib.crc32(work_id.to_bytes(8, "little")) % 1000


def identifier_tokens(isbns, eans, issns) -> list[str]:
    return [*isbns, *eans, *(issn.replace("-", "").lower() for issn in issns)]


def subject_heading(subject: str) -> str:
    """The main heading of a subject string ("Finances publiques -- France" →
    "Finances publiques"), as shown in the subject facet."""
    return subject.split(" -- ")[0].strip(" .")[:120]


_RECORD_COLUMNS = (
    "work_id", "library_id", "title", "subtitle", "part", "responsibility", "authors", "publisher",
    "year", "isbns", "eans", "issns", "language", "doc_type", "audience", "subjects",
    "summary", "series", "contents",
)  # fmt: skip


def build(work_ids: Iterable[int]) -> list[Document]:
    """Documents of these works (works that no longer exist are left out). Three queries:
    works, their records, their copies with the site's commune."""
    work_ids = list(work_ids)
    works = {
        row[0]: row[1:]
        for row in Work.objects.filter(pk__in=work_ids).values_list(
            "pk", "title", "main_author", "year", "record_count", "library_count"
        )
    }
    records: dict[int, list[tuple]] = {}
    for row in Record.objects.filter(work_id__in=works).values_list(*_RECORD_COLUMNS):
        records.setdefault(row[0], []).append(row)
    copies: dict[int, list[tuple]] = {}
    for row in Item.objects.filter(record__work_id__in=works).values_list(
        "record__work_id", "library_id", "site_id", "site__commune__insee_code", "available"
    ):
        copies.setdefault(row[0], []).append(row[1:])
    return [
        _document(work_id, works[work_id], records.get(work_id, []), copies.get(work_id, []))
        for work_id in works
    ]


def _document(work_id: int, work: tuple, records: list[tuple], copies: list[tuple]) -> Document:
    title, main_author, year, record_count, library_count = work
    titles, names, subjects, other, identifiers = [], [], [], [], []
    vocabulary: set[str] = set()
    facets: set[str] = set()
    headings: list[str] = []
    summary_budget = MAX_SUMMARY
    for (
        _work, library_id, r_title, subtitle, part, responsibility, authors, publisher,
        r_year, isbns, eans, issns, language, doc_type, audience, r_subjects, summary,
        series, contents,
    ) in records:  # fmt: skip
        titles.append(" ".join(filter(None, (r_title, subtitle, part))))
        names.extend(author["name"] for author in authors)
        subjects.extend(r_subjects)
        subjects.extend(series)
        texts = [summary, contents]
        for index, text in enumerate(texts):
            texts[index] = text[: max(summary_budget, 0)]
            summary_budget -= len(texts[index])
        other.extend(filter(None, (*texts, responsibility, publisher)))
        identifiers.extend(identifier_tokens(isbns, eans, issns))
        # Records without copies still say which library holds them (serials, e-books).
        facets.add(f"b:{library_id}")
        facets.add(f"t:{doc_type}")
        if audience:
            facets.add(f"p:{audience}")
        if language:
            facets.add(f"l:{language}")
        if r_year is not None and year_range(r_year):
            facets.add(f"y:{year_range(r_year)}")
        for subject in r_subjects:
            heading = subject_heading(subject)
            # A heading whose source lost bytes (U+FFFD) would show as garbage.
            if heading and heading not in headings and "\ufffd" not in heading:
                headings.append(heading)
    facets.update(f"u:{heading}" for heading in headings[:MAX_SUBJECT_FACETS])
    available = 0
    for library_id, site_id, insee, is_available in copies:
        facets.add(f"b:{library_id}")
        if site_id is not None:
            facets.add(f"s:{site_id}")
            if insee:
                facets.add(f"c:{insee}")
            if is_available:
                available += 1
    if available:
        facets.add(AVAILABLE_NOW)
    distinct_titles = list(dict.fromkeys(titles))
    distinct_names = list(dict.fromkeys(names))
    # The words corrections may suggest — and never correct: titles, names, subjects.
    for text in (*distinct_titles, *distinct_names, *dict.fromkeys(subjects)):
        vocabulary.update(word for word in analysis.words(text) if len(word) > 2)
    key = title_for_key(title)[:255]
    own_terms = analysis.terms(title)[:60]
    return Document(
        work_id=work_id,
        title=" ".join(analysis.analysed(t) for t in distinct_titles),
        authors=" ".join(analysis.analysed(n) for n in distinct_names),
        subjects=" ".join(analysis.analysed(s) for s in dict.fromkeys(subjects)),
        other=" ".join(
            [*(analysis.analysed(text) for text in dict.fromkeys(other)), *set(identifiers)]
        ),
        title_key=key,
        title_terms=f" {' '.join(own_terms)} "[:500],
        title_words=len(own_terms),
        author_key=" ".join(analysis.words(main_author))[:255],
        year=year,
        library_count=library_count,
        available_count=available,
        rank=static_rank(library_count, record_count, year),
        sample=sample_bucket(work_id),
        facets=sorted(facets),
        vocabulary=vocabulary,
    )
