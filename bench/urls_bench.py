"""The project's URLconf with one extra, trivial view: the benchmark's reference point.

``/bench/bare/`` goes through the same gunicorn worker, WSGI handler and middleware stack as
every page, but does no database query and renders no template, so its throughput is the
ceiling that the real pages are compared with.
"""

from django.http import HttpResponse
from django.urls import path

from metrobib.urls import handler404, handler500
from metrobib.urls import urlpatterns as project_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


# Before the project's patterns: they end with Wagtail's catch-all page route.
urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *project_urlpatterns]
