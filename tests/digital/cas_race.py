"""One CAS ticket validated by many processes at once, each with its own connection.

Test-only. Run against the database in DATABASE_URL:

    python tests/digital/cas_race.py setup          # prints a fresh ticket and its service
    python tests/digital/cas_race.py run TICKET SERVICE --processes 20

It prints one JSON line: how many validations succeeded, and the error codes of the rest.
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

import django  # noqa: E402

django.setup()

from tests.processes import pool, start_together  # noqa: E402

SERVICE = "https://kiosque.example.org/session"


def setup() -> dict:
    from accounts.models import User
    from digital import cas
    from digital.models import Resource

    user, _ = User.objects.get_or_create(username="course@example.org", defaults={"role": "patron"})
    resource, _ = Resource.objects.get_or_create(
        slug="kiosque", defaults={"name": "Kiosque", "kind": "presse", "summary": "Presse.",
                                  "url": SERVICE, "access_method": "cas", "vendor_urls": SERVICE},
    )  # fmt: skip
    ticket = cas.issue_ticket(resource, user, SERVICE, from_new_login=False)
    return {"ticket": ticket.ticket, "service": SERVICE}


def _validate(args) -> str:
    from digital import cas

    ticket, service = args
    start_together()
    try:
        cas.validate(ticket, service)
    except cas.CasError as error:
        return error.code
    return "success"


def run(ticket: str, service: str, processes: int) -> dict:
    with pool(processes) as workers:
        outcomes = workers.map(_validate, [(ticket, service)] * processes, chunksize=1)
    return dict(Counter(outcomes))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup")
    p = sub.add_parser("run")
    p.add_argument("ticket")
    p.add_argument("service")
    p.add_argument("--processes", type=int, default=20)
    args = parser.parse_args()
    if args.command == "setup":
        print(json.dumps(setup()))
    else:
        print(json.dumps(run(args.ticket, args.service, args.processes)))


if __name__ == "__main__":
    main()
