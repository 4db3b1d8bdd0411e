"""MARC 21 records of real catalogues read into the catalogue's own description."""

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from catalogue.marc import Field, MarcRecord, read_marc_file
from catalogue.normalize import NormalisationError, normalise
from catalogue.records import Audience, Author, DocType

DATA = Path(__file__).resolve().parent.parent / "data" / "marc"


def read(name: str) -> list[MarcRecord]:
    with (DATA / name).open("rb") as handle:
        return [r for r in read_marc_file(handle) if isinstance(r, MarcRecord)]


def test_koha_record_title_without_isbd_punctuation_and_isbn_13():
    record = normalise(read("marcmoose_koha_952.xml")[0])
    assert (record.title, record.subtitle) == ("Macroeconomics", "a European text")
    assert [a.name for a in record.authors] == ["Burda, Michael C.", "Wyplosz, Charles"]
    assert record.isbns == ("9780198773061",)  # 0-19-877306-4
    assert (record.publisher, record.year, record.language) == (
        "Oxford University Press",
        1993,
        "eng",
    )
    assert record.summary.startswith("The book covers two courses.")


def test_subtitle_typed_in_245_a_is_split_at_the_isbd_colon():
    record = normalise(read("1474920681_KOHA_LFL_5.xml")[0])
    assert record.title == "Cinema and architecture"
    assert record.subtitle == "from historical to digital"
    assert record.responsibility == "edited by Francois Penz and Maureen Thomas"
    assert (record.place, record.publisher, record.year) == (
        "London",
        "BFI (British Film Institute) Publishing",
        1996,
    )
    assert record.authors == (Author("Penz, Francois"),)


def test_juvenile_audience_and_isbn_qualifiers():
    record = normalise(read("summerland.mrc")[0])
    assert record.title == "Summerland"
    assert record.audience == Audience.CHILDREN  # 008/22 "j"
    # "0786816155 (pbk.)": the qualifier is not part of the number.
    assert record.isbns == ("9780786808779", "9780786816156")
    assert record.subjects == ("Fantasy", "Baseball -- Fiction", "Magic -- Fiction")
    assert record.year == 2002  # 260$c "c2002."


def test_large_print_christie_from_koha():
    record = normalise(read("koha_marc21_marc8_errors.dat")[0])
    assert record.title == "Why didn't they ask Evans?"
    assert record.authors == (Author("Christie, Agatha"),)
    assert record.doc_type == DocType.LARGE_PRINT  # 250 "Large print edition.", 650
    assert record.isbns == ("9780854562701",)


def test_music_recording_with_performer_and_contents():
    ray_charles, white_house = (normalise(r) for r in read("batch.xml"))
    assert ray_charles.title == "The Great Ray Charles"
    assert ray_charles.doc_type == DocType.CD
    assert ray_charles.authors == (Author("Charles, Ray", "Interprète", "prf"),)
    assert ray_charles.contents.startswith("The Ray -- My melancholy baby -- Black coffee")
    assert ray_charles.subjects == ("Jazz -- 1951-1960", "Piano with jazz ensemble")
    assert ray_charles.year == 1957  # "[1957?]"
    assert white_house.doc_type == DocType.MULTIMEDIA  # computer file, 008/26 "m"
    assert "United States. Executive Office of the President" in white_house.subjects
    assert white_house.authors == (Author("White House Web Team", kind="corporate"),)


def test_pride_and_prejudice_editions_get_their_document_types():
    records = [normalise(r) for r in read("pride-and-prejudice-with-many-errors.mrc")]
    kinds = Counter(r.doc_type for r in records)
    assert kinds[DocType.AUDIOBOOK] >= 15  # leader/06 "i"
    assert kinds[DocType.EBOOK] >= 8  # 008/23 "s", 007 "cr"
    assert kinds[DocType.LARGE_PRINT] >= 4  # 008/23 "d"
    assert kinds[DocType.DVD] == 2
    assert kinds[DocType.BOOK] > 300


def test_relator_term_is_translated_and_unknown_codes_keep_no_label():
    (record,) = read("summerland.mrc")
    added = replace(
        record,
        fields=record.fields
        + (
            Field("700", "1 ", (("a", "Fitting, Friedrich,"), ("d", "1862-"), ("e", "ed."))),
            Field("700", "1 ", (("a", "Doe, Jane,"), ("e", "illustrator."))),
            Field(
                "700", "1 ", (("a", "Roe, Ann"), ("4", "http://id.loc.gov/vocabulary/relators/trl"))
            ),
            Field("700", "1 ", (("a", "Poe, Ed"), ("e", "sound designer"))),
        ),
    )
    authors = normalise(added).authors
    assert authors[1] == Author("Fitting, Friedrich", "Éditeur scientifique", "edt")
    assert authors[2] == Author("Doe, Jane", "Illustrateur", "ill")
    assert authors[3] == Author("Roe, Ann", "Traducteur", "trl")
    assert authors[4] == Author("Poe, Ed", "sound designer", "")


def test_without_main_entry_the_first_added_author_leads():
    (record,) = read("marcmoose_koha_952.xml")
    without_100 = replace(record, fields=tuple(f for f in record.fields if f.tag != "100"))
    assert normalise(without_100).authors[0].name == "Wyplosz, Charles"


def test_comic_genre_and_literary_form():
    (record,) = read("summerland.mrc")
    genre = replace(
        record, fields=record.fields + (Field("655", " 7", (("a", "Graphic novels."),)),)
    )
    assert normalise(genre).doc_type == DocType.COMIC
    (f008,) = record.get_fields("008")
    comic_form = f008.value[:33] + "c" + f008.value[34:]
    coded = replace(
        record,
        fields=tuple(
            Field("008", value=comic_form) if f.tag == "008" else f for f in record.fields
        ),
    )
    assert normalise(coded).doc_type == DocType.COMIC


@pytest.mark.parametrize(
    ("leader_06_07", "expected"),
    [
        ("as", DocType.PERIODICAL),
        ("ab", DocType.ARTICLE),
        ("cm", DocType.SCORE),
        ("em", DocType.MAP),
        ("gm", DocType.DVD),
        ("im", DocType.AUDIOBOOK),
        ("jm", DocType.CD),
        ("km", DocType.IMAGE),
        ("om", DocType.MULTIMEDIA),
        ("rm", DocType.GAME),
        ("tm", DocType.OTHER),
    ],
)
def test_leader_gives_the_document_type(leader_06_07, expected):
    (record,) = read("summerland.mrc")
    leader = record.leader[:6] + leader_06_07 + record.leader[8:]
    assert normalise(replace(record, leader=leader)).doc_type == expected


def test_series_statement_keeps_its_volume():
    records = read("pride-and-prejudice-with-many-errors.mrc")
    series = [s for r in records for s in normalise(r).series]
    assert any(" ; " in s for s in series)
    assert all(not s.endswith((" ;", ",", " /")) for s in series)


def test_record_without_245_is_rejected():
    (record,) = read("summerland.mrc")
    without = replace(record, fields=tuple(f for f in record.fields if f.tag != "245"))
    with pytest.raises(NormalisationError, match="zone 245"):
        normalise(without)
