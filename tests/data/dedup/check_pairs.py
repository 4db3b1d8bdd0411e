"""Check the labelled pairs in pairs.csv against the record files they point to.

Run from the project root:  .venv/bin/python tests/data/dedup/check_pairs.py

For every row: both (file, id) resolve to a record that catalogue.marc reads (id = position
in the file counted from 1, rejected records included in the count); the 001 values quoted
at the end of the reason are the records' own; shares_identifier equals what the records
carry (ISBN-10 converted to ISBN-13, ISBN-13 and EAN-13 compared together, ISSN
normalised); same_work and shares_identifier agree with kind. Prints the counts per kind.
Exits non-zero if any problem is found; every problem is listed.

This script labels nothing: the labels in pairs.csv were written by reading the
records, before any deduplication rule was tuned.
"""

import csv
import re
import sys
from collections import Counter
from pathlib import Path

from stdnum import ean, isbn, issn

HERE = Path(__file__).resolve().parent
DATA = HERE.parent  # tests/data: pairs.csv paths are relative to it
sys.path.insert(0, str(DATA.parent.parent))  # project root, for `catalogue`

from catalogue.marc import MarcRecord, read_marc_file  # noqa: E402

KINDS = {
    "positive_no_identifier": (1, 0),
    "positive_identifier": (1, 1),
    "hard_negative_same_title_other_author": (0, None),
    "hard_negative_same_title_other_type": (0, None),
    "hard_negative_other_volume": (0, None),
    "negative_other": (0, None),
}
COLUMNS = ["file_a", "id_a", "file_b", "id_b", "same_work", "reason", "shares_identifier", "kind"]
TOKEN = re.compile(r"[0-9Xx][0-9Xx-]*")
ISSN_TOKEN = re.compile(r"[0-9]{4}-?[0-9]{3}[0-9Xx]")
TRAILER = re.compile(r"\(001 (.+) / (.+)\)\.$")


def _values(record: MarcRecord, tag: str, code: str, ind1: str | None = None) -> list[str]:
    return [
        value
        for field in record.get_fields(tag)
        if ind1 is None or field.indicators[:1] == ind1
        for value in field.get_all(code)
    ]


def identifiers(record: MarcRecord) -> set[str]:
    """ISBN (as ISBN-13) and EAN-13 under one key space, ISSN under another.

    Only the subfields that hold the resource's own number count: UNIMARC 010 $a, 011 $a,
    073 $a; MARC 21 020 $a, 022 $a, 024 $a with first indicator 3 (EAN). Cancelled or
    invalid numbers ($z, $y) and numbers in linking fields do not count.
    """
    if record.flavour == "unimarc":
        isbn_texts, issn_texts = _values(record, "010", "a"), _values(record, "011", "a")
        ean_texts = _values(record, "073", "a")
    else:
        isbn_texts, issn_texts = _values(record, "020", "a"), _values(record, "022", "a")
        ean_texts = _values(record, "024", "a", ind1="3")
    found = set()
    for text in isbn_texts + ean_texts:
        for token in TOKEN.findall(text):
            number = isbn.compact(token)
            if isbn.is_valid(number):
                found.add("ean13:" + isbn.to_isbn13(number))
            elif len(number) == 13 and ean.is_valid(number):
                found.add("ean13:" + number)
    for text in issn_texts:
        for token in ISSN_TOKEN.findall(text):
            if issn.is_valid(token):
                found.add("issn:" + issn.format(token))
    return found


def load(path: str) -> list:
    with open(DATA / path, "rb") as stream:
        return list(read_marc_file(stream))


def main() -> int:
    problems: list[str] = []
    files: dict[str, list] = {}
    kinds: Counter = Counter()
    uses: Counter = Counter()
    seen: set = set()
    with open(HERE / "pairs.csv", newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        if reader.fieldnames != COLUMNS:
            print(f"unexpected columns: {reader.fieldnames}")
            return 1
        rows = list(reader)
    for line, row in enumerate(rows, start=2):
        where = f"pairs.csv line {line}"
        sides = []
        for side in ("a", "b"):
            path, position = row[f"file_{side}"], int(row[f"id_{side}"])
            if path not in files:
                files[path] = load(path)
            records = files[path]
            if not 1 <= position <= len(records):
                problems.append(f"{where}: {path} has no record {position}")
                break
            record = records[position - 1]
            if not isinstance(record, MarcRecord):
                problems.append(f"{where}: {path} record {position} is rejected ({record.reason})")
                break
            sides.append(record)
            uses[(path, position)] += 1
        if len(sides) != 2:
            continue
        key = frozenset({(row["file_a"], row["id_a"]), (row["file_b"], row["id_b"])})
        if len(key) != 2:
            problems.append(f"{where}: a record paired with itself")
        if key in seen:
            problems.append(f"{where}: pair listed twice")
        seen.add(key)
        trailer = TRAILER.search(row["reason"])
        if not trailer:
            problems.append(f"{where}: reason does not end with '(001 A / B).'")
        else:
            for quoted, record in zip(trailer.groups(), sides, strict=True):
                actual = record.control("001").strip() or "none"
                if quoted != actual:
                    problems.append(f"{where}: 001 quoted {quoted!r}, record has {actual!r}")
        shared = int(bool(identifiers(sides[0]) & identifiers(sides[1])))
        if int(row["shares_identifier"]) != shared:
            written = row["shares_identifier"]
            problems.append(f"{where}: shares_identifier is {written}, records say {shared}")
        kind = row["kind"]
        if kind not in KINDS:
            problems.append(f"{where}: unknown kind {kind!r}")
            continue
        same, share = KINDS[kind]
        if int(row["same_work"]) != same:
            problems.append(f"{where}: same_work {row['same_work']} contradicts kind {kind}")
        if share is not None and shared != share:
            problems.append(f"{where}: kind {kind} but shares_identifier is {shared}")
        kinds[kind] += 1
    for problem in problems:
        print(problem)
    most = max(uses.values(), default=0)
    print(f"{len(rows)} pairs, {len(uses)} distinct records, at most {most} pairs per record")
    for kind in KINDS:
        print(f"  {kind}: {kinds[kind]}")
    hard = sum(n for k, n in kinds.items() if k.startswith("hard_negative"))
    positives = kinds["positive_no_identifier"] + kinds["positive_identifier"]
    print(f"  (hard negatives: {hard}; positives: {positives})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
