"""Data for the catalogue search benchmark (``make bench-data``; ``bench/search.py`` uses it).

Builds once, and reuses while its stamp matches (generator version and size; ``--force``
rebuilds):

1. a PostgreSQL database (``BENCH_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/metrobib_bench_search``) migrated with the project's
   migrations, with the demo network (``load_demo``'s network part: 58 communes, the
   libraries and their 92 sites), one connector per library and **2,000,000 records** in
   the application's own tables — ``connectors_sourcerecord`` (the record's ISO 2709
   bytes), ``catalogue_record``, ``catalogue_recordkey``, ``catalogue_work``,
   ``catalogue_item`` — loaded with COPY, then the search documents written by the
   application's indexer (``catalogue.search``), then VACUUM ANALYZE and a CHECKPOINT
   (the load left 1.8 GB of dirty pages in ``shared_buffers`` three minutes after it
   ended, which the first benchmark run would write out as its searches need buffers: in
   one run each, 16.2 ms of database CPU a search before a CHECKPOINT, 14.5 after);
2. the same records as one ISO 2709 file, ``var/bench/search-2000000.mrc``, and a Zebra
   index of it (``var/bench/zebra-2000000/``, the configuration of ``tests/peers/zebra``),
   indexed in the background while the search documents are written;
3. a SQLite database of the first 200,000 of those records (whole works),
   ``var/bench/search-200k.sqlite3``, built the same way with the SQLite indexer.

**The records** are real ones — Sciences Po's 3,064 UNIMARC serials
(``tests/data/marc/periouni.mrc``), its books (``cotes8.mrc``, ``cotesD.mrc``), the demo
exports (UNIMARC and MARC 21, ``demo/catalogue/``) and pymarc's MARC 21 ``test.dat`` —
used as templates: each generated record keeps its template's other fields (physical
description, notes, summaries, series, classification…) and gets a work's title mixing
the words of a real title with words drawn from the real titles' vocabulary (Zipf-like,
seeded), a real author and real subjects reshuffled, a year in 1850–2025, a distinct 001,
a distinct valid ISBN-13 (books since 1972), EAN (films, music) or a work's ISSN
(serials), a document type (the templates' serials and books, plus comics, films, music,
audiobooks, large print, e-books, scores, games), a language, an audience, and its copies
(Koha's 995 in UNIMARC, 952 in MARC 21) at the sites of its library. Each record is then
described by the application's own normaliser (``catalogue.normalize.normalise``), its
deduplication keys by ``catalogue.dedup.record_keys``, its copies by the connector's item
mapping, exactly as a harvest does, and works are grouped as deduplication groups them
(editions of one work share its title and first author, in different libraries; the
``Work`` row described by its first record, as ``dedup.refresh_works`` does).

    .venv/bin/python bench/searchdata.py                 # what is missing, then reuse
    .venv/bin/python bench/searchdata.py --force         # everything again
    .venv/bin/python bench/searchdata.py --only sqlite   # one part (postgres, sqlite, zebra)

Prints each step's time and the disk it takes. Needs PostgreSQL (the ``postgres`` user
able to create databases), and ``zebraidx`` (Debian's ``idzebra-2.0``) for the Zebra part.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GENERATOR_VERSION = 1
SEED = 20251201
RECORDS = 2_000_000
SQLITE_RECORDS = 200_000
# Not ``metrobib_bench``: bench/web.py drops and recreates that one at every run.
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/metrobib_bench_search"
)
# Where the data sets live (the checkout's var/bench/, also when the code runs from a
# snapshot of a commit: see --snapshot).
VAR = Path(os.environ.get("BENCH_VAR", ROOT / "var" / "bench"))
SQLITE_PATH = VAR / "search-200k.sqlite3"
ZEBRA_CONFIG = ROOT / "tests" / "peers" / "zebra"
SOURCES = [
    ROOT / "tests/data/marc/periouni.mrc",
    ROOT / "tests/data/marc/cotes8.mrc",
    ROOT / "tests/data/marc/cotesD.mrc",
    ROOT / "demo/catalogue/demo-unimarc.mrc",
    ROOT / "demo/catalogue/demo-marc21.mrc",
    ROOT / "tests/data/marc/test.dat",
]
STAMP_TABLE = "bench_searchdata"
CHUNK_WORKS = 2000  # works generated and loaded per transaction
MARC21_LIBRARIES = 6  # libraries whose system exports MARC 21 (the others: UNIMARC)
BUILT_AT = datetime(2025, 12, 1, 6, 0, tzinfo=UTC)  # every row's timestamp: stable data

# Document types of the works made from book templates (serial templates stay serials).
BOOK_TYPES = [
    ("book", 60), ("comic", 10), ("dvd", 10), ("cd", 7), ("audiobook", 3),
    ("large_print", 3), ("ebook", 3), ("score", 2), ("game", 2),
]  # fmt: skip
SERIAL_SHARE = 0.10  # works that are serials (periodicals, e-periodicals)
LANGUAGES = [
    ("fre", 72), ("eng", 12), ("ger", 3), ("spa", 3), ("ita", 3), ("por", 1),
    ("ara", 2), ("chi", 1), ("jpn", 2), ("mul", 1),
]  # fmt: skip
# Editions per work (each in a different library): mean ≈ 1.55, so 2 M records make
# ≈ 1.3 M works.
EDITIONS = [(1, 75.0), (2, 14.0), (3, 6.0), (4, 1.5), (5, 1.2), (6, 0.8), (8, 0.6),
            (10, 0.5), (13, 0.4)]  # fmt: skip
COPY_LAMBDA = 0.94  # copies per record: 1 + Poisson(λ), so ≈ 3 copies per work
ON_SHELF = 0.65  # share of copies on the shelf (the rest on loan)

WORK_COLUMNS = (
    "id", "title", "main_author", "doc_type", "year", "record_count", "library_count",
    "updated_at",
)  # fmt: skip
SOURCE_COLUMNS = (
    "id", "connector_id", "local_id", "format", "payload", "checksum", "datestamp", "deleted",
    "rejected_reason", "first_seen_at", "last_seen_at", "last_run_id",
)  # fmt: skip
RECORD_JSON = ("authors", "isbns", "eans", "issns", "subjects", "series", "warnings")
KEY_COLUMNS = ("record_id", "key")
ITEM_COLUMNS = (
    "record_id", "library_id", "site_id", "site_code", "barcode", "call_number", "section",
    "status", "loan_category", "available", "source_item_id",
)  # fmt: skip


def say(*args: object) -> None:
    print(*args, flush=True)


def load_average() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.2f}/{five:.2f} ({os.cpu_count()} CPUs)"


def mb(size: float) -> str:
    return f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


class Steps:
    """Times each step, prints it with the load average, keeps it for the stamp."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def run(self, label: str, function, *args, **kwargs):
        say(f"  {label}… ({load_average()})")
        started = time.perf_counter()
        result = function(*args, **kwargs)
        took = time.perf_counter() - started
        self.seconds[label] = round(took, 1)
        say(f"  {label}: {took:.1f} s ({load_average()})")
        return result


# =========================================================================== the corpus


_TOKEN = re.compile(r"[^\s]+")
_EDGE = ' ,.;:!?()[]{}"«»/=+*<>'
_ELISION = re.compile(r"^(?:[dlDLjJmMnNsStTcC]|[Qq]u)['’](?=\w)")
_LETTER = re.compile(r"[^\W\d_]")
# MARC-8 escapes a source left undecoded ("$1!:[(B"): not words, not names.
_GARBLED = re.compile(r"[$|!{}\x1b]|\(B")


def title_tokens(title: str) -> list[str]:
    """The words of a title as typed (punctuation at their edges removed)."""
    tokens = (t.strip(_EDGE) for t in _TOKEN.findall(title))
    return [t for t in tokens if t]


