"""Character sets of library records: UTF-8 wins, then MARC-8, ISO 5426, ISO 6937, Latin-1.

Pure tests, no database. The UNIMARC and MARC-8 records are real files (tests/data/SOURCES.md);
no real ISO 5426 or ISO 6937 file could be found, so those byte sequences are written here from
the code tables.
"""

import unicodedata
from pathlib import Path

import pytest

from catalogue.charsets import (
    CHARSETS,
    DecodeReport,
    UnknownByte,
    declared_charset_marc21,
    declared_charset_unimarc,
    decode_field,
    decode_with_report,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "marc"


def records(name: str) -> list[bytes]:
    return [raw for raw in (DATA / name).read_bytes().split(b"\x1d") if raw.strip()]


def fields(record: bytes) -> list[tuple[str, bytes]]:
    """(tag, bytes) of each field: the directory gives the tags, 0x1E ends each field."""
    head, *datas = record.split(b"\x1e")
    directory = head[24:]
    tags = [directory[i : i + 3].decode("ascii") for i in range(0, len(directory), 12)]
    return list(zip(tags, datas, strict=False))


def field(record: bytes, tag: str) -> bytes:
    return next(data for t, data in fields(record) if t == tag)


def subfield(data: bytes, code: str) -> bytes:
    return next(part[1:] for part in data.split(b"\x1f")[1:] if part[:1] == code.encode())


def unimarc_declaration(record: bytes) -> str:
    return declared_charset_unimarc(subfield(field(record, "100"), "a").decode("ascii"))


# ----------------------------------------------------------------------------- UTF-8 wins


def test_utf8_title_wins_over_the_iso5426_its_unimarc_record_declares():
    record = records("cotes8.mrc")[0]
    assert subfield(field(record, "100"), "a")[26:30] == b"0103"
    assert unimarc_declaration(record) == "iso-5426"
    report = DecodeReport()

    title = decode_field(subfield(field(record, "200"), "a"), "iso-5426", report=report)

    assert title == "Traité de la science des finances"
    assert report.clean and report.utf8_overrides == 1


def test_every_field_of_a_real_unimarc_export_reads_as_its_utf8_without_replacement():
    seen = 0
    for record in records("cotes8.mrc"):
        declared = unimarc_declaration(record)
        for _tag, data in fields(record):
            text, problems = decode_with_report(data, declared)
            assert not problems
            assert text == unicodedata.normalize("NFC", data.decode("utf-8"))
            seen += not data.isascii()
    assert seen > 30  # the file is full of accents, all of them read as UTF-8


@pytest.mark.parametrize("declared", CHARSETS)
def test_utf8_bytes_are_read_as_utf8_whatever_is_declared(declared):
    assert decode_field("Œuvres complètes, Łódź".encode(), declared) == "Œuvres complètes, Łódź"


def test_pure_ascii_is_not_counted_as_a_declaration_overruled():
    report = DecodeReport()
    assert decode_field(b"Paris", "iso-5426", report=report) == "Paris"
    assert report.utf8_overrides == 0


# ----------------------------------------------------------------------------- MARC-8


def test_marc8_record_declared_by_its_leader_is_decoded_by_pymarc_keeping_delimiters():
    (record,) = records("marc8.dat")
    assert declared_charset_marc21(record[:24].decode("ascii")) == "marc-8"
    data = field(record, "240")
    assert b"\xe1a" in data  # grave accent, then the letter

    text, problems = decode_with_report(data, "marc-8")

    assert text == "10\x1faDe la solitude à la communauté.\x1flEnglish."
    assert not problems


def test_marc8_cjk_title_made_of_ascii_escapes_is_not_taken_for_utf8():
    # The first characters of a real CJK record's 880 $a (perl4lib marc-charset cjk1.marc):
    # every byte is ASCII, so the bytes are "valid UTF-8"; the escapes say they are MARC-8.
    data = b"\x1b$1!]>!L$!0!\x1b(B \x1b$1!0a!4)\x1b(B"
    assert decode_field(data, "marc-8") == "金田一 京助"


def test_marc8_code_pymarc_cannot_map_becomes_a_replacement_and_is_reported():
    report = DecodeReport()
    assert decode_field(b"abc\xafdef", "marc-8", report=report) == "abc\ufffddef"
    assert report.unknown_bytes == [UnknownByte("marc-8", 3, 0xAF)]


def test_stray_marc8_escapes_of_a_real_broken_record_are_reported_not_silently_dropped():
    # Field 222 of pymarc's bad_marc8_escape.dat: ESC bytes stand where letters were lost.
    data = b" 0\x1faBulletin de la Soci\x1bt\xe2e linn\x1benne de Bordeaux"
    text, problems = decode_with_report(data, "marc-8")
    assert text == " 0\x1faBulletin de la Soci\ufffdté linn\ufffdenne de Bordeaux"
    assert len(problems) == 2 and "0x1B" in problems[0]


def test_truncated_marc8_escape_at_the_end_of_a_real_field_does_not_crash():
    # Field 260 $b of the same record ends in ESC ",": pymarc would leave a raw ESC in the text.
    text, problems = decode_with_report(b"  \x1faBordeaux :\x1fbLa Soci\xe2et\x1b,", "marc-8")
    assert text == "  \x1faBordeaux :\x1fbLa Sociét\ufffd"
    assert len(problems) == 1


# ----------------------------------------------------------------------------- ISO 6937


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xc2E", "É"),
        (b"\xc2Ecole \xc2el\xc1eve", "École élève"),
        (b"\xeauvre", "Œuvre"),
        (b"Stra\xfbe", "Straße"),
        (b"\xe8\xc2od\xc2z", "Łódź"),
        (b"Dvo\xcfr\xc2ak", "Dvořák"),
        (b"\xe1r\xf9sk\xf9bing", "Ærøskøbing"),
        (b"Fran\xcbcois", "François"),
        (b"\xc8 ", "¨"),  # a diacritic before a space is the spacing accent
    ],
)
def test_iso6937_sequences_from_the_code_table_are_decoded(data, expected):
    text, problems = decode_with_report(data, "iso-6937")
    assert (text, problems) == (expected, [])


