"""Whole-response caching for busy public pages, exact to the minute and to every edit.

A page is stored with the *data version* it was built from and with the moment until
which what it shows stays true (e.g. the next opening or closing among the sites it
lists), judged against the clock the page itself uses. Any save of the underlying data
bumps the version (``bump_version``, wired to model signals by each app).

Two levels: each process keeps the pages it served in memory and re-reads the shared
version at most once a second, so a hit costs no database or network round trip; the
shared cache (database or Redis) holds the pages too, so another process does not
rebuild what one has built. An edit therefore shows at once in the process that made
it and within a second everywhere; logged-in users always get fresh pages.
"""

import hashlib
import time
from collections.abc import Callable
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

VERSION_KEY = "pagecache:version"
MAX_SECONDS = 300
VERSION_RECHECK_SECONDS = 1.0
LOCAL_MAX_PAGES = 512

_local_pages: dict[str, dict] = {}
_version_memo: dict[str, float | int | None] = {"value": None, "read_at": 0.0}


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
    _version_memo["value"] = None


def clear_local() -> None:
    """Forget this process's pages, derived values and version (tests call it between
    tests)."""
    _local_pages.clear()
    _derived.clear()
    _version_memo["value"] = None


_derived: dict[str, tuple[tuple, object]] = {}


def derived(name: str, key: tuple, build: Callable[[], object]) -> object:
    """A value this process builds from the network's data (the sites with their
    exceptions, the libraries' names…), kept until the data version changes — that is,
    until an edit anywhere, seen within a second in every process — or ``key`` does."""
    full_key = (_current_version(), *key)
    found = _derived.get(name)
    if found is not None and found[0] == full_key:
        return found[1]
    value = build()
    _derived[name] = (full_key, value)
    return value


def _current_version() -> int:
    now = time.monotonic()
    if _version_memo["value"] is None or now - _version_memo["read_at"] > VERSION_RECHECK_SECONDS:
        _version_memo["value"] = cache.get(VERSION_KEY, 0)
        _version_memo["read_at"] = now
    return _version_memo["value"]


def _key(namespace: str, request: HttpRequest) -> str:
    variant = "|".join(
        [
            request.get_full_path(),
            request.headers.get("HX-Request", ""),
            request.headers.get("HX-History-Restore-Request", ""),
        ]
    )
    return f"pagecache:{namespace}:{hashlib.sha256(variant.encode()).hexdigest()[:32]}"


def _fresh(entry: dict | None, version: int, now: datetime) -> bool:
    return entry is not None and entry["version"] == version and now < entry["valid_until"]


def _respond(entry: dict) -> HttpResponse:
    response = HttpResponse(entry["content"], content_type=entry["content_type"])
    for header, value in entry["headers"].items():
        response[header] = value
    return response


def _remember(key: str, entry: dict) -> None:
    if len(_local_pages) >= LOCAL_MAX_PAGES:
        _local_pages.clear()
    _local_pages[key] = entry


def peek(request: HttpRequest, namespace: str, now: datetime) -> HttpResponse | None:
    """The cached response for this URL if there is one still true at ``now``, else None
    (nothing is built): lets a view answer a hit before any other work."""
    if request.method != "GET" or request.user.is_authenticated:
        return None
    key = _key(namespace, request)
    version = _current_version()
    entry = _local_pages.get(key)
    if _fresh(entry, version, now):
        return _respond(entry)
    entry = cache.get(key)
    if _fresh(entry, version, now):
        _remember(key, entry)
        return _respond(entry)
    return None


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
    hit = peek(request, namespace, now)
    if hit is not None:
        return hit
    key = _key(namespace, request)
    version = _current_version()
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
        _remember(key, entry)
    return response
