"""Live availability of copies: what the libraries' systems say of them now.

:func:`live_availability` takes catalogue copies (:class:`~catalogue.models.Item`, with
their record, its source and their library), groups them by library and asks, for each
library, its enabled connector whose driver supports ``availability`` (the lowest id if
it has several): SIP2, Koha ILS-DI, SRU or the demo driver. All the systems are asked at
once, each in its own thread, each given ``AVAILABILITY_TIMEOUT`` seconds; the call comes
back after at most that (and a fraction of a second), whatever the systems do: one that
fails or does not answer in time is reported unreachable and its copies keep the status of
the last harvest. Nothing here raises because a system failed.

Each system's answer is kept in Django's default cache (the database cache, shared by
every process, or Redis when ``REDIS_URL`` is set) for ``AVAILABILITY_CACHE_SECONDS``,
under the connector and the set of copies asked, so a page shown again within that time
does not ask the system again. A failure is remembered too, for at most a minute
(:data:`FAILURE_CACHE_SECONDS`): a system that is down does not make every page wait.

Failures are logged at WARNING with the connector's id and the driver's French message
(which names the server, never a patron: availability concerns copies only).
"""

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from connectors import mapping as item_mapping
from connectors.base import ConnectorError, ItemQuery, ItemStatus
from connectors.models import Connector

log = logging.getLogger(__name__)

LIVE = "live"
UNREACHABLE = "unreachable"
NOT_OFFERED = "not offered"
NOTICES = {
    UNREACHABLE: "Le système de la bibliothèque ne répond pas : statut de la dernière moisson.",
    NOT_OFFERED: "Cette bibliothèque ne donne pas la disponibilité en direct : statut de la "
    "dernière moisson.",
}
GRACE = 0.25  # seconds beyond the timeout for a thread's answer to be collected
FAILURE_CACHE_SECONDS = 60  # how long a system that failed is not asked again
MAX_THREADS = 64  # more than the network has libraries: every system is asked at once
CACHE_VERSION = 1


@dataclass(frozen=True)
class LibraryAvailability:
    """What became of one library's copies: ``state`` is :data:`LIVE` (its system
    answered, at ``checked_at``), :data:`UNREACHABLE` or :data:`NOT_OFFERED`; ``notice``
    is the French sentence to show beside copies whose status is not live."""

    library_id: int
    state: str
    connector_id: int | None = None
    checked_at: datetime | None = None
    notice: str = ""

    @property
    def is_live(self) -> bool:
        return self.state == LIVE


@dataclass(frozen=True)
class AvailabilityReport:
    """Per library, how its copies' statuses were obtained; per copy (by Item id), the
    live status when its system gave one. A copy missing from ``items`` keeps the
    status of the last harvest (``Item.available``, ``Item.status``)."""

    libraries: Mapping[int, LibraryAvailability] = field(default_factory=dict)
    items: Mapping[int, ItemStatus] = field(default_factory=dict)

    def library(self, library_id: int) -> LibraryAvailability | None:
        return self.libraries.get(library_id)

    def live_status(self, item) -> ItemStatus | None:
        """The live status of a copy (an :class:`~catalogue.models.Item`), or None."""
        return self.items.get(item.pk)


@dataclass(frozen=True)
class _Ask:
    library_id: int
    connector: Connector
    queries: tuple[ItemQuery, ...]
    cache_key: str


def availability_connectors(library_ids: Iterable[int]) -> dict[int, Connector]:
    """For each library, its enabled connector that supports live availability (lowest
    id first); libraries without one are absent."""
    chosen: dict[int, Connector] = {}
    for connector in Connector.objects.filter(
        library_id__in=list(library_ids), enabled=True
    ).order_by("pk"):
        if connector.library_id in chosen:
            continue
        try:
            driver = connector.driver_class
        except KeyError:  # a driver that no longer exists
            continue
        if driver.supports("availability"):
            chosen[connector.library_id] = connector
    return chosen


def item_query(item) -> ItemQuery:
    """What a system is asked about a catalogue copy."""
    return ItemQuery(
        key=item.pk,
        barcode=item.barcode,
        record_id=item.record.source.local_id,
        item_id=item.source_item_id,
        site_code=item.site_code,
    )


def live_availability(items: Iterable, *, timeout: float | None = None) -> AvailabilityReport:
    """Ask the libraries' systems about these copies (see the module's documentation).

    ``items``: :class:`~catalogue.models.Item` rows; select their ``record__source`` with
    them (``select_related``) to spare a query per copy. ``timeout``: seconds given to
    every system, ``settings.AVAILABILITY_TIMEOUT`` by default."""
    timeout = settings.AVAILABILITY_TIMEOUT if timeout is None else timeout
    by_library: dict[int, list] = defaultdict(list)
    for item in items:
        by_library[item.library_id].append(item)
    if not by_library:
        return AvailabilityReport()
    connectors = availability_connectors(by_library)
    libraries: dict[int, LibraryAvailability] = {}
    asks: list[_Ask] = []
    for library_id, copies in by_library.items():
        connector = connectors.get(library_id)
        if connector is None:
            libraries[library_id] = LibraryAvailability(
                library_id, NOT_OFFERED, notice=NOTICES[NOT_OFFERED]
            )
            continue
        queries = tuple(sorted((item_query(i) for i in copies), key=lambda q: q.key))
        asks.append(_Ask(library_id, connector, queries, _cache_key(connector, queries)))

    answers = _cached([ask.cache_key for ask in asks])
    missing = [ask for ask in asks if ask.cache_key not in answers]
    fresh = _ask_all(missing, timeout)
    _remember(fresh)
    answers |= fresh

    statuses: dict[int, ItemStatus] = {}
    for ask in asks:
        checked_at, found = answers.get(ask.cache_key, (None, None))
        if found is None:
            libraries[ask.library_id] = LibraryAvailability(
                ask.library_id, UNREACHABLE, ask.connector.pk, notice=NOTICES[UNREACHABLE]
            )
            continue
        libraries[ask.library_id] = LibraryAvailability(
            ask.library_id, LIVE, ask.connector.pk, checked_at=checked_at
        )
        statuses.update(found)
    return AvailabilityReport(libraries=libraries, items=statuses)


