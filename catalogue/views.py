"""Public pages of the union catalogue: search, advanced search, a work, its live status."""

from datetime import datetime
from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from accounts import patrons
from catalogue import availability, exports, filters, search, selectors
from catalogue.records import DocType
from digital.selectors import resources_matching
from network import hours
from network.mapdata import sites_feature_collection


def current_time() -> datetime:
    """The moment pages show opening states for; tests freeze the clock here."""
    return datetime.now(hours.TZ)


@require_GET
def search_page(request):
    wanted = filters.read_search(request.GET)
    result = search.search(wanted.query)
    context = {
        "wanted": wanted,
        "result": result,
        "rows": selectors.result_rows([hit.work_id for hit in result.hits]),
        "facets": facet_links(wanted, result),
        "pages": page_links(wanted, result),
        "sorts": filters.SORT_LABELS,
        "clear_url": reverse("catalogue:search") + wanted.clear_url(),
        "first_number": (wanted.query.page - 1) * wanted.query.per_page + 1,
        "max_broad_results": search.MAX_BROAD_RESULTS,
        "max_broad_pages": search.MAX_BROAD_RESULTS // wanted.query.per_page,
        "corrected_url": _with_text(wanted, result.corrected),
        "suggestion_url": _with_text(wanted, result.suggestion),
        "resources": resources_matching(wanted.text.get("q", "")) if wanted.query.page == 1 else [],
    }
    return render(request, "catalogue/search.html", context)


def _with_text(wanted, text: str) -> str:
    """The URL of this search with another text in the box (a spelling correction)."""
    params = [(k, v) for k, v in wanted.params() if k != "q"]
    return f"{reverse('catalogue:search')}?{urlencode([('q', text), *params])}" if text else ""


def facet_links(wanted, result) -> list[dict]:
    groups = []
    for group in result.facets:
        urls = wanted.toggle_urls(group.facet.name, [value.value for value in group.values])
        values = [
            {"label": v.label, "count": v.count, "selected": v.selected, "url": url}
            for v, url in zip(group.values, urls, strict=True)
        ]
        groups.append(
            {
                "name": group.facet.name,
                "label": group.facet.label,
                "shown": values[: group.facet.size],
                "more": values[group.facet.size :],
            }
        )
    return groups


def page_links(wanted, result) -> list[dict]:
    """Numbered page links around the current one (first, last, and two either side)."""
    current, last = wanted.query.page, result.pages
    numbers = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)} - {0})
    links, previous = [], 0
    for number in numbers:
        if number - previous > 1:
            links.append({"gap": True})
        links.append(
            {"number": number, "url": wanted.page_url(number), "current": number == current}
        )
        previous = number
    return links if last > 1 else []


@require_GET
def advanced(request):
    wanted = filters.read_search(request.GET)
    context = {
        "wanted": wanted,
        "types": DocType.CHOICES,
        "selected_types": set(wanted.query.filters.get("type", ())),
        "sorts": filters.SORT_LABELS,
    }
    return render(request, "catalogue/advanced.html", context)


@require_GET
def complete(request):
    """Suggestions for the search box's combobox: titles and authors (JSON)."""
    prefix = request.GET.get("q", "")[:100]
    completions = search.complete(prefix) if "\x00" not in prefix else []
    items = [
        {
            "label": completion.label,
            "kind": completion.kind,
            # A title opens its work (or searches it, when several works share it); an
            # author searches the author's works.
            "url": reverse("catalogue:work", args=[completion.work_id])
            if completion.work_id
            else f"{reverse('catalogue:search')}?"
            + urlencode({"auteur" if completion.kind == "auteur" else "q": completion.query}),
        }
        for completion in completions
    ]
    response = JsonResponse({"suggestions": items})
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def work(request, pk: int, live: bool = False):
    now = current_time()
    page, moved_to = selectors.work_page(pk, now)
    if page is None:
        return redirect("catalogue:work", pk=moved_to, permanent=True)
    found = page.work
    if live:
        page.apply(availability.live_availability(page.items))
    url = request.build_absolute_uri(reverse("catalogue:work", args=[found.pk]))
    context = {
        "page": page,
        "work": found,
        "live": live,
        "announcement": announcement(page) if live else "",
        "permanent_url": url,
        "jsonld": exports.json_ld(found, page.records, url),
        "map_data": sites_feature_collection(page.sites, now, page.site_statuses)
        if page.sites
        else None,
        "type_label": DocType.LABELS.get(found.doc_type, ""),
        "hold_options": patrons.hold_options(request.user, found),
    }
    return render(request, "catalogue/work.html", context)


def announcement(page) -> str:
    """What the live region says once the libraries' systems were asked."""
    asked = [library for library in page.holdings if library.live is not None]
    answered = sum(library.live.is_live for library in asked)
    silent = sum(library.live.state == availability.UNREACHABLE for library in asked)
    text = (
        f"Disponibilité en direct : {answered} bibliothèque{'s' * (answered > 1)} "
        f"{'ont' if answered > 1 else 'a'} répondu"
    )
    if silent:
        text += f", {silent} ne répond{'ent' * (silent > 1)} pas (statut de la dernière moisson)"
    return text + "."


@require_GET
def work_availability(request, pk: int):
    """Where to find the work and its copies with what the libraries' systems say now
    (htmx fragment); a plain request (no JavaScript) gets the whole page with it."""
    if request.headers.get("HX-Request") != "true":
        return work(request, pk, live=True)
    page, moved_to = selectors.work_page(pk, current_time())
    if page is None:
        return redirect("catalogue:work_availability", pk=moved_to)
    page.apply(availability.live_availability(page.items))
    context = {"page": page, "live": True, "fragment": True, "announcement": announcement(page)}
    response = render(request, "catalogue/_availability.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
