from datetime import datetime

from django.shortcuts import render
from django.urls import reverse

from network import hours, selectors
from network.filters import SiteFilterForm
from network.jsonld import site_jsonld
from network.mapdata import sites_feature_collection


def site_list(request):
    form = SiteFilterForm(request.GET or None)
    filters = form.to_filters()
    now = datetime.now(hours.TZ)
    results = selectors.list_sites(filters, now)
    context = {
        "form": form,
        "filters": filters,
        "results": results,
        "map_data": sites_feature_collection([r.site for r in results], now, statuses=results),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "network/_site_results.html", context)
    return render(request, "network/site_list.html", context)


def site_detail(request, slug):
    site = selectors.get_site(slug)
    now = datetime.now(hours.TZ)
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
    return render(request, "network/site_detail.html", context)
