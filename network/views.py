from datetime import datetime

from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from metrobib.pagecache import cached_response
from network import hours, selectors
from network.filters import SiteFilterForm
from network.jsonld import site_jsonld
from network.mapdata import sites_feature_collection


def current_time() -> datetime:
    """The moment the pages show opening states for; tests freeze the clock here."""
    return datetime.now(hours.TZ)


def site_list(request):
    now = current_time()
    return cached_response(request, "site_list", now, lambda: _site_list(request, now))


def _site_list(request, now):
    form = SiteFilterForm(request.GET or None)
    filters = form.to_filters()
    results = selectors.list_sites(filters, now)
    context = {
        "form": form,
        "filters": filters,
        "results": results,
        "geojson_url": f"{reverse('api-v1:sites_geojson')}?{filters.querystring()}",
    }
    # htmx refetches a whole page on a history cache miss (HX-History-Restore-Request).
    fragment = request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "network/_site_results.html" if fragment else "network/site_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response, hours.valid_until((r.status for r in results), now)


def site_detail(request, slug):
    now = current_time()
    return cached_response(request, "site_detail", now, lambda: _site_detail(request, slug, now))


def _site_detail(request, slug, now):
    site = selectors.get_site(slug, today=now.date())
    status = selectors.status_of(site, now)
    week = hours.week_schedule(site.opening_hours, site.current_exceptions, now.date())
    context = {
        "site": site,
        "status": status,
        "week": week,
        "upcoming_exceptions": site.current_exceptions,
        "library_page": getattr(site.library, "page", None),
        "jsonld": site_jsonld(site, week, request.build_absolute_uri(site.get_absolute_url())),
        "map_data": sites_feature_collection([site], now) if site.has_coordinates else None,
        "list_url": reverse("network:site_list"),
    }
    response = render(request, "network/site_detail.html", context)
    return response, hours.valid_until([status], now)
