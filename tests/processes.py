"""Many processes at once against one database, for the concurrency tests' scripts.

``pool(n)`` forks ``n`` workers after Django is set up and with every connection closed,
so each opens its own; a worker's first call of ``start_together()`` waits at a barrier
for all the others, so the first wave is one burst. Test-only.
"""

import multiprocessing

from django.db import connections

_barrier = None


def _init(barrier) -> None:
    global _barrier
    _barrier = barrier


def start_together() -> None:
    global _barrier
    if _barrier is not None:
        barrier, _barrier = _barrier, None
        barrier.wait(timeout=120)


def pool(processes: int):
    connections.close_all()  # every worker opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes)
    return context.Pool(processes, initializer=_init, initargs=(barrier,))
