"""Demo usage for `make run`: accesses to the demo resources over last year and this year
up to yesterday, and each library's active members, so that the dashboard has figures.

Invented but shaped like the real thing (seeded, the same at every load), at the scale
of the source document's year (about 1,430 library-card users of 44,500 active members):
some 1,700 patrons a year, each with a home library (more of them in bigger towns), mostly
living in its commune, one to three favourite resources and their own rhythm (a few read
the press every week, most come now and then); most use a library card, some the
metropolitan card. Demo accesses carry a pseudonym starting with ``demo`` and are
replaced at each load; real accesses made while trying the portal are kept. Active
members are entered where nothing is there yet: the source's 44,500 shared between the
libraries by their communes' population. The dashboard computes the share from these;
nothing of the source's rounding is copied.
"""

import hashlib
import math
import random
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from digital.models import Resource, UsageEvent
from network.models import Library
from stats.aggregation import aggregate_usage
from stats.models import ActiveMembers

SEED = 20210607
PREFIX = "demo"
PATRONS_PER_YEAR = 1_700
# How much each demo resource is used (the press and films most, as in the network).
APPEAL = {
    "europresse": 30, "la-mediatheque-numerique": 18, "gallica": 14, "tout-apprendre": 12,
    "numelyo": 8, "philharmonie-a-la-demande": 6, "ziklibrenbib": 5, "liseuses": 4,
}  # fmt: skip
AGE_BANDS = ["0-14"] * 1 + ["15-17"] * 1 + ["18-25"] * 2 + ["26-64"] * 9 + ["65+"] * 3
ACTIVE_MEMBERS = 44_500  # the network's active members in the source document


def load_demo_usage(today: date) -> dict:
    """Replace the demo accesses, enter missing active members, aggregate both years."""
    resources = list(Resource.objects.filter(slug__in=APPEAL).order_by("slug"))
    libraries = list(Library.objects.prefetch_related("communes").order_by("slug"))
    if not resources or not libraries:
        return {"events": 0, "members": 0, "figures": 0}
    UsageEvent.objects.filter(patron_hash__startswith=PREFIX).delete()
    rng = random.Random(SEED)
    events = []
    for year in (today.year - 1, today.year):
        events += _year_of_usage(rng, year, today, resources, libraries)
    UsageEvent.objects.bulk_create(events, batch_size=1000)
    members = _active_members(rng, today, libraries)
    figures = sum(aggregate_usage(year) for year in (today.year - 1, today.year))
    return {"events": len(events), "members": members, "figures": figures}


def _year_of_usage(rng, year, today, resources, libraries) -> list[UsageEvent]:
    first = date(year, 1, 1)
    last = min(date(year, 12, 31), today - timedelta(days=1))
    if last < first:
        return []
    days = (last - first).days + 1
    library_weights = [math.sqrt(_population(library)) for library in libraries]
    everywhere = sorted({c for library in libraries for c in library.communes.all()}, key=str)
    weights = [APPEAL[r.slug] for r in resources]
    tz = timezone.get_default_timezone()
    events = []
    for n in range(round(PATRONS_PER_YEAR * days / 365)):
        library = rng.choices(libraries, library_weights)[0]
        communes = list(library.communes.all())
        # Most live in the library's town; some come from elsewhere.
        commune = communes[0] if communes and rng.random() < 0.9 else _any(rng, everywhere)
        favourites = set(rng.choices(resources, weights, k=rng.choice([1, 1, 2, 3])))
        card = (
            UsageEvent.CardKind.LIBRARY if rng.random() < 0.85 else UsageEvent.CardKind.METROPOLITAN
        )
        pseudonym = PREFIX + hashlib.sha256(f"{year}-{n}".encode()).hexdigest()[:60]
        age_band = rng.choice(AGE_BANDS)
        for _ in range(min(int(rng.paretovariate(1.3)) * 2, 60)):
            day = first + timedelta(days=rng.randrange(days))
            local = datetime(day.year, day.month, day.day, rng.randrange(8, 23), rng.randrange(60))
            resource = rng.choice(sorted(favourites, key=lambda r: r.slug))
            events.append(
                UsageEvent(
                    resource=resource, at=local.replace(tzinfo=tz).astimezone(UTC),
                    patron_hash=pseudonym, home_library=library,
                    commune=commune, age_band=age_band,
                    card_kind=card, on_site=resource.on_site_only,
                )
            )  # fmt: skip
    return events


def _any(rng, things):
    return rng.choice(things) if things else None


def _population(library) -> int:
    return sum(c.population or 0 for c in library.communes.all()) or 2000


def _active_members(rng, today, libraries) -> int:
    entered = 0
    population = sum(_population(library) for library in libraries)
    for year in (today.year - 1, today.year):
        for library in libraries:
            share = _population(library) / population * rng.uniform(0.9, 1.1)
            _, created = ActiveMembers.objects.get_or_create(
                library=library, year=year,
                defaults={"count": max(10, round(ACTIVE_MEMBERS * share))},
            )  # fmt: skip
            entered += created
    return entered