@dataclass
class Zipf:
    """Draws from ``values`` with weights 1 / (rank + 1) ** s."""

    values: list
    exponent: float = 1.0
    cumulative: list[float] = field(init=False)

    def __post_init__(self):
        total, self.cumulative = 0.0, []
        for rank in range(len(self.values)):
            total += 1.0 / (rank + 1) ** self.exponent
            self.cumulative.append(total)

    def draw(self, rng: random.Random):
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass
class Template:
    marc: object  # catalogue.marc.MarcRecord
    serial: bool


@dataclass
class Corpus:
    serial_templates: list[Template]
    book_templates: dict[str, list[Template]]  # flavour → templates
    serial_titles: list[list[str]]
    all_titles: list[list[str]]
    words: Zipf  # non-stop words of real titles, most frequent first
    persons: Zipf
    bodies: Zipf
    subjects: Zipf
    publishers: Zipf  # (publisher, place)
    size: int  # real records read


def load_corpus() -> Corpus:
    """The real records of the repository, read and described by the application."""
    from catalogue.marc import MarcRecord, read_marc_file
    from catalogue.normalize import NormalisationError, normalise
    from catalogue.search.analysis import STOP_WORDS, fold

    seen: set[tuple] = set()
    serial_templates: list[Template] = []
    book_templates: dict[str, list[Template]] = {"unimarc": [], "marc21": []}
    serial_titles, all_titles = [], []
    words: Counter = Counter()
    surface: dict[str, Counter] = {}
    persons: Counter = Counter()
    bodies: Counter = Counter()
    subjects: Counter = Counter()
    publishers: Counter = Counter()
    for path in SOURCES:
        if not path.exists():
            continue
        with path.open("rb") as stream:
            for marc in read_marc_file(stream):
                if not isinstance(marc, MarcRecord):
                    continue
                try:
                    described = normalise(marc)
                except NormalisationError:
                    continue
                identity = (marc.control("001"), described.title, described.year)
                if identity in seen:
                    continue
                seen.add(identity)
                serial = described.doc_type in ("periodical", "e_periodical")
                if serial:
                    if marc.flavour == "unimarc":
                        serial_templates.append(Template(marc, True))
                elif described.doc_type not in ("article", "microform"):
                    book_templates[marc.flavour].append(Template(marc, False))
                if _GARBLED.search(described.title):
                    continue
                tokens = title_tokens(described.title)
                (serial_titles if serial else all_titles).append(tokens)
                for token in tokens:
                    word = _ELISION.sub("", token)
                    key = fold(word)
                    if len(key) > 2 and key not in STOP_WORDS and _LETTER.search(word):
                        words[key] += 1
                        surface.setdefault(key, Counter())[word.lower()] += 1
                for author in described.authors:
                    if _GARBLED.search(author.name):
                        continue
                    (persons if author.kind == "person" else bodies)[author.name] += 1
                for subject in described.subjects:
                    if not _GARBLED.search(subject):
                        subjects[subject] += 1
                if described.publisher:
                    publishers[(described.publisher, described.place)] += 1
    all_titles += serial_titles
    rng = random.Random(SEED)
    # Authors reshuffled: popularity drawn anew, not the corpus's (which is mostly Austen).
    person_names, body_names = sorted(persons), sorted(bodies)
    rng.shuffle(person_names)
    rng.shuffle(body_names)
    vocabulary = [surface[key].most_common(1)[0][0] for key, _n in words.most_common()]
    return Corpus(
        serial_templates=serial_templates,
        book_templates=book_templates,
        serial_titles=serial_titles,
        all_titles=all_titles,
        words=Zipf(vocabulary, 1.0),
        persons=Zipf(person_names, 0.8),
        bodies=Zipf(body_names, 0.8),
        subjects=Zipf([s for s, _n in subjects.most_common()], 0.9),
        publishers=Zipf([p for p, _n in publishers.most_common()], 0.9),
        size=len(seen),
    )


# =========================================================================== the network


@dataclass
class Network:
    libraries: list[int]
    weights: list[int]  # sites per library: bigger networks hold more
    sites: dict[int, list[int]]  # library → its sites
    flavour: dict[int, str]  # library → unimarc | marc21
    connector: dict[int, int]  # library → connector
    fingerprint: str


def site_code(site_id: int) -> str:
    return f"BM{site_id:03d}"


