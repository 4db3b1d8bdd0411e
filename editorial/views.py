from wagtail.views import serve as wagtail_serve

from metrobib import pagecache


def home(request):
    """The home page. A page-cache hit is answered here, before Wagtail's routing (site,
    page, specific page and view restrictions: 4 queries and ~6 ms of CPU for a page that
    is already built; bench/agenda.py); a miss goes through Wagtail, whose
    ``HomePage.serve`` builds the page and stores it."""
    from network.views import current_time

    hit = pagecache.peek(request, "home", current_time())
    if hit is not None:
        return hit
    return wagtail_serve(request, "")
