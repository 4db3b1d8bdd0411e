"""Asking several library systems at once, each within a timeout, without waiting for one
that hangs."""

from collections.abc import Callable, Collection, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from django.db import connections

GRACE = 0.25  # seconds beyond the timeout for a thread's answer to be collected
MAX_THREADS = 16


@dataclass(frozen=True)
class Outcome:
    """What one call gave: its ``value``, or the ``error`` it raised, or ``late``."""

    value: Any = None
    error: BaseException | None = None
    late: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.late


def _inline(call: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=call())
    except Exception as error:
        return Outcome(error=error)


def _closing(call: Callable[[], Any]) -> Callable[[], Any]:
    def run():
        try:
            return call()
        finally:
            connections.close_all()  # this thread's own connections (a database cache)

    return run


def call_all(
    calls: Mapping[Hashable, Callable[[], Any]],
    timeout: float,
    *,
    inline: Collection[Hashable] = (),
) -> dict[Hashable, Outcome]:
    """Run every call in its own thread; after ``timeout`` (plus a grace), those still
    running are reported ``late`` and left to end by their own timeouts. The calls named
    in ``inline`` (answered from local data) run first, in this thread."""
    outcomes = {key: _inline(calls[key]) for key in inline if key in calls}
    calls = {key: call for key, call in calls.items() if key not in outcomes}
    if not calls:
        return outcomes
    executor = ThreadPoolExecutor(
        max_workers=min(len(calls), MAX_THREADS), thread_name_prefix="systems"
    )
    try:
        futures = {executor.submit(_closing(call)): key for key, call in calls.items()}
        done, _late = wait(futures, timeout=timeout + GRACE)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    for future, key in futures.items():
        if future not in done:
            outcomes[key] = Outcome(late=True)
        elif future.exception() is not None:
            outcomes[key] = Outcome(error=future.exception())
        else:
            outcomes[key] = Outcome(value=future.result())
    return outcomes
