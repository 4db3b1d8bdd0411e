"""Run a harvest in a separate process and SIGKILL it from inside at a chosen point.

Test-only instrumentation (nothing of this is in the product): the functions named by
``--kill-in`` are wrapped so that their N-th call kills the process with SIGKILL, as an
out-of-memory killer or a power cut would, leaving whatever transaction was open.

    python tests/connectors/kill_harness.py setup PATH
    python tests/connectors/kill_harness.py harvest [--kill-in STAGE --at N]
    python tests/connectors/kill_harness.py dump
"""

import argparse
import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metrobib.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

# Where to kill: module, attribute (the name the caller looks up at call time).
STAGES = {
    "parse": ("connectors.ingest", "parse"),  # mid-parse: while reading raw records
    "batch": ("connectors.ingest", "record_from"),  # mid-batch: sources written, records not
    "insert": ("connectors.ingest", "bulk_insert"),  # mid-batch: between row inserts
    "dedup": ("catalogue.dedup", "split_works"),  # mid-dedup: works assigned, not refreshed
    "refresh": ("catalogue.dedup", "refresh_works"),  # mid-dedup: last step of a batch
}


def arm(stage: str, at: int) -> None:
    import importlib

    module_name, attribute = STAGES[stage]
    target = importlib.import_module(module_name)
    original = getattr(target, attribute)
    calls = 0

    def killer(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == at:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(target, attribute, killer)


def setup(path: str) -> None:
    from connectors.models import Connector
    from network.models import Library

    library = Library.objects.create(name="Bibliothèque témoin", slug="temoin")
    Connector.objects.create(
        library=library,
        name="Export",
        driver="marc_file",
        settings={"path": path, "batch_size": 50},
        item_mapping={"preset": "koha_unimarc_995"},
    )


def harvest() -> int:
    from connectors.models import Connector
    from connectors.services import harvest_connector

    run = harvest_connector(Connector.objects.get())
    print(run.summary())
    return 0 if run.status == "completed" else 1


def dump() -> None:
    from catalogue.models import Item, Record, Work
    from connectors.models import HarvestRun, SourceRecord

    works: dict[int, list[str]] = {}
    for work_id, local_id in Record.objects.values_list("work_id", "source__local_id"):
        works.setdefault(work_id, []).append(local_id)
    records = {
        local_id: [title, doc_type, year]
        for local_id, title, doc_type, year in Record.objects.values_list(
            "source__local_id", "title", "doc_type", "year"
        )
    }
    items: dict[str, list[str]] = {}
    for local_id, barcode in Item.objects.values_list("record__source__local_id", "barcode"):
        items.setdefault(local_id, []).append(barcode)
    runs = list(
        HarvestRun.objects.values(
            "status", "read", "created", "updated", "unchanged", "deleted", "rejected", "missing"
        )
    )
    state = {
        "works": sorted(sorted(ids) for ids in works.values()),
        "work_rows": Work.objects.count(),
        "records": records,
        "items": {k: sorted(v) for k, v in items.items()},
        "sources": sorted(
            SourceRecord.objects.values_list("local_id", "checksum", "deleted", "rejected_reason")
        ),
        "runs": runs,
    }
    print(json.dumps(state, sort_keys=True))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["setup", "harvest", "dump"])
    parser.add_argument("path", nargs="?")
    parser.add_argument("--kill-in", choices=sorted(STAGES))
    parser.add_argument("--at", type=int, default=1)
    args = parser.parse_args()
    if args.command == "setup":
        setup(args.path)
        return 0
    if args.command == "dump":
        dump()
        return 0
    if args.kill_in:
        arm(args.kill_in, args.at)
    return harvest()


if __name__ == "__main__":
    sys.exit(main())
