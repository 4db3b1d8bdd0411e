"""The aggregation job: raw usage events (``digital.UsageEvent``) rolled up into the
figures the dashboard reads (:class:`stats.models.UsageFigure`).

For a year, and for each of its months: accesses, distinct users and distinct users with
a library card, for the network, each resource, each home library and each commune of
residence. A user is a yearly pseudonym (``patron_hash``); an anonymous access (free
resource, no login) counts as an access and never as a user.

Distinct users do not add up: a patron who used the press in March and in May is one
user of the year, not two, and one user of the network however many resources they
opened. So every distinct count is taken from the events themselves, never summed from
smaller counts.

Two ways to count, giving the same figures (``tests/stats`` checks both against a count
by hand; ``bench/usage.py`` compares them on a million events):

- on PostgreSQL, one statement (:func:`_count_in_postgresql`): the events are grouped
  once by (resource, library, commune, patron) with a bit mask of the months the patron
  was seen in (``BIT_OR(1 << month)``), then by patron per dimension; a month's users
  are the patrons whose mask has that month's bit. About 1 s for a million events;
- elsewhere (SQLite), the events grouped by month, resource, library, commune, patron
  and card, then counted with Python sets (:func:`_count_portably`).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from digital.models import UsageEvent
from stats.models import UsageFigure

WHOLE_YEAR = 0
MONTHS = range(1, 13)
Dimension = UsageFigure.Dimension
LIBRARY_CARD = UsageEvent.CardKind.LIBRARY
AGGREGATION_LOCK = 8_2026  # the first key of the job's advisory lock (the year is the second)

# (dimension, id of the resource, library or commune — None for the network or when not
# known, month — WHOLE_YEAR for the year)
Key = tuple[str, int | None, int]


@dataclass
class Tally:
    accesses: int = 0
    users: int = 0
    card_users: int = 0


def month_starts(year: int) -> list[datetime]:
    """The 13 local midnights starting each month of ``year`` and the next year: a month
    is the portal's local month (Europe/Paris), as the yearly pseudonym's year is."""
    tz = timezone.get_default_timezone()
    starts = [datetime(year, month, 1, tzinfo=tz) for month in MONTHS]
    return [*starts, datetime(year + 1, 1, 1, tzinfo=tz)]


def count_usage(year: int, month: int | None = None) -> dict[Key, Tally]:
    """The figures of ``year`` counted from its events (of ``month`` only when given:
    then only that month's figures, the year's need the whole year)."""
    starts = month_starts(year)
    start, end = (starts[month - 1], starts[month]) if month else (starts[0], starts[12])
    if connection.vendor == "postgresql":
        counts = _count_in_postgresql(starts, start, end)
    else:
        counts = _count_portably(start, end)
    if month:
        return {key: tally for key, tally in counts.items() if key[2] == month}
    return counts


def aggregate_usage(year: int, month: int | None = None) -> int:
    """Rewrite the stored figures of ``year`` (or of one month of it) from the events.

    Idempotent: the figures of the period are replaced in one transaction, so a run
    repeated, or one running while the dashboard is read, never shows a half. Returns
    how many figures were written."""
    counts = count_usage(year, month)
    now = timezone.now()
    rows = [_figure(year, key, tally, now) for key, tally in counts.items()]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two runs at once (cron and the page's button) write one after the other.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [AGGREGATION_LOCK, year])
        stale = UsageFigure.objects.filter(year=year)
        if month:
            stale = stale.filter(month=month)
        stale.delete()
        UsageFigure.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _figure(year: int, key: Key, tally: Tally, now: datetime) -> UsageFigure:
    dimension, ident, month = key
    figure = UsageFigure(
        year=year, month=month, dimension=dimension, accesses=tally.accesses,
        users=tally.users, card_users=tally.card_users, computed_at=now,
    )  # fmt: skip
    if dimension == Dimension.RESOURCE:
        figure.resource_id = ident
    elif dimension == Dimension.LIBRARY:
        figure.library_id = ident
    elif dimension == Dimension.COMMUNE:
        figure.commune_id = ident
    return figure


def _keys(resource: int, library: int | None, commune: int | None, month: int) -> list[Key]:
    keys = []
    for period in (month, WHOLE_YEAR):
        keys += [
            (Dimension.NETWORK, None, period),
            (Dimension.RESOURCE, resource, period),
            (Dimension.LIBRARY, library, period),
            (Dimension.COMMUNE, commune, period),
        ]
    return keys


def _count_portably(start: datetime, end: datetime) -> dict[Key, Tally]:
    groups = (
        UsageEvent.objects.filter(at__gte=start, at__lt=end)
        .annotate(month=ExtractMonth("at"))  # in the current (local) time zone
        .values_list(
            "month", "resource_id", "home_library_id", "commune_id", "patron_hash", "card_kind"
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    accesses: Counter = Counter()
    users: defaultdict = defaultdict(set)
    card_users: defaultdict = defaultdict(set)
    for month, resource, library, commune, patron, card_kind, n in groups.iterator(5000):
        for key in _keys(resource, library, commune, month):
            accesses[key] += n
            if patron:
                users[key].add(patron)
                if card_kind == LIBRARY_CARD:
                    card_users[key].add(patron)
    return {
        key: Tally(n, len(users.get(key, ())), len(card_users.get(key, ())))
        for key, n in accesses.items()
    }


# GROUPING(r, l, c) of each grouping set of the last step (its low three bits for the
# accesses' sets, whose bit 8 says the whole year), and the dimension it is.
_SETS = {
    3: Dimension.RESOURCE, 5: Dimension.LIBRARY, 6: Dimension.COMMUNE, 7: Dimension.NETWORK,
}  # fmt: skip


def _postgresql_statement() -> str:
    month_of = " ".join(f"WHEN at < %s THEN {m}" for m in range(1, 12))
    users_by_month = ", ".join(f"COUNT(*) FILTER (WHERE mm & {1 << m} <> 0)::int" for m in MONTHS)
    card_by_month = ", ".join(f"COUNT(*) FILTER (WHERE km & {1 << m} <> 0)::int" for m in MONTHS)
    zeros = ", ".join(["0"] * 25)
    # e: one row per event (OFFSET 0 keeps the month computed once per row).
    # f: grouped once by both sets: (m, r, l, c) for accesses, (r, l, c, p) with the months
    #    the patron was seen in (and seen with a library card) as bit masks.
    # u: patrons per resource, library, commune and network, their masks merged.
    # Then users from u, accesses from f's (m, r, l, c) rows, per month and for the year.
    # Only numbers built here go into the text; every value is a parameter.
    return f"""
    WITH e AS (
        SELECT CASE {month_of} ELSE 12 END AS m, resource_id AS r, home_library_id AS l,
               commune_id AS c, NULLIF(patron_hash, '') AS p,
               CASE WHEN card_kind = %s THEN 1 ELSE 0 END AS k
        FROM digital_usageevent WHERE at >= %s AND at < %s OFFSET 0
    ), f AS MATERIALIZED (
        SELECT GROUPING(m, p) AS g, m, r, l, c, p,
               BIT_OR(1 << m) AS mm, BIT_OR(k << m) AS km, COUNT(*)::int AS n
        FROM e GROUP BY GROUPING SETS ((r, l, c, p), (m, r, l, c))
    ), u AS (
        SELECT GROUPING(r, l, c) AS g, r, l, c, BIT_OR(mm) AS mm, BIT_OR(km) AS km
        FROM f WHERE g = 2 AND p IS NOT NULL
        GROUP BY GROUPING SETS ((r, p), (l, p), (c, p), (p))
    )
    SELECT 'users', g, 0, r, l, c, COUNT(*)::int, COUNT(*) FILTER (WHERE km <> 0)::int,
           {users_by_month}, {card_by_month}
    FROM u GROUP BY g, r, l, c
    UNION ALL
    SELECT 'accesses', GROUPING(m, r, l, c), m, r, l, c, SUM(n)::int, {zeros}
    FROM f WHERE g = 1
    GROUP BY GROUPING SETS ((m, r), (m, l), (m, c), (m), (r), (l), (c), ())
    """  # noqa: S608


def _count_in_postgresql(starts: list[datetime], start: datetime, end: datetime):
    counts: defaultdict[Key, Tally] = defaultdict(Tally)
    with transaction.atomic(), connection.cursor() as cursor:
        # A batch job on one statement: room to hash in memory, no JIT compilation
        # (it costs more than it saves on a query run once).
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_postgresql_statement(), [*starts[1:12], LIBRARY_CARD, start, end])
        for kind, g, m, r, l, c, n, card, *monthly in cursor.fetchall():  # noqa: E741
            dimension = _SETS[g & 7]
            ident = {Dimension.RESOURCE: r, Dimension.LIBRARY: l, Dimension.COMMUNE: c}.get(
                dimension
            )
            if kind == "accesses":
                counts[(dimension, ident, WHOLE_YEAR if g & 8 else m)].accesses = n
                continue
            year_tally = counts[(dimension, ident, WHOLE_YEAR)]
            year_tally.users, year_tally.card_users = n, card
            for month in MONTHS:
                users, card_users = monthly[month - 1], monthly[month + 11]
                if users:
                    tally = counts[(dimension, ident, month)]
                    tally.users, tally.card_users = users, card_users
    return dict(counts)
