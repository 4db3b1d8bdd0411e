"""The aggregation job: idempotent, and equal to counting the raw events by hand."""

import random
from collections import defaultdict
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from digital.models import UsageEvent
from stats.aggregation import WHOLE_YEAR, aggregate_usage, count_usage
from stats.models import UsageFigure
from tests.stats.conftest import YEAR, access, at, pseudonym

Dimension = UsageFigure.Dimension


def stored() -> dict:
    return {
        (f.year, f.dimension, f.resource_id or f.library_id or f.commune_id, f.month): (
            f.accesses, f.users, f.card_users
        )
        for f in UsageFigure.objects.all()
    }  # fmt: skip


def by_hand(year: int) -> dict:
    """Every figure of the year, from the events one by one, with Python sets."""
    accesses, users, card = defaultdict(int), defaultdict(set), defaultdict(set)
    for event in UsageEvent.objects.all():
        local = timezone.localtime(event.at)
        if local.year != year:
            continue
        for month in (local.month, WHOLE_YEAR):
            for dimension, ident in [
                (Dimension.NETWORK, None), (Dimension.RESOURCE, event.resource_id),
                (Dimension.LIBRARY, event.home_library_id), (Dimension.COMMUNE, event.commune_id),
            ]:  # fmt: skip
                key = (year, dimension, ident, month)
                accesses[key] += 1
                if event.patron_hash:
                    users[key].add(event.patron_hash)
                    if event.card_kind == UsageEvent.CardKind.LIBRARY:
                        card[key].add(event.patron_hash)
    return {k: (n, len(users[k]), len(card[k])) for k, n in accesses.items()}


def random_year(cast, resources, events=600):
    rng = random.Random(8)
    libraries = [cast.library_a, cast.library_b, None]
    communes = [cast.commune_a, cast.commune_b, None]
    kinds = [UsageEvent.CardKind.LIBRARY] * 4 + [UsageEvent.CardKind.METROPOLITAN]
    start = at(1, 1, 0, 0) - timedelta(days=3)  # a few events of the year before
    for _ in range(events):
        patron = rng.choice(["", *(f"{n:02d}" for n in range(40))])
        access(
            rng.choice(resources), start + timedelta(minutes=rng.randrange(60 * 24 * 372)),
            patron=patron, library=rng.choice(libraries), commune=rng.choice(communes),
            card=rng.choice(kinds),
        )  # fmt: skip


def test_the_job_equals_counting_the_events_by_hand(cast, resources):
    random_year(cast, resources)
    aggregate_usage(YEAR)
    assert stored() == by_hand(YEAR)


def test_the_job_is_idempotent(cast, resources):
    random_year(cast, resources)
    aggregate_usage(YEAR)
    first = stored()
    count = UsageFigure.objects.count()
    aggregate_usage(YEAR)
    assert stored() == first
    assert UsageFigure.objects.count() == count


def test_a_month_run_rewrites_that_month_only(known_year, resources):
    press, _ = resources
    aggregate_usage(YEAR)
    access(press, at(3, 20), patron="d", library=known_year.library_a)
    aggregate_usage(YEAR, 3)
    figures = stored()
    assert figures[(YEAR, Dimension.NETWORK, None, 3)] == (3, 2, 2)
    # The year's distinct users need a year run.
    assert figures[(YEAR, Dimension.NETWORK, None, WHOLE_YEAR)] == (7, 3, 2)
    aggregate_usage(YEAR)
    assert stored() == by_hand(YEAR)


def test_a_month_count_holds_that_months_figures_only(known_year):
    counts = count_usage(YEAR, 1)
    assert {key[2] for key in counts} == {1}
    assert counts[(Dimension.NETWORK, None, 1)].users == 2


def test_figures_that_went_away_are_removed(known_year):
    aggregate_usage(YEAR)
    UsageEvent.objects.filter(patron_hash=pseudonym("b")).delete()
    aggregate_usage(YEAR)
    assert stored() == by_hand(YEAR)


def test_the_command_aggregates_a_year(known_year, capsys):
    call_command("aggregate_usage", "--year", str(YEAR))
    assert stored() == by_hand(YEAR)
    assert f"usage {YEAR}:" in capsys.readouterr().out
