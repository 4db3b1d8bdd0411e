"""Reading real MARC exports: every record is read or rejected with a reason, never lost."""

import io
import random
from pathlib import Path

import pytest

from catalogue.marc import (
    MarcRecord,
    Rejected,
    iter_iso2709_chunks,
    read_iso2709,
    read_marc_file,
    read_marcxml,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "marc"


def read(name: str) -> list[MarcRecord | Rejected]:
    with (DATA / name).open("rb") as handle:
        return list(read_marc_file(handle))


def records(items) -> list[MarcRecord]:
    return [item for item in items if isinstance(item, MarcRecord)]


def rejected(items) -> list[Rejected]:
    return [item for item in items if isinstance(item, Rejected)]


def test_unimarc_export_declaring_iso5426_is_read_as_the_utf8_it_is():
    items = read("cotesD.mrc")
    assert len(items) == 20 and not rejected(items)
    record = items[0]
    assert record.flavour == "unimarc"
    titles = [r.first("200").get("a") for r in records(items)]
    assert all(titles)
    text = " ".join(f.get("a") for r in records(items) for f in r.get_fields("200", "210"))
    assert "Ã" not in text  # no UTF-8 read as Latin-1 ("Ã©" for "é")
    assert any(ch in text for ch in "éèàç")


def test_unimarc_record_keeps_its_items_in_995():
    record = records(read("cotesD.mrc"))[0]
    assert record.get_fields("995")


def test_small_library_unimarc_record_is_read():
    (record,) = read("unimarc_lollipop.txt")
    assert record.flavour == "unimarc"
    assert "Lollipop" in record.first("200").get("a")
    assert "Nöstlinger" in " ".join(f.get("a") + f.get("b") for f in record.get_fields("700"))


def test_marc8_records_are_decoded():
    items = read("test.dat")
    assert len(items) == 10 and not rejected(items)
    assert all(r.flavour == "marc21" and r.first("245") for r in records(items))


def test_each_malformed_record_is_rejected_with_a_reason_and_the_others_are_read():
    items = read("bad_records.mrc")
    # 8 terminated records, then 100 bytes of a last record cut before its terminator.
    assert len(items) == 9
    for item in rejected(items):
        assert item.reason and item.raw
    assert "fin d'enregistrement absente" in items[-1].reason
    assert records(items)


def test_wrong_field_lengths_are_read_by_the_terminators():
    items = read("bad_too_long_plus_2.mrc")
    assert len(items) == 3
    assert records(items), [r.reason for r in rejected(items)]


def test_unordered_directory_entries_are_read():
    (record,) = read("unordered-directory-entries.mrc")
    assert isinstance(record, MarcRecord)


def test_a_file_full_of_errors_loses_no_record():
    items = read("pride-and-prejudice-with-many-errors.mrc")
    assert len(items) == 383
    assert len(records(items)) >= 360


def test_marcxml_with_namespace_is_read():
    items = read("batch.xml")
    assert len(records(items)) == 2
    assert records(items)[0].first("245").get("a")


def test_unimarc_marcxml_without_namespace_is_read():
    items = read("marcxml_bsg_nordiquenumerisation.xml")
    assert len(records(items)) == 4
    assert all(r.flavour == "unimarc" for r in records(items))


def test_koha_marcxml_keeps_its_local_fields():
    (record,) = read("1474920681_KOHA_LFL_5.xml")
    assert record.first("942") and record.first("999").get("c") == "5"


@pytest.mark.parametrize(
    "name", ["chabon-missing-subfield-code.xml", "chabon-missing-datafield-tag.xml"]
)
def test_marcxml_record_missing_a_code_or_tag_is_rejected_with_a_reason(name):
    (item,) = read(name)
    assert isinstance(item, Rejected)
    assert "zone" in item.reason


def test_broken_xml_gives_one_rejection_after_the_good_records():
    data = (DATA / "batch.xml").read_bytes()
    cut = data[: data.rfind(b"<marc:record")] + b"<marc:record><marc:datafield tag='245'><subf"
    items = list(read_marcxml(io.BytesIO(cut)))
    assert isinstance(items[-1], Rejected)
    assert "XML mal formé" in items[-1].reason
    assert len(records(items)) == 1


def test_records_are_streamed_in_small_chunks():
    data = (DATA / "cotesD.mrc").read_bytes()
    chunks = list(iter_iso2709_chunks(io.BytesIO(data), chunk_size=7))
    assert b"".join(chunks) == data
    assert len(chunks) == 20


def test_a_truncated_file_rejects_its_last_record():
    data = (DATA / "cotesD.mrc").read_bytes()[:-100]
    items = list(read_iso2709(io.BytesIO(data)))
    assert len(items) == 20
    assert isinstance(items[-1], Rejected) and "tronqué" in items[-1].reason


def test_thousands_of_mutated_records_never_crash_and_are_all_counted():
    # Seeded: the same mutations on every run. Each record is mutated on its own (truncated,
    # a flipped byte, a wrong length digit) and must come out read or rejected, never lost.
    originals = [r.raw for r in records(read("cotesD.mrc") + read("test.dat"))]
    rng = random.Random(20261125)
    mutated = []
    for _ in range(3000):
        raw = bytearray(rng.choice(originals))
        kind = rng.randrange(3)
        if kind == 0:
            raw = raw[: rng.randrange(1, len(raw))] + b"\x1d"
        elif kind == 1:
            raw[rng.randrange(len(raw) - 1)] = rng.randrange(256)
        else:
            raw[rng.randrange(24, min(len(raw) - 1, 200))] = ord(str(rng.randrange(10)))
        mutated.append(bytes(raw) if raw.endswith(b"\x1d") else bytes(raw) + b"\x1d")
    stream = io.BytesIO(b"".join(mutated))
    items = list(read_iso2709(stream))
    assert sum(raw.count(b"\x1d") for raw in mutated) == len(items)
    assert all(isinstance(i, MarcRecord | Rejected) for i in items)


@pytest.mark.parametrize("name", ["utf8_invalid.mrc", "bad_subfield_code.dat"])
def test_a_record_valid_as_utf8_whole_but_not_field_by_field_is_read(name):
    (record,) = read(name)
    assert isinstance(record, MarcRecord)
    assert record.first("245") is not None
