"""Thousands of mutated real records through the whole harvest: reading, normalising,
copies, deduplication and storage. No crash, and every record is counted."""

import random

from catalogue.marc import iter_iso2709_chunks
from connectors.models import Connector, RunStatus, SourceRecord
from connectors.services import harvest_connector
from tests.connectors import DATA

SOURCES = ["cotes8.mrc", "test.dat", "unimarc_lollipop.txt", "summerland.mrc"]


def mutate(originals: list[bytes], count: int, seed: int) -> bytes:
    """Seeded mutations of real records: truncated, a flipped byte, a wrong digit in the
    leader or the directory, a field terminator removed, or two records glued together."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        raw = bytearray(rng.choice(originals))
        kind = rng.randrange(5)
        if kind == 0:
            raw = raw[: rng.randrange(1, len(raw))]
        elif kind == 1:
            raw[rng.randrange(len(raw) - 1)] = rng.randrange(256)
        elif kind == 2:
            raw[rng.randrange(0, min(len(raw) - 1, 200))] = ord(str(rng.randrange(10)))
        elif kind == 3 and b"\x1e" in raw[24:-1]:
            position = raw.index(b"\x1e", rng.randrange(24, len(raw) - 1) if len(raw) > 30 else 24)
            del raw[position]
        else:
            raw = raw[:-1] + bytes(rng.choice(originals))
        out.append(bytes(raw) if raw.endswith(b"\x1d") else bytes(raw) + b"\x1d")
    return b"".join(out)


def test_thousands_of_mutated_records_are_harvested_without_a_crash(cast, tmp_path):
    originals = []
    for name in SOURCES:
        with open(DATA / "marc" / name, "rb") as stream:
            originals += list(iter_iso2709_chunks(stream))
    path = tmp_path / "mutated.mrc"
    path.write_bytes(mutate(originals, 2000, seed=20261125))
    with open(path, "rb") as stream:
        expected = sum(1 for _ in iter_iso2709_chunks(stream))
    connector = Connector.objects.create(
        library=cast.library_a,
        name="Fuzz",
        driver="marc_file",
        settings={"path": str(path), "batch_size": 250},
        item_mapping={"preset": "koha_unimarc_995"},
    )
    run = harvest_connector(connector)
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.read == expected
    assert run.read == run.created + run.updated + run.unchanged + run.deleted + run.rejected
    assert run.rejected > 0
    assert SourceRecord.objects.exclude(rejected_reason="").count() > 0
    again = harvest_connector(connector)
    assert (again.read, again.created, again.updated) == (expected, 0, 0)
