"""What a patron asked, read into what the engines search.

The search box takes words, phrases in double quotes and identifiers (an ISBN-10 or
-13, an EAN or an ISSN, with or without hyphens or spaces: the whole box is then that
identifier). The advanced form adds fields — title, author, subject — whose words must
appear in that part of the record. Every part must match (AND).
"""

import re
from dataclasses import dataclass, field

from stdnum import ean, isbn, issn

from catalogue.dedup import title_for_key
from catalogue.search import analysis

# Fields of a document, as the engines name their columns.
TITLE, AUTHORS, SUBJECTS, OTHER = "title", "authors", "subjects", "other"
ALL_FIELDS = (TITLE, AUTHORS, SUBJECTS, OTHER)

_PHRASE = re.compile(r'"([^"]*)"')
_IDENTIFIER = re.compile(r"^[0-9][0-9xX\- ]{6,20}$")


@dataclass(frozen=True)
class Clause:
    """Terms that must all appear, in ``fields`` (any of them); ``phrase``: in order,
    next to each other."""

    terms: tuple[str, ...]
    fields: tuple[str, ...] = ALL_FIELDS
    phrase: bool = False


@dataclass(frozen=True)
class Plan:
    clauses: tuple[Clause, ...] = ()
    identifier: str = ""  # an ISBN-13 / EAN / compact ISSN: the query is that identifier
    title_key: str = ""  # the words meant as a title, as deduplication keys titles
    # What the ranking tiers look for: single terms, and phrases (terms in that order).
    rank_units: tuple[tuple[str, ...], ...] = ()
    # Facet tokens: a work must carry one token of each group (groups: one per facet).
    filters: tuple[tuple[str, ...], ...] = ()
    words: tuple[str, ...] = field(default=(), compare=False)  # folded words typed

    @property
    def rank_terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(term for unit in self.rank_units for term in unit))

    @property
    def is_empty(self) -> bool:
        return not self.clauses and not self.identifier


def identifier(text: str) -> str:
    """The identifier ``text`` is, in the form documents index it, or ""."""
    text = text.strip()
    if not _IDENTIFIER.match(text):
        return ""
    compact = re.sub(r"[\s-]", "", text).upper()
    if len(compact) in (10, 13) and isbn.is_valid(compact):
        return isbn.to_isbn13(compact).replace("-", "")
    if len(compact) == 13 and ean.is_valid(compact):
        return compact
    if len(compact) == 8 and issn.is_valid(compact):
        return compact.lower()
    return ""


def _clauses(text: str, fields: tuple[str, ...]) -> list[Clause]:
    clauses = []
    for phrase in _PHRASE.findall(text):
        terms = analysis.query_terms(phrase)
        if len(terms) > 1:
            clauses.append(Clause(tuple(terms), fields, phrase=True))
        elif terms:
            clauses.append(Clause(tuple(terms), fields))
    rest = _PHRASE.sub(" ", text).replace('"', " ")
    terms = analysis.query_terms(rest) if rest.strip() else []
    if terms:
        clauses.append(Clause(tuple(dict.fromkeys(terms)), fields))
    return clauses


def plan(
    *, text: str = "", title: str = "", author: str = "", subject: str = "", filters=()
) -> Plan:
    """The plan of a search. ``filters``: groups of facet tokens (see
    :mod:`catalogue.search.facets`); a work must carry a token of every group."""
    filters = tuple(tuple(sorted(set(group))) for group in filters if group)
    found = identifier(text) if not (title or author or subject) else ""
    if found:
        return Plan(identifier=found, filters=filters)
    clauses = [
        *_clauses(text, ALL_FIELDS),
        *_clauses(title, (TITLE,)),
        *_clauses(author, (AUTHORS,)),
        *_clauses(subject, (SUBJECTS,)),
    ]
    units: list[tuple[str, ...]] = []
    for clause in clauses:
        units += [clause.terms] if clause.phrase else [(term,) for term in clause.terms]
    rank_units = tuple(dict.fromkeys(units))
    as_title = " ".join(filter(None, (text.replace('"', " "), title)))
    typed = " ".join((text, title, author, subject))
    return Plan(
        clauses=tuple(clauses),
        title_key=title_for_key(as_title)[:255] if as_title.strip() else "",
        rank_units=rank_units,
        filters=filters,
        words=tuple(analysis.words(typed)),
    )
