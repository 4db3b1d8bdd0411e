"""Whole-response caching for busy public pages, exact to the minute and to every edit.

A page is stored with the *data version* it was built from and with the moment until
which what it shows stays true (e.g. the next opening or closing among the sites it
lists), judged against the clock the page itself uses. Any
save of the underlying data bumps the version (``bump_version``, wired to model signals
by each app), so an edit shows at once; a version read and the page read are one cache
round trip (``get_many``). Only anonymous GET responses with status 200 are stored.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

VERSION_KEY = "pagecache:version"
MAX_SECONDS = 300


def bump_version(**_signal_kwargs) -> None:
    """Invalidate every cached page now and again when the transaction commits.

    The second bump closes the window in which a request could rebuild a page from the
    data as it was before the commit.
    """
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)


def _key(namespace: str, request: HttpRequest) -> str:
    variant = "|".join(
        [
            request.get_full_path(),
            request.headers.get("HX-Request", ""),
            request.headers.get("HX-History-Restore-Request", ""),
        ]
    )
    return f"pagecache:{namespace}:{hashlib.sha256(variant.encode()).hexdigest()[:32]}"


def cached_response(
    request: HttpRequest,
    namespace: str,
    now: datetime,
    build: Callable[[], tuple[HttpResponse, datetime]],
) -> HttpResponse:
    """The cached response for this URL if still true at ``now``, else ``build()``'s.

    ``build`` returns the response and the moment until which it is true.
    """
    if request.method != "GET" or request.user.is_authenticated:
        return build()[0]
    key = _key(namespace, request)
    found = cache.get_many([VERSION_KEY, key])
    version, entry = found.get(VERSION_KEY, 0), found.get(key)
    if entry is not None and entry["version"] == version and now < entry["valid_until"]:
        response = HttpResponse(entry["content"], content_type=entry["content_type"])
        for header, value in entry["headers"].items():
            response[header] = value
        return response
    response, valid_until = build()
    seconds = int(min((valid_until - now).total_seconds(), MAX_SECONDS))
    if response.status_code == 200 and seconds >= 1 and not response.cookies:
        entry = {
            "version": version,
            "valid_until": valid_until,
            "content": response.content,
            "content_type": response["Content-Type"],
            "headers": {h: response[h] for h in ("Vary",) if response.has_header(h)},
        }
        cache.set(key, entry, seconds)
    return response
