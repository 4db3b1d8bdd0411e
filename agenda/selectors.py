"""Reads of the agenda: the occurrences a filter selects, one occurrence, a month."""

from calendar import Calendar
from datetime import date, datetime, timedelta

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404

from agenda.filters import AgendaFilters
from agenda.models import TZ, Audience, Occurrence


def _base() -> QuerySet:
    return Occurrence.objects.filter(event__published=True).select_related(
        "event__site__commune", "event__library", "event__place_commune", "event__commune"
    )


def list_occurrences(filters: AgendaFilters, now: datetime) -> QuerySet:
    """Dates of published events matching ``filters``, in time order, from ``now`` on
    (an occurrence still going on is kept). Cancelled dates stay, marked, so that nobody
    travels for nothing, unless places are asked for."""
    begin, end = filters.date_range(now)
    # Only what a line of the list shows: no boundary GeoJSON of three communes, no
    # description (a seven-table join of 4.5 KB rows otherwise; bench/agenda.py).
    queryset = (
        Occurrence.objects.filter(event__published=True, ends_at__gt=begin)
        .select_related("event__site", "event__library", "event__commune")
        .defer("event__commune__boundary", "event__description")
    )
    if end is not None:
        queryset = queryset.filter(starts_at__lt=end)
    event = {}
    if filters.commune:
        event["event__commune__insee_code"] = filters.commune
    if filters.library:
        event["event__library__slug"] = filters.library
    if filters.audience:
        event["event__audience"] = filters.audience
    if filters.category:
        event["event__category"] = filters.category
    if filters.free:
        event["event__is_free"] = True
    if filters.operation:
        event["event__operations__slug"] = filters.operation
    queryset = queryset.filter(**event)
    if filters.age is not None:
        age = filters.age
        queryset = queryset.filter(
            Q(event__audience=Audience.EVERYONE)
            | Q(event__audience=Audience.YOUTH)
            & (Q(event__age_min__isnull=True) | Q(event__age_min__lte=age))
            & (Q(event__age_max__isnull=True) | Q(event__age_max__gte=age))
        )
    if filters.places:
        queryset = queryset.exclude(status=Occurrence.Status.CANCELLED).filter(
            Q(capacity__isnull=True) | Q(confirmed_places__lt=F("capacity"))
        )
    if filters.query:
        words = filters.query
        queryset = queryset.filter(
            Q(event__title__icontains=words)
            | Q(event__summary__icontains=words)
            | Q(event__organiser__icontains=words)
        )
    return queryset.order_by("starts_at", "pk")


def get_occurrence(pk: int) -> Occurrence:
    return get_object_or_404(_base().prefetch_related("event__operations"), pk=pk)


def other_dates(occurrence: Occurrence, now: datetime, limit: int = 12) -> list[Occurrence]:
    """The event's other dates to come."""
    return list(
        Occurrence.objects.filter(event_id=occurrence.event_id, ends_at__gt=now)
        .exclude(pk=occurrence.pk)
        .order_by("starts_at")[:limit]
    )


def month_grid(month: date, occurrences) -> list[list[tuple[date, list[Occurrence]]]]:
    """Weeks (Monday first) of ``month``, each day with the dates that start and end on
    it; days of the neighbouring months are ``None``. Dates over several days (an
    exhibition) are not in the grid: see :func:`spanning`."""
    by_day: dict[date, list[Occurrence]] = {}
    for occurrence in occurrences:
        if not is_multi_day(occurrence):
            by_day.setdefault(occurrence.starts_at.astimezone(TZ).date(), []).append(occurrence)
    weeks = []
    for week in Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append(
            [(day, by_day.get(day, [])) if day.month == month.month else (None, []) for day in week]
        )
    return weeks


def spanning(occurrences) -> list[Occurrence]:
    """The dates over several days among ``occurrences`` (exhibitions, festivals)."""
    return [o for o in occurrences if is_multi_day(o)]


def is_multi_day(occurrence: Occurrence) -> bool:
    return occurrence.starts_at.astimezone(TZ).date() != occurrence.ends_at.astimezone(TZ).date()


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, datetime.min.time(), TZ),
        datetime.combine(following, datetime.min.time(), TZ),
    )
