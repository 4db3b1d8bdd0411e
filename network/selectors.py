"""Reusable read queries for sites and libraries, with their opening status."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from metrobib import pagecache
from network import hours
from network.filters import SiteFilters
from network.models import Library, OpeningException, Site


@dataclass(frozen=True)
class SiteWithStatus:
    site: Site
    status: hours.Status


def current_exceptions(today: date) -> Prefetch:
    """A site's exceptions from ``today`` on, as ``current_exceptions``."""
    return Prefetch(
        "exceptions",
        queryset=OpeningException.objects.filter(end_date__gte=today).order_by("start_date"),
        to_attr="current_exceptions",
    )


def sites_queryset(today: date) -> QuerySet[Site]:
    return (
        Site.objects.select_related("library", "commune", "photo")
        .defer("commune__boundary")
        .prefetch_related("features", current_exceptions(today))
        .order_by("commune__name", "name")
    )


def sites_by_id(today: date) -> dict[int, Site]:
    """Every site with its library, commune and exceptions from ``today``, built once per
    process until the network's data changes (metrobib.pagecache): pages that show a few
    sites among many (a work's copies) read none from the database."""

    def build() -> dict[int, Site]:
        queryset = (
            Site.objects.select_related("library", "commune")
            .defer("commune__boundary")
            .prefetch_related(current_exceptions(today))
        )
        return {site.pk: site for site in queryset}

    return pagecache.derived("sites-by-id", (today,), build)


def status_of(site: Site, now: datetime) -> hours.Status:
    exceptions = getattr(site, "current_exceptions", None)
    if exceptions is None:
        exceptions = list(site.exceptions.filter(end_date__gte=now.astimezone(hours.TZ).date()))
    return hours.status_at(site.opening_hours, exceptions, now)


def list_sites(filters: SiteFilters, now: datetime) -> list[SiteWithStatus]:
    """Sites matching ``filters``, each with its status at ``now``, in commune order."""
    queryset = sites_queryset(now.astimezone(hours.TZ).date())
    if filters.commune:
        queryset = queryset.filter(commune__insee_code=filters.commune)
    for slug in (*filters.services, *filters.accessibility):
        queryset = queryset.filter(features__slug=slug)
    if filters.query:
        queryset = queryset.filter(
            Q(name__icontains=filters.query)
            | Q(address__icontains=filters.query)
            | Q(library__name__icontains=filters.query)
            | Q(commune__name__icontains=filters.query)
        )
    results = [SiteWithStatus(site, status_of(site, now)) for site in queryset.distinct()]
    if filters.open_now:
        results = [r for r in results if r.status.is_open]
    return results


def get_site(slug: str, today: date | None = None) -> Site:
    """The site with its exceptions from ``today`` (default: today in Paris); 404 if none."""
    today = today or datetime.now(hours.TZ).date()
    return get_object_or_404(sites_queryset(today), slug=slug)


def list_libraries() -> QuerySet[Library]:
    return Library.objects.prefetch_related("communes").order_by("name")


def get_library(slug: str) -> Library:
    return get_object_or_404(Library.objects.prefetch_related("communes"), slug=slug)
