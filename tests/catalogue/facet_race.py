"""Search documents' facet tokens numbered by many processes at once (indexers of one
harvest), each with its own database connection and transaction.

Test-only. Run against the database in DATABASE_URL:

    python tests/catalogue/facet_race.py --processes 8

Every worker numbers the same new tokens, each in its own order, at once, and holds its
transaction open a moment before committing, so that the others meet its uncommitted
rows. It prints one JSON line: the numbers each worker got, and the dictionary's rows.
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metrobib.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from tests.processes import pool, start_together  # noqa: E402

TOKENS = [f"u:Sujet {n}" for n in range(300)] + ["t:book", "b:1", "s:2", "c:69266", "d:1"]


def _number(seed: int) -> dict[str, int]:
    from django.db import transaction

    from catalogue.search import facet_ids

    tokens = TOKENS[:]
    random.Random(seed).shuffle(tokens)
    start_together()
    with transaction.atomic():
        numbered = facet_ids.numbers(tokens)
        time.sleep(0.2)  # others meet these rows uncommitted
    return numbered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=8)
    args = parser.parse_args()
    with pool(args.processes) as workers:
        got = workers.map(_number, range(args.processes))
    from catalogue.models import FacetToken

    rows = list(FacetToken.objects.values_list("token", "pk"))
    print(json.dumps({"got": got, "rows": rows}))


if __name__ == "__main__":
    main()
