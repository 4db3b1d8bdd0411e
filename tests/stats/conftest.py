"""A small, known year of usage: who opened what, when, with which card."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from digital.models import Resource, UsageEvent
from stats.models import ActiveMembers

PARIS = ZoneInfo("Europe/Paris")
YEAR = 2025
LIBRARY_CARD = UsageEvent.CardKind.LIBRARY
METROPOLITAN = UsageEvent.CardKind.METROPOLITAN
ANONYMOUS = UsageEvent.CardKind.NONE


def at(month: int, day: int, hour: int = 12, minute: int = 0, year: int = YEAR) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def pseudonym(name: str) -> str:
    return (name * 64)[:64]


def access(resource, when, patron="", library=None, commune=None, card=LIBRARY_CARD):
    return UsageEvent.objects.create(
        resource=resource, at=when, patron_hash=pseudonym(patron) if patron else "",
        home_library=library, commune=commune, card_kind=card if patron else ANONYMOUS,
    )  # fmt: skip


@pytest.fixture
def resources(db):
    press = Resource.objects.create(
        name="Presse en ligne", slug="presse", kind="presse", summary="Journaux.",
        url="https://presse.example.org/",
    )  # fmt: skip
    films = Resource.objects.create(
        name="Films à la demande", slug="films", kind="cinema", summary="Films.",
        url="https://films.example.org/",
    )  # fmt: skip
    return press, films


@pytest.fixture
def known_year(cast, resources):
    """Patron A (library card, library A, Bron): the press twice in January, once in
    March, films in March. Patron B (metropolitan card, library B, Vénissieux): films
    in January. An anonymous access to the press in January. Patron C (library card,
    library B, living in Bron): the press on 31 December at 23:30 and on 1 January next
    year at 00:30 (Paris time: the same UTC day, another year). Active members: 40 at
    library A, 60 at library B."""
    press, films = resources
    a = {"patron": "a", "library": cast.library_a, "commune": cast.commune_a}
    b = {"patron": "b", "library": cast.library_b, "commune": cast.commune_b,
         "card": METROPOLITAN}  # fmt: skip
    c = {"patron": "c", "library": cast.library_b, "commune": cast.commune_a}
    access(press, at(1, 6), **a)
    access(press, at(1, 20), **a)
    access(press, at(3, 2), **a)
    access(films, at(3, 9), **a)
    access(films, at(1, 15), **b)
    access(press, at(1, 10))
    access(press, at(12, 31, 23, 30), **c)
    access(press, at(1, 1, 0, 30, year=YEAR + 1), **c)
    ActiveMembers.objects.create(library=cast.library_a, year=YEAR, count=40)
    ActiveMembers.objects.create(library=cast.library_b, year=YEAR, count=60)
    return cast