def test_unused_iso6937_byte_becomes_a_replacement_and_is_reported():
    report = DecodeReport()
    assert decode_field(b"a\xa6b", "iso-6937", report=report) == "a\ufffdb"
    assert report.unknown_bytes == [UnknownByte("iso-6937", 1, 0xA6)]


# ----------------------------------------------------------------------------- ISO 5426


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xc2e", "é"),
        (b"\xc2Ecole \xc2el\xc1eve", "École élève"),
        (b"\xeauvre", "Œuvre"),
        (b"Stra\xfbe", "Straße"),
        (b"\xe8\xc2od\xc2z", "Łódź"),
        (b"Dvo\xcfr\xc2ak", "Dvořák"),
        (b"Bucure\xd2sti", "București"),  # hook to the left: comma below
        (b"\xe2or\xf2e", "Đorđe"),
        (b"\xc2\xf1", "ǽ"),  # a diacritic on a special letter
        (b"\xa2Citation\xaa", "„Citation“"),
    ],
)
def test_iso5426_sequences_from_the_code_table_are_decoded(data, expected):
    text, problems = decode_with_report(data, "iso-5426")
    assert (text, problems) == (expected, [])


def test_two_diacritics_before_a_vietnamese_letter_come_out_in_order():
    # "ễ" is e + circumflex + tilde: ISO 5426 writes the mark nearest the letter last.
    assert decode_field(b"Nguy\xc4\xc3en", "iso-5426") == "Nguyễn"
    assert decode_field(b"\xc2\xc3e", "iso-5426") == "ế"
    assert decode_field(b"\xc3\xc2e", "iso-5426") == "é\u0302"  # the other order is another letter


def test_iso5426_keeps_field_delimiters_and_non_sort_marks():
    data = b"1 \x1fa\x88Le \x89caf\xc2e\x1fbroman\x1e"
    assert decode_field(data, "iso-5426") == "1 \x1fa\x98Le \x9ccafé\x1fbroman\x1e"


def test_unused_iso5426_byte_becomes_a_replacement_and_is_reported_in_french():
    text, problems = decode_with_report(b"A\xe0B\xfd", "iso-5426")
    assert text == "A\ufffdB\ufffd"
    assert problems == [
        "caractère 0xE0 illisible en ISO 5426 (octet 1), remplacé par « \ufffd »",
        "caractère 0xFD illisible en ISO 5426 (octet 3), remplacé par « \ufffd »",
    ]


def test_dangling_diacritic_at_the_end_does_not_crash():
    assert decode_field(b"abc\xc2", "iso-5426") == "abc´"


# ----------------------------------------------------------------------------- other sets


@pytest.mark.parametrize("declared", ["utf-8", "unknown"])
def test_invalid_utf8_becomes_a_replacement_and_is_reported(declared):
    report = DecodeReport()
    assert decode_field(b"caf\xe9 cr\xc3\xa8me", declared, report=report) == "caf\ufffd crème"
    assert [(u.offset, u.value) for u in report.unknown_bytes] == [(3, 0xE9)]


def test_latin1_is_read_when_declared():
    assert decode_with_report(b"caf\xe9", "iso-8859-1") == ("café", [])


def test_output_is_nfc_whatever_the_input():
    assert decode_field("e\u0301".encode(), "utf-8") == "\u00e9"
    assert decode_field(b"\xc2e", "iso-5426") == "\u00e9"
    assert decode_field(b"\xe2e", "marc-8") == "\u00e9"


def test_a_charset_name_we_do_not_know_is_a_programming_error():
    with pytest.raises(ValueError, match="cp1252"):
        decode_field(b"abc", "cp1252")


# ----------------------------------------------------------------------------- declarations


def unimarc_100a(sets: str) -> str:
    return "20010206d1892    k  y0frey" + sets + "    ba"


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        ("0103", "iso-5426"),
        ("03  ", "iso-5426"),
        ("50  ", "utf-8"),
        ("0150", "utf-8"),
        ("01  ", "unknown"),  # ISO 646 alone: ASCII, which UTF-8 reads anyway
        ("02  ", "unknown"),  # basic Cyrillic: not decoded here
        ("0111", "unknown"),  # ISO 5426-2 is another set
        ("    ", "unknown"),
    ],
)
def test_unimarc_100a_positions_26_to_29_give_the_declared_set(sets, expected):
    assert unimarc_100a(sets)[26:30] == sets
    assert declared_charset_unimarc(unimarc_100a(sets)) == expected


def test_too_short_unimarc_100a_declares_nothing():
    assert declared_charset_unimarc("20010206d1892") == "unknown"


@pytest.mark.parametrize(
    ("leader", "expected"),
    [
        ("01117cam  2200349 a 4500", "marc-8"),
        ("01117cam a2200349 a 4500", "utf-8"),
        ("01117cam x2200349 a 4500", "unknown"),
        ("01117", "unknown"),
    ],
)
def test_marc21_leader_position_09_gives_the_declared_set(leader, expected):
    assert declared_charset_marc21(leader) == expected
