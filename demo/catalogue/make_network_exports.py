"""Write the demo exports of four more libraries: real records, demonstration copies.

The network's demo needs what a real network has: works held by several libraries, copies
at the libraries' sites, some on the shelf and some on loan. The bibliographic records
are real (the demo UNIMARC export's Sciences Po books and *Lollipop*, a French public
library's Koha record of *Harry Potter à l'école des sorciers*, Bibliothèque
Sainte-Geneviève's records); their copy fields (995) are replaced by **demonstration
copies**: each record goes to one to three of the four libraries (a stable hash decides),
with one or two copies at the library's sites (the Ministry of Culture's site codes, which
``load_demo`` maps to the sites), a call number (the source's, or one made from the
classification and the author), a section, and a loan status (three copies in ten are on
loan, with a due date).

Run from the repository's root: ``python demo/catalogue/make_network_exports.py``. The
output is deterministic; the files are committed (demo/SOURCES.md).
"""

import hashlib
import sys
from pathlib import Path

import pymarc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from catalogue.marc import MarcRecord, read_marc_file  # noqa: E402

SOURCES = [
    ROOT / "demo" / "catalogue" / "demo-unimarc.mrc",
    ROOT / "tests" / "data" / "marc" / "koha_ilsdi_harry_potter.xml",
    ROOT / "tests" / "data" / "marc" / "marcxml_bsg_nordiquenumerisation.xml",
]
# Library (export name) → its sites' codes in the Ministry of Culture's list.
LIBRARIES = {
    "venissieux": ("VEN", ["LI3105", "LI5942", "LI5943", "LI5941"]),
    "bron": ("BRO", ["LI2985", "LI5914", "LI14352"]),
    "caluire": ("CAL", ["LI2989"]),
    "rillieux": ("RIL", ["LI3060", "LI5933"]),
}
DUE_DATE = "2026-12-22"  # what the export says of copies on loan


def _hash(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def _key(record: MarcRecord) -> str:
    return record.control("001") or hashlib.sha256(record.raw).hexdigest()[:16]


def holders(record: MarcRecord) -> list[str]:
    """One to three libraries, chosen by the record's identifier."""
    names = sorted(LIBRARIES, key=lambda name: _hash(_key(record), name))
    return names[: 1 + _hash(_key(record)) % 3]


def call_number(record: MarcRecord) -> str:
    for field in record.get_fields("995"):
        if field.get("k"):
            return field.get("k")
    dewey = next((f.get("a") for f in record.get_fields("676") if f.get("a")), "")
    author = next((f.get("a") for f in record.get_fields("700", "710") if f.get("a")), "")
    letters = "".join(c for c in author.upper() if c.isalpha())[:3]
    return " ".join(filter(None, (dewey or "R", letters)))


def section(record: MarcRecord) -> str:
    """Jeunesse for UNIMARC 100$a/17 target audience a–e (children, young adults) or a
    source copy shelved as J; Adultes otherwise."""
    coded = next((f.get("a") for f in record.get_fields("100") if f.get("a")), "")
    shelved_young = any(f.get("j") == "J" for f in record.get_fields("995"))
    return "Jeunesse" if (len(coded) > 17 and coded[17] in "abcde") or shelved_young else "Adultes"


def copies(record: MarcRecord, library: str, number: int) -> list[pymarc.Field]:
    prefix, sites = LIBRARIES[library]
    count = 1 + _hash(_key(record), library, "copies") % 2
    fields = []
    for copy in range(count):
        barcode = f"{prefix}{number:05d}{copy + 1}"
        site = sites[_hash(barcode, "site") % len(sites)]
        subfields = [  # Koha: $b home branch, $c holding branch — a branch is a site
            pymarc.Subfield("b", site),
            pymarc.Subfield("c", site),
            pymarc.Subfield("e", section(record)),
            pymarc.Subfield("f", barcode),
            pymarc.Subfield("k", call_number(record)),
            pymarc.Subfield("o", "0"),
            pymarc.Subfield("r", "LIV"),
        ]
        if _hash(barcode, "loan") % 10 < 3:
            subfields.append(pymarc.Subfield("n", DUE_DATE))
        fields.append(pymarc.Field(tag="995", indicators=[" ", " "], subfields=subfields))
    return fields


def to_pymarc(record: MarcRecord, extra: list[pymarc.Field]) -> pymarc.Record:
    out = pymarc.Record(force_utf8=True, leader=record.leader[:9] + "a" + record.leader[10:])
    for field in record.fields:
        if field.tag == "995":
            continue
        if field.value or field.tag < "010":
            out.add_field(pymarc.Field(tag=field.tag, data=field.value))
        else:
            indicators = list((field.indicators + "  ")[:2])
            out.add_field(
                pymarc.Field(
                    tag=field.tag,
                    indicators=indicators,
                    subfields=[pymarc.Subfield(code, value) for code, value in field.subfields],
                )
            )
    for field in extra:
        out.add_field(field)
    return out


def main() -> None:
    records = []
    for path in SOURCES:
        with path.open("rb") as stream:
            records += [r for r in read_marc_file(stream) if isinstance(r, MarcRecord)]
    exports: dict[str, list[pymarc.Record]] = {name: [] for name in LIBRARIES}
    for number, record in enumerate(records, start=1):
        for library in holders(record):
            exports[library].append(to_pymarc(record, copies(record, library, number)))
    for library, out in exports.items():
        path = ROOT / "demo" / "catalogue" / f"demo-reseau-{library}.mrc"
        with path.open("wb") as stream:
            for record in out:
                stream.write(record.as_marc())
        print(f"{path.relative_to(ROOT)}: {len(out)} records")


if __name__ == "__main__":
    main()