def load_network() -> Network:
    """The demo network (as ``manage.py load_demo`` loads it), one connector per library
    with the item mapping of its system, and a site code per site."""
    from connectors.models import Connector, SiteCode
    from network.demo import load_demo_network
    from network.models import Library, Site

    load_demo_network(date(2025, 12, 1))
    libraries = list(Library.objects.order_by("pk").values_list("pk", "slug"))
    sites: dict[int, list[int]] = {}
    for site_id, library_id in (
        Site.objects.exclude(kind="service").order_by("pk").values_list("pk", "library_id")
    ):
        sites.setdefault(library_id, []).append(site_id)
    holding = [pk for pk, _slug in libraries if pk in sites]
    marc21 = set(holding[3 :: max(1, len(holding) // MARC21_LIBRARIES)][:MARC21_LIBRARIES])
    flavour, connector = {}, {}
    for library_id in holding:
        flavour[library_id] = "marc21" if library_id in marc21 else "unimarc"
        preset = "koha_marc21_952" if library_id in marc21 else "koha_unimarc_995"
        made = Connector.objects.create(
            library_id=library_id,
            name="Catalogue (banc d'essai)",
            driver="marc_file",
            settings={},
            item_mapping={"preset": preset},
            schedule="manual",
        )
        connector[library_id] = made.pk
        SiteCode.objects.bulk_create(
            [SiteCode(connector=made, code=site_code(s), site_id=s) for s in sites[library_id]]
        )
    text = json.dumps([libraries, sorted(sites.items())])
    return Network(
        libraries=holding,
        weights=[len(sites[pk]) for pk in holding],
        sites=sites,
        flavour=flavour,
        connector=connector,
        fingerprint=hashlib.sha256(text.encode()).hexdigest()[:16],
    )


# =========================================================================== the plan


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b(repr((SEED, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


_EDITION_CUMULATIVE = []
_total = 0.0
for _count, _weight in EDITIONS:
    _total += _weight
    _EDITION_CUMULATIVE.append(_total)


def editions_of(work_no: int) -> int:
    u = _unit("editions", work_no) * _EDITION_CUMULATIVE[-1]
    return EDITIONS[bisect.bisect(_EDITION_CUMULATIVE, u)][0]


def plan(records: int) -> list[int]:
    """Editions of each work, in order, adding up to ``records`` (the last one cut)."""
    counts, total, work_no = [], 0, 0
    while total < records:
        k = min(editions_of(work_no), records - total)
        counts.append(k)
        total += k
        work_no += 1
    return counts


def whole_works(counts: list[int], records: int) -> int:
    """How many of the first works hold at most ``records`` records in all."""
    total = 0
    for n, k in enumerate(counts):
        if total + k > records:
            return n
        total += k
    return len(counts)


# =========================================================================== one work


@dataclass
class WorkSpec:
    serial: bool
    doc_type: str
    title: str
    subtitle: str
    author: tuple[str, str] | None  # (kind, name)
    subjects: list[str]
    language: str
    audience: str  # "jeunesse", "adulte" or ""
    year: int
    issn: str


def _weighted(rng: random.Random, choices) -> str:
    total = sum(w for _v, w in choices)
    u = rng.random() * total
    for value, weight in choices:
        u -= weight
        if u < 0:
            return value
    return choices[-1][0]


def _new_title(rng: random.Random, corpus: Corpus, serial: bool) -> str:
    from catalogue.search.analysis import STOP_WORDS, fold

    base = rng.choice(corpus.serial_titles if serial else corpus.all_titles)[:10]
    tokens, replaced = [], False
    for token in base:
        word = _ELISION.sub("", token)
        if fold(word) in STOP_WORDS or not _LETTER.search(word) or rng.random() < 0.5:
            tokens.append(token)
            continue
        tokens.append(corpus.words.draw(rng))
        replaced = True
    if not replaced or rng.random() < 0.35:
        extra = corpus.words.draw(rng)
        if rng.random() < 0.5 and tokens:
            tokens.insert(rng.randrange(1, len(tokens) + 1), extra)
        else:
            tokens += [rng.choice(("de", "et", "des", "du", "and", "of", "la")), extra]
    title = " ".join(tokens).strip(" ,;:")
    return title[:1].upper() + title[1:]


def _year(rng: random.Random) -> int:
    u = rng.random()
    if u < 0.08:
        return rng.randint(1850, 1949)
    if u < 0.25:
        return rng.randint(1950, 1989)
    return min(2025, 1990 + int(36 * math.sqrt(rng.random())))


def work_spec(work_no: int, corpus: Corpus) -> WorkSpec:
    rng = random.Random(f"{SEED}:{work_no}")
    serial = rng.random() < SERIAL_SHARE
    if serial:
        doc_type = "e_periodical" if rng.random() < 0.12 else "periodical"
    else:
        doc_type = _weighted(rng, BOOK_TYPES)
    author = None
    u = rng.random()
    if serial:
        if u < 0.6:
            author = ("corporate", corpus.bodies.draw(rng))
    elif u < 0.85:
        author = ("person", corpus.persons.draw(rng))
    elif u < 0.95:
        author = ("corporate", corpus.bodies.draw(rng))
    subjects = []
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        subject = corpus.subjects.draw(rng)
        if not serial:
            subject = subject.removesuffix(" -- Périodiques")
        if subject not in subjects:
            subjects.append(subject)
    if doc_type == "comic":
        audience = "jeunesse" if rng.random() < 0.5 else "adulte"
    elif doc_type in ("dvd", "cd", "game"):
        audience = "jeunesse" if rng.random() < 0.15 else ""
    else:
        audience = _weighted(rng, [("jeunesse", 20), ("adulte", 55), ("", 25)])
    subtitle = ""
    if not serial and rng.random() < 0.25:
        subtitle = " ".join(corpus.words.draw(rng) for _ in range(rng.randint(1, 3)))
    issn = ""
    if serial:
        body = f"{1_000_000 + work_no:07d}"[-7:]
        from stdnum import issn as stdnum_issn

        issn = f"{body[:4]}-{body[4:]}{stdnum_issn.calc_check_digit(body)}"
    return WorkSpec(
        serial=serial,
        doc_type=doc_type,
        title=_new_title(rng, corpus, serial),
        subtitle=subtitle,
        author=author,
        subjects=subjects,
        language=_weighted(rng, LANGUAGES),
        audience=audience,
        year=_year(rng),
        issn=issn,
    )


# =========================================================================== MARC


def _isbn(record_id: int) -> str:
    from stdnum import ean

    body = f"9782{record_id:08d}" if record_id % 10 < 7 else f"97910{record_id:07d}"[-12:]
    return body + ean.calc_check_digit(body)


def _ean(record_id: int) -> str:
    from stdnum import ean

    body = f"3{record_id:011d}"
    return body + ean.calc_check_digit(body)


def hyphenated(isbn13: str) -> str:
    from stdnum import isbn

    return isbn.format(isbn13)


_UNIMARC_DROP = frozenset(
    [
        "001",
        "003",
        "005",
        "010",
        "011",
        "012",
        "013",
        "020",
        "021",
        "035",
        "073",
        "100",
        "101",
        "105",
        "106",
        "115",
        "125",
        "130",
        "135",
        "181",
        "182",
        "200",
        "210",
        "214",
        "500",
        "503",
        "600",
        "601",
        "602",
        "604",
        "605",
        "606",
        "607",
        "608",
        "610",
        "700",
        "701",
        "702",
        "710",
        "711",
        "712",
    ]
)
_MARC21_DROP = frozenset(
    [
        "001",
        "003",
        "005",
        "006",
        "007",
        "008",
        "010",
        "015",
        "016",
        "020",
        "022",
        "024",
        "035",
        "040",
        "041",
        "100",
        "110",
        "111",
        "130",
        "240",
        "245",
        "246",
        "250",
        "260",
        "264",
        "600",
        "610",
        "611",
        "630",
        "650",
        "651",
        "655",
        "700",
        "710",
        "711",
        "730",
        "740",
    ]
)
# UNIMARC leader/06 and MARC 21 leader/06 of each type (with what refines it below).
_UNIMARC_LEADER = {"dvd": "g", "cd": "j", "audiobook": "i", "score": "c", "game": "r", "ebook": "l"}
_MARC21_LEADER = {"dvd": "g", "cd": "j", "audiobook": "i", "score": "c", "game": "r"}
_LOAN_CATEGORIES = {
    "book": "LIV", "comic": "BD", "dvd": "DVD", "cd": "CD", "audiobook": "LIVCD",
    "large_print": "LGC", "ebook": "NUM", "score": "PAR", "game": "JEU", "periodical": "REV",
}  # fmt: skip
_SECTIONS = {"jeunesse": "Jeunesse", "adulte": "Adultes", "": "Adultes"}


def _person_parts(name: str) -> tuple[str, str]:
    surname, _, forename = name.partition(", ")
    return surname, forename


def _plain_name(author: tuple[str, str]) -> str:
    kind, name = author
    if kind != "person":
        return name
    surname, forename = _person_parts(name)
    return f"{forename} {surname}".strip()


def _call_number(spec: WorkSpec, rng: random.Random) -> str:
    sur = ""
    if spec.author:
        sur = re.sub(r"[^A-Z]", "", spec.author[1].upper())[:3]
    prefix = {"comic": "BD", "dvd": "DVD", "cd": "CD", "game": "JEU", "periodical": "REV"}
    head = prefix.get(spec.doc_type) or f"{rng.randint(0, 999):03d}"
    return f"{head} {sur or 'ANO'}".strip()


@dataclass
class Copy:
    site_id: int
    barcode: str
    item_id: str
    on_loan: bool


def _subject_subfields(subject: str, flavour: str) -> list[tuple[str, str]]:
    head, *subdivisions = subject.split(" -- ")
    return [("a", head), *(("x", s) for s in subdivisions)] + (
        [("2", "rameau")] if flavour == "unimarc" else []
    )


def unimarc_record(template, spec: WorkSpec, local_id: str, year: int, record_id: int, copies,
                   call_number: str, publisher: tuple[str, str]):  # fmt: skip
    from catalogue.marc import Field, MarcRecord

    fields = [f for f in template.fields if f.tag not in _UNIMARC_DROP and f.tag[0] != "9"]
    leader = list(template.leader.ljust(24)[:24])
    leader[5], leader[8], leader[9] = "n", " ", " "
    leader[6] = _UNIMARC_LEADER.get(spec.doc_type, "a")
    leader[7] = "s" if spec.serial else "m"
    if spec.doc_type == "e_periodical":
        leader[6] = "l"
    leader[10:12], leader[20:24] = list("22"), list("450 ")
    audience = {"jeunesse": "a  ", "adulte": "m  "}.get(spec.audience, "u  ")
    kind = "a" if spec.serial else "d"
    coded = f"20251201{kind}{year:04d}    {audience}y0frey50      ba"
    out = [Field("001", value=local_id)]
    if spec.doc_type in ("dvd", "cd", "game"):
        out.append(Field("073", " 0", (("a", _ean(record_id)),)))
    elif spec.serial:
        out.append(Field("011", "  ", (("a", spec.issn),)))
    elif year >= 1972:
        out.append(Field("010", "  ", (("a", hyphenated(_isbn(record_id))),)))
    out.append(Field("100", "  ", (("a", coded),)))
    out.append(Field("101", "0 ", (("a", spec.language),)))
    if spec.doc_type == "comic":
        out.append(Field("105", "  ", (("a", "a   t   000yy"),)))
    elif spec.doc_type == "large_print":
        out.append(Field("106", "  ", (("a", "d"),)))
    title = [("a", spec.title)]
    if spec.subtitle:
        title.append(("e", spec.subtitle))
    if spec.author:
        title.append(("f", _plain_name(spec.author)))
    out.append(Field("200", "1 ", tuple(title)))
    name, place = publisher
    published = (("a", place), ("c", name)) if place else (("c", name),)
    out.append(Field("210", "  ", (*published, ("d", f"{year}-" if spec.serial else str(year)))))
    for subject in spec.subjects:
        out.append(Field("606", "  ", tuple(_subject_subfields(subject, "unimarc"))))
    if spec.author and spec.author[0] == "person":
        surname, forename = _person_parts(spec.author[1])
        parts = (("a", surname), ("b", forename)) if forename else (("a", surname),)
        out.append(Field("700", " 1", (*parts, ("4", "070"))))
    elif spec.author:
        out.append(Field("710", "02", (("a", spec.author[1]),)))
    section = _SECTIONS[spec.audience]
    category = _LOAN_CATEGORIES.get(spec.doc_type, "LIV")
    for copy in copies:
        code = site_code(copy.site_id)
        item = [("b", code), ("c", code), ("e", section), ("f", copy.barcode)]
        item += [("k", call_number), ("r", category), ("9", copy.item_id)]
        if copy.on_loan:
            item.append(("n", "2025-12-20"))
        out.append(Field("995", "  ", tuple(item)))
    fields = sorted(out + fields, key=lambda f: f.tag)
    return MarcRecord("".join(leader), tuple(fields), "unimarc")


def marc21_record(template, spec: WorkSpec, local_id: str, year: int, record_id: int, copies,
                  call_number: str, publisher: tuple[str, str]):  # fmt: skip
    from catalogue.marc import Field, MarcRecord

    fields = [f for f in template.fields if f.tag not in _MARC21_DROP and f.tag[0] != "9"]
    leader = list(template.leader.ljust(24)[:24])
    leader[5], leader[7], leader[8], leader[9] = "n", "m", " ", "a"
    leader[6] = _MARC21_LEADER.get(spec.doc_type, "a")
    leader[10:12], leader[20:24] = list("22"), list("4500")
    f008 = list(f"251201s{year:04d}    fr            000 0 {spec.language} d")
    f008[22] = {"jeunesse": "j", "adulte": "e"}.get(spec.audience, " ")
    if spec.doc_type == "large_print":
        f008[23] = "d"
    elif spec.doc_type == "ebook":
        f008[23] = "o"
    if spec.doc_type == "comic":
        f008[33] = "c"
    elif spec.doc_type == "dvd":
        f008[33] = "v"
    elif spec.doc_type == "game":
        f008[33] = "g"
    out = [Field("001", value=local_id), Field("008", value="".join(f008))]
    if spec.doc_type in ("dvd", "cd", "game"):
        out.append(Field("024", "3 ", (("a", _ean(record_id)),)))
    elif year >= 1972:
        out.append(Field("020", "  ", (("a", _isbn(record_id)),)))
    if spec.author and spec.author[0] == "person":
        out.append(Field("100", "1 ", (("a", spec.author[1]), ("e", "author"))))
    elif spec.author:
        out.append(Field("110", "2 ", (("a", spec.author[1]),)))
    title = [("a", spec.title)]
    if spec.subtitle:
        title.append(("b", spec.subtitle))
    if spec.author:
        title.append(("c", _plain_name(spec.author)))
    out.append(Field("245", "10", tuple(title)))
    name, place = publisher
    published = (("a", place), ("b", name)) if place else (("b", name),)
    out.append(Field("264", " 1", (*published, ("c", str(year)))))
    for subject in spec.subjects:
        out.append(Field("650", " 0", tuple(_subject_subfields(subject, "marc21"))))
    section = _SECTIONS[spec.audience]
    category = _LOAN_CATEGORIES.get(spec.doc_type, "LIV")
    for copy in copies:
        code = site_code(copy.site_id)
        item = [("a", code), ("b", code), ("c", section), ("o", call_number)]
        item += [("p", copy.barcode), ("y", category), ("9", copy.item_id)]
        if copy.on_loan:
            item.append(("q", "2025-12-20"))
        out.append(Field("952", "  ", tuple(item)))
    fields = sorted(out + fields, key=lambda f: f.tag)
    return MarcRecord("".join(leader), tuple(fields), "marc21")


def iso2709(record) -> bytes:
    """The record's ISO 2709 bytes (UTF-8)."""
    directory, data = bytearray(), bytearray()
    for f in record.fields:
        if f.tag < "010" and f.tag.isdigit():
            body = f.value.encode()
        else:
            body = f.indicators.ljust(2)[:2].encode() + b"".join(
                b"\x1f" + code.encode() + value.encode() for code, value in f.subfields
            )
        body += b"\x1e"
        directory += f"{f.tag}{len(body):04d}{len(data):05d}".encode()
        data += body
    base = 24 + len(directory) + 1
    leader = record.leader
    leader = f"{base + len(data) + 1:05d}{leader[5:12]}{base:05d}{leader[17:]}"
    return leader.encode() + bytes(directory) + b"\x1e" + bytes(data) + b"\x1d"


# =========================================================================== a chunk of works


@dataclass
class Chunk:
    works: list[tuple] = field(default_factory=list)
    sources: list[tuple] = field(default_factory=list)
    records: list[tuple] = field(default_factory=list)
    keys: list[tuple] = field(default_factory=list)
    items: list[tuple] = field(default_factory=list)
    iso: bytearray = field(default_factory=bytearray)


class Generator:
    """Generates works from their number: the same number gives the same work, so any
    prefix of the 2 M records is a data set of its own (the SQLite one)."""

    def __init__(self, corpus: Corpus, network: Network, now):
        from catalogue.search.analysis import fold  # noqa: F401 (warms the import)
        from connectors import mapping

        self.corpus, self.network, self.now = corpus, network, now
        self.mappings = {
            "unimarc": mapping.resolve({"preset": "koha_unimarc_995"}),
            "marc21": mapping.resolve({"preset": "koha_marc21_952"}),
        }
        self.unimarc_libraries = [
            (pk, w)
            for pk, w in zip(network.libraries, network.weights, strict=True)
            if network.flavour[pk] == "unimarc"
        ]
        self.all_libraries = list(zip(network.libraries, network.weights, strict=True))
        if len(self.unimarc_libraries) < max(k for k, _w in EDITIONS):
            raise SystemExit("too few libraries for the editions of a work")
        from catalogue.models import Record

        self.record_fields = [f.attname for f in Record._meta.concrete_fields]
        self.title_at = self.record_fields.index("title")
        self.author_at = self.record_fields.index("main_author")
        self.type_at = self.record_fields.index("doc_type")
        self.year_at = self.record_fields.index("year")

    def record_row(self, described, record_id: int, library_id: int, work_id: int) -> tuple:
        """The ``catalogue_record`` row a harvest writes for this description."""
        from connectors.ingest import record_from

        record = record_from(described, source_id=record_id, library_id=library_id)
        record.pk, record.work_id, record.updated_at = record_id, work_id, self.now
        values = record.__dict__
        return tuple(
            json.dumps(values[name], ensure_ascii=False) if name in RECORD_JSON else values[name]
            for name in self.record_fields
        )

    def _libraries(self, rng: random.Random, count: int, serial: bool) -> list[int]:
        pool = self.unimarc_libraries if serial else self.all_libraries
        chosen: list[int] = []
        count = min(count, len(pool))
        while len(chosen) < count:
            library = _weighted(rng, pool)
            if library not in chosen:
                chosen.append(library)
        return chosen

    def chunk(self, first_work: int, counts: list[int], first_record: int) -> Chunk:
        from catalogue.dedup import record_keys
        from catalogue.normalize import normalise
        from connectors.mapping import read_items
        from connectors.parsing import checksum

        out = Chunk()
        record_id = first_record
        network, corpus, now = self.network, self.corpus, self.now
        for offset, editions in enumerate(counts):
            work_no = first_work + offset
            work_id = work_no + 1
            spec = work_spec(work_no, corpus)
            rng = random.Random(f"{SEED}:{work_no}:editions")
            libraries = self._libraries(rng, editions, spec.serial)
            first_described = None
            years = []
            for edition, library_id in enumerate(libraries):
                flavour = network.flavour[library_id]
                if spec.serial:
                    template = rng.choice(corpus.serial_templates).marc
                else:
                    template = rng.choice(corpus.book_templates[flavour]).marc
                year = spec.year if edition == 0 else min(2025, spec.year + rng.randint(0, 30))
                copies = []
                for n in range(1 if spec.serial else 1 + _poisson(rng, COPY_LAMBDA)):
                    copies.append(
                        Copy(
                            site_id=rng.choice(network.sites[library_id]),
                            barcode=f"{library_id:02d}{record_id:09d}{n}",
                            item_id=str(record_id * 10 + n),
                            on_loan=rng.random() >= ON_SHELF,
                        )
                    )
                local_id = f"MB{library_id:02d}-{record_id:08d}"
                build = unimarc_record if flavour == "unimarc" else marc21_record
                marc = build(template, spec, local_id, year, record_id, copies,
                             _call_number(spec, rng), corpus.publishers.draw(rng))  # fmt: skip
                payload = iso2709(marc)
                described = normalise(marc)
                record = self.record_row(described, record_id, library_id, work_id)
                out.records.append(record)
                out.sources.append(
                    (record_id, network.connector[library_id], local_id, "iso2709", payload,
                     checksum(payload), "", False, "", now, now, None)
                )  # fmt: skip
                out.keys += [(record_id, key) for key in record_keys(described)]
                for item in read_items(marc, self.mappings[flavour]):
                    out.items.append(
                        (record_id, library_id, int(item.site_code[2:]), item.site_code,
                         item.barcode, item.call_number, item.section, item.status,
                         item.loan_category, item.available, item.item_id)
                    )  # fmt: skip
                out.iso += payload
                if first_described is None:
                    first_described = (
                        record[self.title_at],
                        record[self.author_at],
                        record[self.type_at],
                    )
                if record[self.year_at] is not None:
                    years.append(record[self.year_at])
                record_id += 1
            title, main_author, doc_type = first_described
            out.works.append(
                (work_id, title, main_author, doc_type, min(years) if years else None,
                 len(libraries), len(libraries), now)
            )  # fmt: skip
        return out


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, rng.random()
    while p > threshold:
        k += 1
        p *= rng.random()
    return min(k, 7)


def check_encoding(generator: Generator, chunk: Chunk, sample: int = 50) -> None:
    """The ISO 2709 bytes read back by the application's parser describe the record
    stored: the payload is the record."""
    from catalogue.marc import parse_iso2709
    from catalogue.normalize import normalise

    for source, record in list(zip(chunk.sources, chunk.records, strict=True))[:sample]:
        again = normalise(parse_iso2709(source[4]))
        if generator.record_row(again, record[0], record[2], record[3]) != record:
            raise SystemExit(f"record {source[2]}: its ISO 2709 bytes do not read back the same")


# =========================================================================== loading


def _pg_copy(cursor, table: str, columns, rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def record_columns() -> tuple[str, ...]:
    from catalogue.models import Record

    return tuple(f.column for f in Record._meta.concrete_fields)


def load_chunk_postgres(chunk: Chunk) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        # The rows are consistent by construction: no foreign-key triggers per row, and
        # a crash only loses the data set (rebuilt by --force).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")
        _pg_copy(cursor, "catalogue_work", WORK_COLUMNS, chunk.works)
        _pg_copy(cursor, "connectors_sourcerecord", SOURCE_COLUMNS, chunk.sources)
        _pg_copy(cursor, "catalogue_record", record_columns(), chunk.records)
        _pg_copy(cursor, "catalogue_recordkey", KEY_COLUMNS, chunk.keys)
        _pg_copy(cursor, "catalogue_item", ITEM_COLUMNS, chunk.items)


def load_chunk_sqlite(chunk: Chunk) -> None:
    from django.db import connection, transaction

    def insert(cursor, table, columns, rows):
        marks = ", ".join("%s" for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608

    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper
        insert(cursor, "catalogue_work", WORK_COLUMNS, chunk.works)
        insert(cursor, "connectors_sourcerecord", SOURCE_COLUMNS, chunk.sources)
        insert(cursor, "catalogue_record", record_columns(), chunk.records)
        insert(cursor, "catalogue_recordkey", KEY_COLUMNS, chunk.keys)
        insert(cursor, "catalogue_item", ITEM_COLUMNS, chunk.items)


_GENERATOR: Generator | None = None
_PARTS: Path | None = None


def _worker_chunk(task: tuple[int, int, list[int], int]) -> tuple[int, int, int, int]:
    chunk_no, first_work, counts, first_record = task
    chunk = _GENERATOR.chunk(first_work, counts, first_record)
    if chunk_no % 50 == 0:
        check_encoding(_GENERATOR, chunk)
    load_chunk_postgres(chunk)
    (_PARTS / f"{chunk_no:06d}.mrc").write_bytes(chunk.iso)
    return chunk_no, len(chunk.records), len(chunk.items), len(chunk.keys)


def tasks(counts: list[int]):
    record = 1
    for chunk_no, start in enumerate(range(0, len(counts), CHUNK_WORKS)):
        part = counts[start : start + CHUNK_WORKS]
        yield chunk_no, start, part, record
        record += sum(part)


def generate_postgres(generator: Generator, counts: list[int], iso_path: Path, processes: int):
    """Generate and COPY every chunk in ``processes`` worker processes (forked: they
    inherit the corpus and the network); each writes its chunk's ISO 2709 part, joined
    in order at the end."""
    import multiprocessing

    from django.db import connections

    global _GENERATOR, _PARTS
    _GENERATOR = generator
    _PARTS = iso_path.with_suffix(".parts")
    shutil.rmtree(_PARTS, ignore_errors=True)
    _PARTS.mkdir(parents=True)
    connections.close_all()  # each forked worker opens its own connection
    total_records = sum(counts)
    done = items = keys = 0
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        for _chunk_no, n, n_items, n_keys in pool.imap_unordered(_worker_chunk, tasks(counts)):
            done += n
            items += n_items
            keys += n_keys
            if done // 100_000 != (done - n) // 100_000:
                rate = done / (time.perf_counter() - started)
                say(f"    {done:>9,} / {total_records:,} records, {rate:,.0f}/s ({load_average()})")
    with iso_path.with_suffix(".tmp").open("wb") as out:
        for part in sorted(_PARTS.iterdir()):
            with part.open("rb") as stream:
                shutil.copyfileobj(stream, out, 1 << 20)
    iso_path.with_suffix(".tmp").rename(iso_path)
    shutil.rmtree(_PARTS)
    return {"records": done, "items": items, "keys": keys, "works": len(counts)}


def generate_sqlite(generator: Generator, counts: list[int]):
    done = items = keys = 0
    started = time.perf_counter()
    for chunk_no, first_work, part, first_record in tasks(counts):
        chunk = generator.chunk(first_work, part, first_record)
        if chunk_no % 50 == 0:
            check_encoding(generator, chunk)
        load_chunk_sqlite(chunk)
        done += len(chunk.records)
        items += len(chunk.items)
        keys += len(chunk.keys)
        if done // 50_000 != (done - len(chunk.records)) // 50_000:
            rate = done / (time.perf_counter() - started)
            say(f"    {done:>9,} records, {rate:,.0f}/s ({load_average()})")
    return {"records": done, "items": items, "keys": keys, "works": len(counts)}


# =========================================================================== works merged


_SHARED_KEYS = (
    "SELECT k.key, r.work_id FROM catalogue_recordkey k "
    "JOIN catalogue_record r ON r.id = k.record_id WHERE k.key IN ("
    "SELECT k2.key FROM catalogue_recordkey k2 JOIN catalogue_record r2 ON r2.id = k2.record_id "
    "GROUP BY k2.key HAVING count(DISTINCT r2.work_id) > 1)"
)


def merge_shared_keys() -> dict:
    """Works that share a key — a short title and a first author the generator happened
    to draw for two works ("Journal" by Austin) — merged as deduplication merges them:
    the records moved to the oldest work, the others deleted and remembered as
    ``MergedWork`` (their URLs redirect), the survivors described again by
    ``dedup.refresh_works`` (which rewrites their search documents too)."""
    from django.db import connection, transaction

    from catalogue import dedup
    from catalogue.models import MergedWork, Record, Work

    with connection.cursor() as cursor:
        cursor.execute(_SHARED_KEYS)
        pairs = cursor.fetchall()
    parent: dict[int, int] = {}

    def find(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    first_of_key: dict[str, int] = {}
    for key, work_id in pairs:
        other = first_of_key.setdefault(key, work_id)
        a, b = find(other), find(work_id)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for work_id in parent:
        groups.setdefault(find(work_id), []).append(work_id)
    merged = []
    with transaction.atomic():
        for target, members in groups.items():
            others = [w for w in members if w != target]
            if not others:
                continue
            Record.objects.filter(work_id__in=others).update(work_id=target, updated_at=BUILT_AT)
            MergedWork.objects.bulk_create([MergedWork(old_id=w, work_id=target) for w in others])
            merged += others
        for start in range(0, len(merged), 5000):
            Work.objects.filter(pk__in=merged[start : start + 5000]).delete()
        dedup.refresh_works(list(groups))
    return {"works_merged": len(merged), "into": len(groups)}


# =========================================================================== indexing


def _index_range(bounds: tuple[int, int]) -> tuple[int, Counter]:
    """Search documents of the works in [low, high), as :func:`catalogue.search.rebuild_index`
    writes them (``documents.build`` then the engine's ``write``, 1,000 works per
    transaction); returns how many, and their vocabulary."""
    from django.db import connection, transaction

    from catalogue import search
    from catalogue.search import documents

    low, high = bounds
    engine = search.current_engine()
    vocabulary: Counter = Counter()
    written = 0
    for start in range(low, high, search.INDEX_CHUNK):
        ids = list(range(start, min(start + search.INDEX_CHUNK, high)))
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            built = documents.build(ids)
            engine.write(built)
        for document in built:
            vocabulary.update(document.vocabulary)
        written += len(built)
    return written, vocabulary


def index_postgres(last_work: int, processes: int) -> int:
    """The application's indexer over every work (ids 1 to ``last_work``, some merged
    away), in ``processes`` processes (each a range of ids), then the vocabulary counted
    over all of them and written as ``rebuild_index`` writes it."""
    import multiprocessing

    from django.db import connections, transaction

    from catalogue import search
    from catalogue.models import SearchTerm

    connections.close_all()
    step = 20_000
    ranges = [(low, min(low + step, last_work + 1)) for low in range(1, last_work + 1, step)]
    vocabulary: Counter = Counter()
    written = 0
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for n, counts in pool.imap_unordered(_index_range, ranges):
            vocabulary.update(counts)
            before, written = written, written + n
            if written // 100_000 != before // 100_000:
                rate = written / (time.perf_counter() - started)
                say(f"    {written:>9,} works indexed, {rate:,.0f}/s ({load_average()})")
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        search.current_engine().add_terms(vocabulary)
    return written


# =========================================================================== stamps and sizes


def stamp_of(cursor) -> dict | None:
    try:
        cursor.execute(f"SELECT value FROM {STAMP_TABLE}")  # noqa: S608
    except Exception:  # noqa: BLE001 - no stamp table: not built (or not finished)
        return None
    row = cursor.fetchone()
    if not row:
        return None
    return json.loads(row[0]) if isinstance(row[0], str) else row[0]


def write_stamp(stamp: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAMP_TABLE}")
        cursor.execute(f"CREATE TABLE {STAMP_TABLE} (value TEXT NOT NULL)")
        cursor.execute(f"INSERT INTO {STAMP_TABLE} (value) VALUES (%s)", [json.dumps(stamp)])  # noqa: S608


def wanted(records: int) -> dict:
    return {"generator": GENERATOR_VERSION, "seed": SEED, "records": records}


def matches(stamp: dict | None, records: int) -> bool:
    return bool(stamp) and all(stamp.get(k) == v for k, v in wanted(records).items())


def search_code() -> str:
    """A fingerprint of the search code and the schema it indexes into: documents
    written by other code are not what the current code would write."""
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "catalogue/search").glob("*.py"),
                        *(ROOT / "catalogue/migrations").glob("*.py")]):  # fmt: skip
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def git_head() -> str:
    if os.environ.get("BENCH_CODE_COMMIT"):
        return os.environ["BENCH_CODE_COMMIT"]
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return found.stdout.strip() or "unknown"


def _db_name() -> str:
    return urlsplit(DATABASE_URL).path.lstrip("/")


def _admin_url() -> str:
    parts = urlsplit(DATABASE_URL)
    return parts._replace(path="/postgres").geturl()


def postgres_stamp() -> dict | None:
    import psycopg

    try:
        with psycopg.connect(DATABASE_URL, connect_timeout=5) as conn:
            return stamp_of(conn.cursor())
    except psycopg.OperationalError:
        return None


def sqlite_stamp(path: Path = SQLITE_PATH) -> dict | None:
    import sqlite3

    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return stamp_of(conn.cursor())
    finally:
        conn.close()


def iso_path(records: int) -> Path:
    return VAR / f"search-{records}.mrc"


def zebra_dir(records: int) -> Path:
    return VAR / f"zebra-{records}"


def zebra_stamp(records: int) -> dict | None:
    path = zebra_dir(records) / "stamp.json"
    return json.loads(path.read_text()) if path.exists() else None


def table_sizes(cursor) -> list[tuple[str, int, int]]:
    cursor.execute(
        "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
        "AND c.relkind = 'r' ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 8"
    )
    return cursor.fetchall()


# =========================================================================== Zebra


def start_zebra_index(iso: Path, records: int) -> tuple[subprocess.Popen, float, Path]:
    """``zebraidx update`` of the file with the tests' configuration (DOM filter, ICU),
    in the background."""
    directory = zebra_dir(records)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for item in ZEBRA_CONFIG.iterdir():
        if item.is_file():
            shutil.copy(item, directory)
    (directory / "register").mkdir()
    cfg = directory / "zebra.cfg"
    # The tests' register holds 100 MB; two million records need tens of GB.
    cfg.write_text(cfg.read_text().replace("register:100M", "register:200G"))
    command = ["zebraidx", "-c", "zebra.cfg", "-t", "dom.dom-conf.xml"]
    subprocess.run([*command, "init"], cwd=directory, check=True, capture_output=True)
    log = (directory / "zebraidx.log").open("w")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*command, "update", str(iso)], cwd=directory, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    return proc, started, directory


def finish_zebra_index(proc, started: float, directory: Path, records: int, concurrent: str):
    proc.wait()
    seconds = time.perf_counter() - started
    log = (directory / "zebraidx.log").read_text(errors="replace")
    if proc.returncode != 0 or "[fatal]" in log:
        raise SystemExit(f"zebraidx failed (exit {proc.returncode}):\n{log[-3000:]}")
    size = dir_size(directory / "register")
    stamp = {
        **wanted(records),
        "seconds": round(seconds, 1),
        "records_per_second": round(records / seconds),
        "register_bytes": size,
        "indexed_while": concurrent,
        "load_at_end": os.getloadavg()[0],
    }
    (directory / "stamp.json").write_text(json.dumps(stamp, indent=1))
    say(
        f"  zebraidx update: {seconds:.0f} s, {records / seconds:,.0f} records/s, "
        f"register {mb(size)} ({load_average()})"
    )
    return stamp


# =========================================================================== builders


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "metrobib.settings"
    os.environ.pop("REDIS_URL", None)
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def _migrate(env_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": env_url, "DEBUG": "1", "LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def _check_columns() -> None:
    """The columns written by COPY are the models' own (a schema change fails here)."""
    from catalogue.models import Item, RecordKey, Work
    from connectors.models import SourceRecord

    for model, columns in (
        (Work, WORK_COLUMNS),
        (SourceRecord, SOURCE_COLUMNS),
        (RecordKey, ("id", *KEY_COLUMNS)),
        (Item, ("id", *ITEM_COLUMNS)),
    ):
        actual = {f.column for f in model._meta.concrete_fields}
        if actual != set(columns):
            raise SystemExit(f"{model.__name__}: columns {sorted(actual ^ set(columns))} differ")


def consistency(cursor) -> dict:
    """Works against their records, as deduplication leaves them; keys shared by two
    works (what a real harvest would have merged)."""
    cursor.execute(
        "SELECT count(*) FROM catalogue_work w JOIN (SELECT work_id, count(*) AS n, "
        "count(DISTINCT library_id) AS l, min(year) AS y, min(id) AS first "
        "FROM catalogue_record GROUP BY work_id) r ON r.work_id = w.id "
        "JOIN catalogue_record f ON f.id = r.first "
        "WHERE w.record_count <> r.n OR w.library_count <> r.l "
        "OR w.year <> r.y OR (w.year IS NULL) <> (r.y IS NULL) "
        "OR w.title <> f.title OR w.main_author <> f.main_author"
    )
    differing = cursor.fetchone()[0]
    cursor.execute(
        "SELECT count(*) FROM (SELECT k.key FROM catalogue_recordkey k JOIN catalogue_record r "
        "ON r.id = k.record_id GROUP BY k.key HAVING count(DISTINCT r.work_id) > 1) AS shared"
    )
    shared = cursor.fetchone()[0]
    return {"works_differing_from_records": differing, "keys_shared_by_works": shared}


def build_postgres(records: int, processes: int, with_zebra: bool) -> None:
    import psycopg
    from psycopg import sql

    steps = Steps()
    name = _db_name()
    say(f"PostgreSQL: {records:,} records into {DATABASE_URL}")

    def create():
        with psycopg.connect(_admin_url(), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    steps.run("create the database", create)
    steps.run("manage.py migrate", _migrate, DATABASE_URL)
    _django(DATABASE_URL)
    from django.db import connection

    from catalogue.models import Work

    _check_columns()
    network = steps.run("demo network, connectors, site codes", load_network)
    corpus = steps.run("read the real records", load_corpus)
    say(
        f"    {corpus.size} real records: {len(corpus.serial_templates)} serial templates, "
        f"{len(corpus.book_templates['unimarc'])} UNIMARC and "
        f"{len(corpus.book_templates['marc21'])} MARC 21 book templates; "
        f"{len(corpus.words.values)} title words, {len(corpus.persons.values)} persons, "
        f"{len(corpus.bodies.values)} bodies, {len(corpus.subjects.values)} subjects"
    )
    counts = plan(records)
    say(f"    {len(counts):,} works for {records:,} records, {sum(counts) / len(counts):.2f} each")
    iso = iso_path(records)
    generator = Generator(corpus, network, BUILT_AT)
    loaded = steps.run(
        f"generate, describe and COPY ({processes} processes)",
        generate_postgres, generator, counts, iso, processes,
    )  # fmt: skip
    say(
        f"    {loaded['works']:,} works, {loaded['records']:,} records, {loaded['items']:,} "
        f"copies, {loaded['keys']:,} keys; {iso.name}: {mb(iso.stat().st_size)}"
    )
    zebra = None
    if with_zebra and shutil.which("zebraidx"):
        zebra = start_zebra_index(iso, records)
        say(f"  zebraidx update {iso.name} started in the background (pid {zebra[0].pid})")

    def sequences():
        with connection.cursor() as cursor:
            for table in ("catalogue_work", "catalogue_record", "connectors_sourcerecord"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            cursor.execute("VACUUM (ANALYZE) catalogue_work, catalogue_record, catalogue_item")

    steps.run("sequences, VACUUM ANALYZE of the loaded tables", sequences)
    merged = steps.run("works sharing a key merged, as deduplication would", merge_shared_keys)
    say(f"    {merged}")
    works = Work.objects.count()
    last_work = Work.objects.order_by("-pk").values_list("pk", flat=True).first()
    code = search_code()
    indexed = steps.run(
        f"search documents (catalogue.search indexer, {processes} processes)",
        index_postgres, last_work, processes,
    )  # fmt: skip

    def vacuum():
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
            cursor.execute("CHECKPOINT")

    steps.run("VACUUM ANALYZE, CHECKPOINT", vacuum)
    with connection.cursor() as cursor:
        checks = steps.run("consistency checks", consistency, cursor)
        say(f"    {checks}")
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
        sizes = table_sizes(cursor)
    say(f"  database size: {mb(size)}")
    for table, rows, total in sizes:
        say(f"    {table:32} {rows:>11,} rows {mb(total):>9}")
    stamp = {
        **wanted(records),
        "indexed": indexed,
        "sqlite_works": whole_works(counts, SQLITE_RECORDS),
        "network": network.fingerprint,
        "steps": steps.seconds,
        "database_bytes": size,
        "tables": [[t, r, s] for t, r, s in sizes],
        **loaded,
        "works_generated": loaded["works"],
        "works": works,
        **merged,
        **checks,
        "search_code": code,
        "git_head": git_head(),
        **wanted(records),  # last: the size asked for, which the stamp is matched on
    }
    write_stamp(stamp)
    if zebra is not None:
        say(f"  waiting for zebraidx ({load_average()})…")
        finish_zebra_index(*zebra, records, "the PostgreSQL search documents were being written")


def build_sqlite(records: int, path: Path = SQLITE_PATH) -> None:
    steps = Steps()
    say(f"SQLite: the first {records:,} records (whole works) into {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    url = f"sqlite:///{path}"
    steps.run("manage.py migrate", _migrate, url)
    _django(url)
    from django.db import connection

    from catalogue import search

    _check_columns()
    network = steps.run("demo network, connectors, site codes", load_network)
    corpus = steps.run("read the real records", load_corpus)
    counts = plan(RECORDS)
    counts = counts[: whole_works(counts, records)]
    generator = Generator(corpus, network, connection.ops.adapt_datetimefield_value(BUILT_AT))
    loaded = steps.run("generate, describe and insert", generate_sqlite, generator, counts)
    say(f"    {loaded['works']:,} works, {loaded['records']:,} records, {loaded['items']:,} copies")
    merged = steps.run("works sharing a key merged, as deduplication would", merge_shared_keys)
    say(f"    {merged}")
    code = search_code()
    indexed = steps.run("search documents (search.rebuild_index)", search.rebuild_index)

    def analyze():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    steps.run("ANALYZE", analyze)
    with connection.cursor() as cursor:
        checks = consistency(cursor)
    say(f"    {checks}")
    from catalogue.models import Work

    stamp = {
        **wanted(records),
        "indexed": indexed,
        "network": network.fingerprint,
        "steps": steps.seconds,
        **loaded,
        "works_generated": loaded["works"],
        "works": Work.objects.count(),
        **merged,
        **checks,
        "search_code": code,
        "git_head": git_head(),
        **wanted(records),  # last: the size asked for, which the stamp is matched on
    }
    write_stamp(stamp)
    connection.close()
    stamp["file_bytes"] = path.stat().st_size
    say(f"  file size: {mb(stamp['file_bytes'])}")


def reindex(target: str) -> None:
    """The search documents of the existing data set written again by the current search
    code (after a change of the search module; the records stay as they are)."""
    steps = Steps()
    url = DATABASE_URL if target == "postgres" else f"sqlite:///{SQLITE_PATH}"
    say(f"{'PostgreSQL' if target == 'postgres' else 'SQLite'}: search documents again ({url})")
    steps.run("manage.py migrate", _migrate, url)
    _django(url)
    from django.db import connection

    from catalogue import search
    from catalogue.models import Work

    with connection.cursor() as cursor:
        stamp = stamp_of(cursor)
    if not stamp:
        raise SystemExit("no data set to index again: build it first")
    code = search_code()
    if target == "postgres":

        def empty():
            with connection.cursor() as cursor:
                # The documents and whatever the engine keeps beside them (foreign keys),
                # and the works queued to be indexed again (a migration may queue all).
                cursor.execute("TRUNCATE catalogue_workindex CASCADE")
                cursor.execute("TRUNCATE catalogue_pendingindex")

        steps.run("documents removed", empty)
        last_work = Work.objects.order_by("-pk").values_list("pk", flat=True).first()
        stamp["indexed"] = steps.run(
            "search documents (catalogue.search indexer, 2 processes)",
            index_postgres, last_work, 2,
        )  # fmt: skip

        def vacuum():
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
                cursor.execute("CHECKPOINT")
                cursor.execute("SELECT pg_database_size(current_database())")
                stamp["database_bytes"] = cursor.fetchone()[0]

        steps.run("VACUUM ANALYZE, CHECKPOINT", vacuum)
        say(f"  database size: {mb(stamp['database_bytes'])}")
    else:
        stamp["indexed"] = steps.run(
            "search documents (search.rebuild_index)", search.rebuild_index
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    stamp["steps"] = {
        **stamp.get("steps", {}),
        **{f"reindex: {k}": v for k, v in steps.seconds.items()},
    }
    stamp["search_code"], stamp["git_head"] = code, git_head()
    write_stamp(stamp)


def run_in_snapshot(rev: str, script: str, argv: list[str]) -> int:
    """Run ``script`` with ``argv`` on the code of commit ``rev`` (:func:`snapshot_command`)."""
    command, cwd, env = snapshot_command(rev, script, argv)
    return subprocess.run(command, cwd=cwd, env=env).returncode


def snapshot_command(
    rev: str, script: str, argv: list[str], base_env: dict[str, str] | None = None
) -> tuple[list[str], Path, dict]:
    """The command, directory and environment (``base_env``, this process's by default)
    that run ``script`` with ``argv`` on the code of commit ``rev``: its tree exported by
    ``git archive`` (the checkout is left alone) into ``var/bench/code-<commit>/`` with the
    benchmark scripts of the working tree, imported before the checkout's packages. Others
    may edit the checkout meanwhile: what runs is that commit."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    if not commit:
        raise SystemExit(f"unknown commit: {rev}")
    directory = VAR / f"code-{commit}"
    if not (directory / "manage.py").exists():
        directory.mkdir(parents=True, exist_ok=True)
        tree = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(directory)], input=tree.stdout, check=True)
    for path in (ROOT / "bench").glob("*.py"):
        shutil.copy(path, directory / "bench" / path.name)
    env = dict(os.environ if base_env is None else base_env)
    env.update(BENCH_VAR=str(VAR), BENCH_CODE_COMMIT=commit)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(directory), env.get("PYTHONPATH")]))
    say(f"code: commit {commit}, exported to {directory}")
    return [sys.executable, str(directory / "bench" / script), *argv], directory, env


def without_option(argv: list[str], name: str) -> list[str]:
    """``argv`` without ``name VALUE`` / ``name=VALUE``."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == name:
            skip = True
        elif not arg.startswith(name + "="):
            out.append(arg)
    return out


def run_child(*args: str) -> None:
    subprocess.run([sys.executable, __file__, *args], cwd=ROOT, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--sqlite-records", type=int, default=SQLITE_RECORDS)
    parser.add_argument("--force", action="store_true", help="rebuild even when a stamp matches")
    parser.add_argument("--only", choices=["postgres", "sqlite", "zebra"], action="append")
    parser.add_argument("--processes", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument(
        "--reindex",
        action="store_true",
        help="only write the search documents again with the current search code",
    )
    parser.add_argument(
        "--snapshot",
        metavar="COMMIT",
        help="run the application's code of this commit (git archive), not the checkout's",
    )
    parser.add_argument(
        "--target",
        choices=["postgres", "sqlite", "reindex-postgres", "reindex-sqlite"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--no-zebra", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.snapshot:
        return run_in_snapshot(
            args.snapshot, "searchdata.py", without_option(sys.argv[1:], "--snapshot")
        )
    if args.target == "postgres":
        build_postgres(args.records, args.processes, not args.no_zebra)
        return 0
    if args.target == "sqlite":
        build_sqlite(args.sqlite_records)
        return 0
    if args.target and args.target.startswith("reindex-"):
        reindex(args.target.removeprefix("reindex-"))
        return 0
    parts = args.only or ["postgres", "sqlite", "zebra"]
    if args.reindex:
        for part in ("postgres", "sqlite"):
            if part in parts:
                run_child("--target", f"reindex-{part}")
        return 0
    say(f"Métrobib search benchmark data, generator v{GENERATOR_VERSION} — {load_average()}")
    started = time.perf_counter()
    postgres_needed = "postgres" in parts and (
        args.force or not matches(postgres_stamp(), args.records)
    )
    zebra_needed = "zebra" in parts and (
        args.force or not matches(zebra_stamp(args.records), args.records)
    )
    if postgres_needed:
        # The PostgreSQL build writes the ISO 2709 file, and indexes it with Zebra in the
        # background while it writes the search documents.
        run_child("--target", "postgres", "--records", str(args.records),
                  "--processes", str(args.processes),
                  *([] if zebra_needed else ["--no-zebra"]))  # fmt: skip
        zebra_needed = False
    elif "postgres" in parts:
        say(f"PostgreSQL {_db_name()}: up to date ({args.records:,} records), reused")
    if zebra_needed:
        iso = iso_path(args.records)
        if not iso.exists():
            raise SystemExit(f"{iso} is missing: --force --only postgres writes it again")
        say(f"Zebra: indexing {iso.name}")
        finish_zebra_index(*start_zebra_index(iso, args.records), args.records, "nothing else")
    elif "zebra" in parts:
        z = zebra_stamp(args.records) or {}
        say(f"Zebra {zebra_dir(args.records).name}: up to date "
            f"(indexed in {z.get('seconds', 0):.0f} s), reused")  # fmt: skip
    if "sqlite" in parts:
        if matches(sqlite_stamp(), args.sqlite_records) and not args.force:
            say(f"SQLite {SQLITE_PATH.name}: up to date ({args.sqlite_records:,} records), reused")
        else:
            run_child("--target", "sqlite", "--sqlite-records", str(args.sqlite_records))
    say("")
    say(f"Disk used by the search benchmark data ({time.perf_counter() - started:.0f} s):")
    stamp = postgres_stamp()
    if stamp:
        name = f"PostgreSQL {_db_name()} (pg_database_size)"
        say(f"  {name:50} {mb(stamp['database_bytes']):>9}")
    for path in (iso_path(args.records), SQLITE_PATH):
        if path.exists():
            say(f"  {path!s:50} {mb(path.stat().st_size):>9}")
    if zebra_dir(args.records).exists():
        directory = zebra_dir(args.records)
        say(f"  {directory!s:50} {mb(dir_size(directory)):>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
