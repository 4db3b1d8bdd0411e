"""Deduplication measured on real records: ``tests/data/dedup/pairs.csv`` (192 pairs
labelled by reading them, before the rule was tuned; see its README).

Every file the pairs use is harvested through the real pipeline (one library per file),
then each pair is checked: same work id or not. Precision and recall are printed (run
with ``-s``) and held to the issue's targets.
"""

import csv
from collections import Counter
from pathlib import Path

import pytest

from catalogue.marc import Rejected, read_marc_file
from catalogue.models import Record
from connectors.ingest import checksum
from connectors.models import Connector
from connectors.services import harvest_connector
from tests.factories import LibraryFactory

DATA = Path(__file__).resolve().parents[1] / "data"
PAIRS = DATA / "dedup" / "pairs.csv"
PRECISION_TARGET, RECALL_TARGET = 0.99, 0.95


def local_ids(path: Path) -> dict[int, str]:
    """Position in the file (from 1, rejected records included) → the harvest's local id."""
    ids = {}
    with open(path, "rb") as stream:
        for position, record in enumerate(read_marc_file(stream), start=1):
            if isinstance(record, Rejected):
                continue
            ids[position] = (
                record.control("001").strip()[:255] or f"sha:{checksum(record.raw)[:24]}"
            )
    return ids


def measure() -> tuple[float, float, list[str], Counter]:
    pairs = list(csv.DictReader(PAIRS.open(encoding="utf-8")))
    files = sorted({p["file_a"] for p in pairs} | {p["file_b"] for p in pairs})
    work_of: dict[tuple[str, str], int] = {}
    for name in files:
        library = LibraryFactory()
        connector = Connector.objects.create(
            library=library, name=name, driver="marc_file", settings={"path": str(DATA / name)}
        )
        run = harvest_connector(connector)
        assert run.status == "completed", run.error
        for local_id, work_id in Record.objects.filter(source__connector=connector).values_list(
            "source__local_id", "work_id"
        ):
            work_of[(name, local_id)] = work_id
    ids = {name: local_ids(DATA / name) for name in files}
    outcome: Counter = Counter()
    mistakes = []
    for pair in pairs:
        a = work_of.get((pair["file_a"], ids[pair["file_a"]].get(int(pair["id_a"]), "?")))
        b = work_of.get((pair["file_b"], ids[pair["file_b"]].get(int(pair["id_b"]), "?")))
        assert a is not None and b is not None, f"record not harvested: {pair}"
        predicted, truth = a == b, pair["same_work"] == "1"
        outcome[(predicted, truth)] += 1
        if predicted != truth:
            mistakes.append(f"{'FP' if predicted else 'FN'} {pair['kind']}: {pair['reason']}")
    tp, fp, fn = outcome[(True, True)], outcome[(True, False)], outcome[(False, True)]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, mistakes, outcome


@pytest.mark.django_db
def test_deduplication_meets_its_precision_and_recall_targets():
    precision, recall, mistakes, outcome = measure()
    total = sum(outcome.values())
    print(f"\ndedup on {total} labelled pairs: precision={precision:.3f} recall={recall:.3f}")
    for line in mistakes:
        print("  ", line)
    assert precision >= PRECISION_TARGET, mistakes
    assert recall >= RECALL_TARGET, mistakes
