"""Facet tokens as numbers, counted as a histogram.

Each search document keeps its work's facet tokens ("t:book", "b:12"…) as one value:
their numbers (:class:`catalogue.models.FacetToken`), 4 bytes each, big-endian (as
PostgreSQL's ``int4send`` writes them). A query's facets are counted over the values of
its matches concatenated by the database into one (``string_agg`` on PostgreSQL,
``group_concat`` of their hex on SQLite): one histogram of the numbers (numpy's
``bincount``), then the names of the numbers present, instead of one row per token
through the database's own grouping. For "edward" (7,675 matches, 86,924 tokens) the
grouping took half of the whole narrow statement on PostgreSQL (``unnest`` then
``GROUP BY``: 31–48 ms on the benchmark's machine); the concatenation takes 3 ms and the
histogram well under one.
"""

from collections import Counter
from collections.abc import Iterable

import numpy as np
from django.db import connection

DTYPE = np.dtype(">i4")


def numbers(tokens: Iterable[str]) -> dict[str, int]:
    """The number of each token, new tokens numbered now (in the current transaction).
    Concurrent writers agree through the unique constraint: a token inserted by another
    transaction is waited for, then read."""
    from catalogue.models import FacetToken

    wanted = sorted(set(tokens))  # one order for every writer: no deadlock between them
    if not wanted:
        return {}
    FacetToken.objects.bulk_create([FacetToken(token=t) for t in wanted], ignore_conflicts=True)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(FacetToken.objects.filter(token__in=chunk).values_list("token", "pk"))
    return found


def pack(tokens: Iterable[str], numbered: dict[str, int]) -> bytes:
    """A document's tokens as the value its engine stores."""
    return np.array(sorted(numbered[t] for t in tokens), dtype=DTYPE).tobytes()


def unpack(packed: bytes) -> list[int]:
    """The numbers of one stored value (or of several concatenated)."""
    return np.frombuffer(packed, dtype=DTYPE).tolist()


def count(packed: bytes | memoryview | None) -> Counter:
    """token → how many of the packed documents carry it."""
    if not packed:
        return Counter()
    bins = np.bincount(np.frombuffer(packed, dtype=DTYPE))
    present = np.flatnonzero(bins)
    names = _names(present.tolist())
    return Counter(
        {
            names[number]: n
            for number, n in zip(present.tolist(), bins[present].tolist(), strict=True)
        }
    )


# Names already read, kept by the process: a number once committed names its token for
# good (rows are only added, never changed or deleted, and a number never comes back:
# PostgreSQL's sequence and SQLite's AUTOINCREMENT do not reuse one).
_known: dict[int, str] = {}


def _names(numbers: list[int]) -> dict[int, str]:
    """The tokens of these numbers. Only what committed rows say is kept (read outside a
    transaction): a number read inside one may be of a token that transaction inserted
    and will roll back, and SQLite would then give that number to another."""
    missing = [number for number in numbers if number not in _known]
    if not missing:
        return _known
    if connection.vendor == "postgresql":
        sql, params = "SELECT id, token FROM catalogue_facettoken WHERE id = ANY(%s)", [missing]
    else:
        sql = (
            "SELECT id, token FROM catalogue_facettoken "
            "WHERE id IN (SELECT value FROM json_each(%s))"
        )
        params = ["[" + ",".join(map(str, missing)) + "]"]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = dict(cursor.fetchall())
    if connection.in_atomic_block:
        return {**_known, **found}
    _known.update(found)
    return _known