# ---------------------------------------------------------------- asking


def _ask_all(
    asks: Sequence[_Ask], timeout: float
) -> dict[str, tuple[datetime, dict[int, ItemStatus] | None]]:
    """Every system at once; what each said (None: failed or too late), by cache key."""
    if not asks:
        return {}
    results: dict[str, tuple[datetime, dict[int, ItemStatus] | None]] = {}
    executor = ThreadPoolExecutor(
        max_workers=min(len(asks), MAX_THREADS), thread_name_prefix="availability"
    )
    try:
        futures = {}
        for ask in asks:
            try:
                mapping = item_mapping.resolve(ask.connector.item_mapping)
                driver = ask.connector.get_driver()
            except (ValueError, KeyError) as error:
                log.warning("live availability: connector %s unusable: %s", ask.connector.pk, error)
                results[ask.cache_key] = (timezone.now(), None)
                continue
            futures[executor.submit(_ask_one, driver, ask.queries, timeout, mapping)] = ask
        done, _late = wait(futures, timeout=timeout + GRACE)
    finally:
        # Never wait for a system that hangs: its thread ends with its own timeout.
        executor.shutdown(wait=False, cancel_futures=True)
    now = timezone.now()
    for future, ask in futures.items():
        if future not in done:
            log.warning(
                "live availability: connector %s did not answer within %.1f s",
                ask.connector.pk,
                timeout,
            )
            results[ask.cache_key] = (now, None)
            continue
        try:
            results[ask.cache_key] = (now, future.result())
        except ConnectorError as error:
            log.warning("live availability: connector %s failed: %s", ask.connector.pk, error)
            results[ask.cache_key] = (now, None)
        except Exception:
            log.warning("live availability: connector %s crashed", ask.connector.pk, exc_info=True)
            results[ask.cache_key] = (now, None)
    return results


def _ask_one(driver, queries: tuple[ItemQuery, ...], timeout: float, mapping):
    asked = {query.key for query in queries}
    answer = driver.availability(queries, timeout=timeout, mapping=mapping)
    return {key: status for key, status in answer.items() if key in asked}


# ---------------------------------------------------------------- the cache


def _cache_key(connector: Connector, queries: Sequence[ItemQuery]) -> str:
    """The connector and the sorted set of copies asked (with what is asked of each, so a
    copy harvested again with another barcode is asked again, and the connector's settings,
    so that corrected settings are used at once)."""
    copies = json.dumps(
        [
            connector.driver,
            connector.settings,
            connector.item_mapping,
            [[q.key, q.barcode, q.record_id, q.item_id, q.site_code] for q in queries],
        ],
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )
    digest = hashlib.blake2b(copies.encode(), digest_size=16).hexdigest()
    return f"availability:{CACHE_VERSION}:{connector.pk}:{digest}"


def _cached(keys: Sequence[str]) -> dict[str, tuple[datetime, dict[int, ItemStatus] | None]]:
    if not keys or not settings.AVAILABILITY_CACHE_SECONDS:
        return {}
    try:
        found = cache.get_many(keys)
    except Exception:  # a cache that is down costs the cache, not the page
        log.warning("live availability: cache unreadable", exc_info=True)
        return {}
    decoded = {}
    for key, entry in found.items():
        try:
            decoded[key] = _decode(entry)
        except (TypeError, ValueError, KeyError, IndexError):
            continue  # written by another version: asked again
    return decoded


def _remember(answers: Mapping[str, tuple[datetime, dict[int, ItemStatus] | None]]) -> None:
    seconds = settings.AVAILABILITY_CACHE_SECONDS
    if not answers or not seconds:
        return
    good = {k: _encode(*v) for k, v in answers.items() if v[1] is not None}
    failed = {k: _encode(*v) for k, v in answers.items() if v[1] is None}
    try:
        if good:
            cache.set_many(good, timeout=seconds)
        if failed:
            cache.set_many(failed, timeout=min(seconds, FAILURE_CACHE_SECONDS))
    except Exception:
        log.warning("live availability: cache unwritable", exc_info=True)


def _encode(checked_at: datetime, statuses: dict[int, ItemStatus] | None) -> dict[str, Any]:
    # Plain values only: an entry outlives a deployment that changes the classes.
    return {
        "at": checked_at.isoformat(),
        "items": None
        if statuses is None
        else [
            [key, s.available, s.label, s.due_date.isoformat() if s.due_date else None, s.location]
            for key, s in statuses.items()
        ],
    }


def _decode(entry: Mapping[str, Any]) -> tuple[datetime, dict[int, ItemStatus] | None]:
    checked_at = datetime.fromisoformat(entry["at"])
    if entry["items"] is None:
        return checked_at, None
    return checked_at, {
        int(key): ItemStatus(
            available=available,
            label=str(label),
            due_date=date.fromisoformat(due) if due else None,
            location=str(location),
        )
        for key, available, label, due, location in entry["items"]
    }
