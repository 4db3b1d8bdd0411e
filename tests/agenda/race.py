"""Registration attempts from many processes at once, each with its own database connection.

Test-only (nothing of this is in the product). Run against the database in DATABASE_URL:

    python tests/agenda/race.py setup --capacity 30       # prints the occurrence id
    python tests/agenda/race.py run OCCURRENCE --processes 50 --attempts 200
    python tests/agenda/race.py cancel OCCURRENCE --count 5 --processes 5

``run`` forks ``--processes`` workers after Django is set up and before any connection
is open, so each opens its own; they wait at a barrier, then send the attempts as fast
as they can. It prints one JSON line: what each attempt got.
"""

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metrobib.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from tests.processes import pool, start_together  # noqa: E402


def setup(capacity: int) -> int:
    from datetime import datetime, timedelta

    from agenda import services
    from agenda.models import TZ, Event
    from network.models import Commune, Library, Site

    commune, _ = Commune.objects.get_or_create(insee_code="69029", defaults={"name": "Bron"})
    library, _ = Library.objects.get_or_create(slug="bron", defaults={"name": "Bron"})
    site, _ = Site.objects.get_or_create(
        slug="jean-prevost",
        defaults={"library": library, "commune": commune, "name": "Médiathèque Jean Prévost"},
    )
    start = datetime.now(TZ).replace(hour=10, minute=30, second=0, microsecond=0) + timedelta(
        days=7
    )
    event = Event(
        library=library,
        site=site,
        title="Heure du conte",
        category="conte",
        starts_at=start,
        ends_at=start + timedelta(minutes=45),
        registration_required=True,
        capacity=capacity,
        max_places_per_registration=1,
    )
    services.save_event(event)
    return event.occurrences.get().pk


def _attempt(args) -> str:
    occurrence_id, n = args
    from agenda import services

    start_together()
    try:
        registration = services.register_for_occurrence(
            occurrence_id, name=f"Personne {n}", email=f"personne{n}@example.org"
        )
    except Exception as error:
        return f"error: {type(error).__name__}: {error}"
    return registration.status


def _cancel(registration_id: int) -> str:
    from agenda import services
    from agenda.models import Registration

    start_together()
    services.cancel_registration(Registration.objects.get(pk=registration_id))
    return "cancelled"


def run(occurrence_id: int, processes: int, attempts: int) -> dict:
    with pool(processes) as workers:
        # Each worker takes attempts in chunks of one; the first wave starts together.
        outcomes = workers.map(_attempt, [(occurrence_id, n) for n in range(attempts)], chunksize=1)
    return dict(Counter(outcomes))


def cancel(occurrence_id: int, count: int, processes: int) -> dict:
    from agenda.models import Registration

    confirmed = list(
        Registration.objects.filter(occurrence_id=occurrence_id, status="confirmee")
        .order_by("?")
        .values_list("pk", flat=True)[:count]
    )
    with pool(processes) as workers:
        outcomes = workers.map(_cancel, confirmed, chunksize=1)
    return dict(Counter(outcomes))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--capacity", type=int, default=30)
    p = sub.add_parser("run")
    p.add_argument("occurrence", type=int)
    p.add_argument("--processes", type=int, default=50)
    p.add_argument("--attempts", type=int, default=200)
    p = sub.add_parser("cancel")
    p.add_argument("occurrence", type=int)
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--processes", type=int, default=5)
    args = parser.parse_args()
    if args.command == "setup":
        print(json.dumps({"occurrence": setup(args.capacity)}))
    elif args.command == "run":
        print(json.dumps(run(args.occurrence, args.processes, args.attempts)))
    else:
        print(json.dumps(cancel(args.occurrence, args.count, args.processes)))


if __name__ == "__main__":
    main()
