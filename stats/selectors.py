"""Reading the usage figures: the dashboard of a year or a month, and the active members.

The dashboard reads what the aggregation job stored (``stats.aggregation``), never the
raw events: a page costs a handful of small queries however many events there are.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Min, Q, Sum
from django.utils import timezone

from digital.models import Resource, UsageEvent
from network.models import Commune, Library
from stats.figures import share_of_members
from stats.models import ActiveMembers, CounterCount, UsageFigure

MONTH_NAMES = [
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
]  # fmt: skip
NOT_KNOWN = "Non renseignée"
Dimension = UsageFigure.Dimension


@dataclass(frozen=True)
class Line:
    """One line of a table: what it is about, its accesses and distinct users, and (for
    a library or the network) the active members the share is taken of."""

    label: str
    accesses: int = 0
    users: int = 0
    card_users: int = 0
    active_members: int | None = None
    key: int | None = None  # the resource, library or commune, or the month
    vendor: int | None = None  # what the vendor reports (COUNTER), for a resource

    @property
    def share(self) -> Decimal | None:
        """Share of active members who used the digital library (``stats.figures``)."""
        return share_of_members(self.card_users, self.active_members)


@dataclass
class Dashboard:
    year: int
    month: int | None
    total: Line  # the period's
    year_total: Line  # the year's, below the months
    by_month: list[Line]
    by_resource: list[Line]
    by_library: list[Line]
    by_commune: list[Line]
    computed_at: datetime | None
    vendor_counts: dict[int, int] = field(default_factory=dict)

    @property
    def period(self) -> str:
        """« 2025 » or « mars 2025 »."""
        return month_label(self.year, self.month) if self.month else str(self.year)


def month_label(year: int, month: int) -> str:
    return f"{MONTH_NAMES[month - 1]} {year}"


def usage_dashboard(year: int, month: int | None = None) -> Dashboard:
    """The digital library's usage in ``year`` (or in one ``month`` of it): the network's
    total, each month of the year, each resource, home library and commune of residence
    (every one of them, with zeros, and a « Non renseignée » line for accesses whose
    library or commune is not known), from the figures the aggregation job stored.

    Distinct users are the year's (or the month's) distinct pseudonyms: a line of the
    year is never the sum of its months. The share of active members is that of the
    network (sum of the year's active members) and of each library (its own); for a
    month, it is the month's users with a library card over the year's members.
    ``computed_at`` is ``None`` when the job has not run for the year yet."""
    period = month or 0
    figures = list(
        UsageFigure.objects.filter(
            Q(year=year, month=period) | Q(year=year, dimension=Dimension.NETWORK)
        )
    )
    members = active_members_by_library(year)
    total_members = sum(members.values()) or None
    mine = [f for f in figures if f.month == period]
    network = {f.month: f for f in figures if f.dimension == Dimension.NETWORK}
    vendor = _vendor_counts(year, month)
    return Dashboard(
        year=year,
        month=month,
        total=_line("Réseau", network.get(period), total_members),
        year_total=_line(f"Année {year}", network.get(0), total_members),
        by_month=[
            _line(month_label(year, m), network.get(m), total_members, m) for m in range(1, 13)
        ],
        # Lines read only ids and names: no commune's boundary, no resource's key.
        by_resource=_lines(
            _of(mine, Dimension.RESOURCE, "resource_id"),
            Resource.objects.filter(Q(published=True) | Q(pk__in=_keys(mine, "resource_id"))).only(
                "pk", "name"
            ),
            vendor=vendor,
        ),
        by_library=_lines(
            _of(mine, Dimension.LIBRARY, "library_id"),
            Library.objects.only("pk", "name"),
            members,
        ),
        by_commune=_lines(
            _of(mine, Dimension.COMMUNE, "commune_id"), Commune.objects.only("pk", "name")
        ),
        computed_at=max((f.computed_at for f in figures), default=None),
        vendor_counts=vendor,
    )


def _vendor_counts(year: int, month: int | None) -> dict[int, int]:
    """Each resource's Total_Item_Requests as its vendor reports them (COUNTER reports
    imported by staff), for the period; empty when none was imported."""
    reported = vendor_monthly_counts(year, metrics=["Total_Item_Requests"])
    return {
        resource: sum(
            metrics.get("Total_Item_Requests", 0)
            for m, metrics in months.items()
            if not month or m == month
        )
        for resource, months in reported.items()
    }


def active_members_by_library(year: int) -> dict[int, int]:
    """Active members entered or imported for ``year``, by library id."""
    members = ActiveMembers.objects.filter(year=year).order_by()
    return dict(members.values_list("library_id", "count"))


def usage_years() -> list[int]:
    """The years there is usage of (from the first event to this year) or figures for,
    most recent first."""
    this_year = timezone.localdate().year
    first = UsageEvent.objects.aggregate(first=Min("at"))["first"]  # the index on ``at``
    years = set(range(timezone.localtime(first).year, this_year + 1)) if first else set()
    years |= set(UsageFigure.objects.values_list("year", flat=True).distinct())
    return sorted(years | {this_year}, reverse=True)


def _line(
    label: str, figure: UsageFigure | None, members: int | None = None, key=None, vendor=None
) -> Line:
    if figure is None:
        return Line(label, active_members=members, key=key, vendor=vendor)
    return Line(
        label, figure.accesses, figure.users, figure.card_users,
        active_members=members, key=key, vendor=vendor,
    )  # fmt: skip


def _of(figures: list[UsageFigure], dimension: str, attribute: str) -> dict:
    return {getattr(f, attribute): f for f in figures if f.dimension == dimension}


def _keys(figures: list[UsageFigure], attribute: str) -> set[int]:
    return {getattr(f, attribute) for f in figures if getattr(f, attribute) is not None}


def _lines(
    figures: dict,
    things: Iterable,
    members: dict[int, int] | None = None,
    *,
    vendor: dict[int, int] | None = None,
) -> list[Line]:
    """A line per thing (with zeros when it had no use), most accesses first, then a line
    for what is not known if any access has none."""
    members, vendor = members or {}, vendor or {}
    lines = [
        _line(
            str(thing), figures.get(thing.pk), members.get(thing.pk), thing.pk,
            vendor=vendor.get(thing.pk),
        )
        for thing in things
    ]  # fmt: skip
    lines.sort(key=lambda line: (-line.accesses, line.label))
    if None in figures:
        lines.append(_line(NOT_KNOWN, figures[None]))
    return lines


# ---------------------------------------------------------------- vendors' COUNTER counts

VENDOR_METRICS = ("Total_Item_Requests", "Unique_Item_Requests", "Searches_Platform")


def vendor_monthly_counts(
    year: int,
    *,
    resources: Iterable[int] | None = None,
    metrics: Iterable[str] = VENDOR_METRICS,
) -> dict[int, dict[int, dict[str, int]]]:
    """What the vendors themselves report (COUNTER), per resource and month of ``year``:
    ``{resource_id: {month (1–12): {metric: count}}}``, e.g.
    ``{3: {1: {"Total_Item_Requests": 1200, "Unique_Item_Requests": 800}}}``.

    Each resource's figures come from one report per month: its platform report (PR,
    then PR_P1) when it has one, else its database report (DR, DR_D1), else its title
    report (TR, TR_B1, TR_J1), since adding reports would count the same use twice. A
    metric the report does not have is absent (not 0); Searches_Platform is only in PR.
    When both releases were imported for a month, R5.1 is read. ``resources`` narrows to
    those resource ids; ``metrics`` to those Metric_Types."""
    rows = CounterCount.objects.filter(month__year=year, metric_type__in=list(metrics))
    if resources is not None:
        rows = rows.filter(resource_id__in=list(resources))
    totals = (
        rows.values("resource_id", "month", "report_code", "release", "metric_type")
        .annotate(total=Sum("count"))
        .order_by()
    )
    best: dict[tuple[int, int], tuple] = {}
    found: dict[tuple, dict[str, int]] = {}
    for row in totals:
        rank = _report_rank(row["report_code"], row["release"])
        if rank is None:
            continue
        slot = (row["resource_id"], row["month"].month)
        found.setdefault((*slot, rank), {})[row["metric_type"]] = row["total"]
        if slot not in best or rank < best[slot]:
            best[slot] = rank
    result: dict[int, dict[int, dict[str, int]]] = {}
    for (resource_id, month), rank in best.items():
        result.setdefault(resource_id, {})[month] = found[(resource_id, month, rank)]
    return result


_REPORT_ORDER = ("PR", "PR_P1", "DR", "DR_D1", "TR", "TR_B1", "TR_J1")


def _report_rank(report_code: str, release: str) -> tuple[int, int] | None:
    if report_code not in _REPORT_ORDER:
        return None
    return (_REPORT_ORDER.index(report_code), 0 if release == "5.1" else 1)
