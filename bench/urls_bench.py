"""The project's URLconf with two extra views: the benchmarks' reference points.

``/bench/bare/`` goes through the same gunicorn worker, WSGI handler and middleware stack as
every page, but does no database query and renders no template, so its throughput is the
ceiling that the real pages are compared with.

``/bench/sip2/`` (``bench/login.py``) is the floor of a patron login: the same stack, then
only the SIP2 driver's ``authenticate`` against the server in ``BENCH_SIP2_PORT``, with no
session, no throttle, no database and no template. No login can cost less.
"""

import os

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from metrobib.urls import handler404, handler500
from metrobib.urls import urlpatterns as project_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
def sip2(request):
    from connectors.sip2.driver import Sip2Driver

    driver = Sip2Driver({
        "host": "127.0.0.1", "port": int(os.environ["BENCH_SIP2_PORT"]),
        "institution_id": os.environ["BENCH_SIP2_INSTITUTION"], "timeout": 5,
    })  # fmt: skip
    driver.authenticate(request.POST["card_number"], request.POST["pin"], timeout=5)
    return HttpResponse(status=204)


# Before the project's patterns: they end with Wagtail's catch-all page route.
urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("bench/sip2/", sip2, name="bench_sip2"),
    *project_urlpatterns,
]
