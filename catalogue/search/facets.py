"""The facets of catalogue search: what a work is filed under, and how values are shown.

A work's facet values are stored as short tokens, ``<prefix>:<value>`` (``t:book``,
``b:12``, ``y:2010``), one list per work, so that one index answers every filter and
one aggregate counts every facet. The URL carries the same values
(``?type=book&bibliotheque=12``): filters are plain links.
"""

import gettext
from dataclasses import dataclass
from functools import cache

import pycountry

from catalogue.records import Audience, DocType


@dataclass(frozen=True)
class Facet:
    name: str  # URL parameter
    prefix: str  # token prefix
    label: str  # French, shown to patrons
    size: int = 8  # values shown before "voir plus"


FACETS = [
    Facet("disponible", "d", "Disponibilité", 1),
    Facet("type", "t", "Type de document", 10),
    Facet("public", "p", "Public", 3),
    Facet("langue", "l", "Langue", 8),
    Facet("annee", "y", "Année de publication", 8),
    Facet("bibliotheque", "b", "Bibliothèque", 10),
    Facet("commune", "c", "Commune", 10),
    Facet("lieu", "s", "Lieu", 10),
    Facet("matiere", "u", "Sujet", 10),
]
BY_NAME = {facet.name: facet for facet in FACETS}
BY_PREFIX = {facet.prefix: facet for facet in FACETS}

AVAILABLE_NOW = "d:1"  # a copy on the shelf at a site of the network

# Year ranges, newest first: (token value, label, first year, last year).
YEAR_RANGES = [
    ("2020", "2020 et après", 2020, 9999),
    ("2010", "2010 – 2019", 2010, 2019),
    ("2000", "2000 – 2009", 2000, 2009),
    ("1990", "1990 – 1999", 1990, 1999),
    ("1950", "1950 – 1989", 1950, 1989),
    ("1900", "1900 – 1949", 1900, 1949),
    ("1800", "1800 – 1899", 1800, 1899),
    ("0", "Avant 1800", -9999, 1799),
]


def year_range(year: int | None) -> str:
    if year is None:
        return ""
    for value, _label, first, last in YEAR_RANGES:
        if first <= year <= last:
            return value
    return ""


def token(name: str, value: str) -> str:
    return f"{BY_NAME[name].prefix}:{value}"


@cache
def _french_languages() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=["fr"])
    except OSError:
        return gettext.NullTranslations()


@cache
def language_label(code: str) -> str:
    """French name of an ISO 639-2 code ("ger" → "Allemand"), or the code itself."""
    language = pycountry.languages.get(bibliographic=code) or pycountry.languages.get(alpha_3=code)
    if language is None:
        return code
    return _french_languages().gettext(language.name)


_AUDIENCES = dict(Audience.CHOICES)
_YEARS = {value: label for value, label, _first, _last in YEAR_RANGES}


def value_label(prefix: str, value: str, names: dict[tuple[str, str], str]) -> str:
    """How a facet value is shown. ``names`` holds the labels read from the database
    (libraries, communes, sites) keyed by (prefix, value)."""
    if prefix == "t":
        return DocType.LABELS.get(value, value)
    if prefix == "p":
        return _AUDIENCES.get(value, value)
    if prefix == "l":
        return language_label(value)
    if prefix == "y":
        return _YEARS.get(value, value)
    if prefix == "d":
        return "Disponible maintenant"
    return names.get((prefix, value), value)
