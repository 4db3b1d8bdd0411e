"""UNIMARC records of real catalogues read into the catalogue's own description.

Rules that no real record at hand exercises (a 106 "large print" code, a 608 comic form
heading...) are tested on a real record with one field replaced, never on invented ones.
"""

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


def lollipop() -> MarcRecord:
    return read("unimarc_lollipop.txt")[0]


def with_field(record: MarcRecord, tag: str, *subfields: tuple[str, str], ind: str = "  "):
    """The record with its ``tag`` fields replaced by one field (or removed if none given)."""
    fields = [f for f in record.fields if f.tag != tag]
    if subfields:
        fields.append(Field(tag, ind, tuple(subfields)))
        fields.sort(key=lambda f: f.tag)
    return replace(record, fields=tuple(fields))


def test_unimarc_lollipop_is_a_childrens_book_by_nostlinger():
    record = normalise(lollipop())
    assert record.title == "Lollipop"
    assert record.authors[0] == Author("Nöstlinger, Christine", "Auteur", "070", "person")
    assert record.authors[1] == Author("Friot, Bernard", "Traducteur", "730", "person")
    assert record.responsibility == "Christian Nöstlinger"
    assert record.doc_type == DocType.BOOK
    # 100$a/17-19 is "|" (not coded): the age comes from the summary's last sentence.
    assert record.summary.endswith("A partir de neuf ans.")
    assert record.audience == Audience.CHILDREN
    assert (record.publisher, record.place, record.year) == ("Ecole des loisirs", "Paris", 1987)
    assert record.language == "fre"
    assert record.series == ("Neuf",)  # 225 and 410 name the same series once


def test_isbn_10_and_the_ean_of_the_same_book_give_one_isbn_13():
    # 010$a 2-211-03401-2 and 073$a 9782211034012 are the same number.
    assert normalise(lollipop()).isbns == ("9782211034012",)


def test_an_invalid_isbn_is_dropped_with_a_warning_for_staff():
    record = with_field(lollipop(), "010", ("a", "2-211-03401-3"), ("b", "Rel."))
    normalised = normalise(record)
    assert normalised.isbns == ("9782211034012",)  # still the EAN of 073
    assert normalised.warnings == ("ISBN invalide ignoré : « 2-211-03401-3 »",)


def test_italian_record_with_embedded_series_links_and_comma_before_forename():
    (record,) = read("testunimarc.dat")
    normalised = normalise(record)
    assert normalised.title == "L'altra faccia della spirale"
    assert normalised.isbns == ("9788804406822",)  # 88-04-40682-8
    assert normalised.authors[0] == Author("Asimov, Isaac", "Auteur", "070", "person")
    assert [a.name for a in normalised.authors[1:]] == [
        "Fruttero, Carlo",
        "Lucentini, Franco",
        "Scaglia, Cesare",
    ]
    assert normalised.series == ("Bestsellers ; 641", "Il ciclo delle fondazioni ; 4")
    assert normalised.responsibility == (
        "Isaac Asimov ; traduzione di Cesare Scaglia ; introduzione di Fruttero & Lucentini"
    )
    assert (normalised.publisher, normalised.language) == ("A. Mondadori", "ita")


def test_sciences_po_record_reads_contents_subjects_and_coded_audience():
    first = normalise(read("cotes8.mrc")[0])
    assert first.title == "Traité de la science des finances"
    assert first.year == 1892
    assert first.audience == Audience.ADULT  # 100$a/17 "k"
    assert first.subjects == ("Finances publiques -- France",)
    assert first.contents == (
        "Tome 1 : Des revenus publics -- Tome 2 : Le budget et le crédit public"
    )
    assert first.series == ("Economistes et publicistes contemporains",)


def test_part_number_and_name_are_read_from_200_h_and_i():
    records = read("cotes8.mrc")
    assert normalise(records[1]).part == "3, La religion"
    third = normalise(records[2])
    assert third.part == "II, [Renaissance et Réforme (suite), les Temps modernes]"
    assert third.responsibility == "par Paul Janet,..."  # the ISBD omission mark stays
    assert third.authors[1] == Author("Picot, Georges", "Préfacier", "080", "person")


def test_a_meeting_is_the_first_author_when_there_is_no_person():
    records = read("marcxml_bsg_nordiquenumerisation.xml")
    congress = normalise(records[3])
    assert congress.authors[0].kind == "meeting"
    assert congress.authors[0].name == (
        "Congrès universel pour l'amélioration du sort des aveugles et des sourds muets"
        " (1878 ; Paris)"
    )
    assert congress.authors[1] == Author(
        "Thirion, Charles", "Directeur de publication", "651", "person"
    )


def test_dates_written_in_the_roman_numerals_subfield_are_not_part_of_the_name():
    records = read("marcxml_bsg_nordiquenumerisation.xml")
    assert normalise(records[1]).authors[0].name == "Claussøn, Peder Friis"


def test_further_titles_of_the_same_author_become_the_contents():
    first = normalise(read("marcxml_bsg_nordiquenumerisation.xml")[0])
    assert first.title == "Observationes juris practicae"
    assert first.contents.endswith(
        "Kort beskriffning om thet som wid then Constantinopolitaniske resan är föreluppit"
    )


def test_serials_are_periodicals_with_formatted_issn():
    records = read("periouni.mrc")
    assert len(records) == 3064
    types = Counter(normalise(r).doc_type for r in records)
    assert set(types) == {DocType.PERIODICAL, DocType.E_PERIODICAL}
    assert types[DocType.E_PERIODICAL] == sum(r.leader[6:8] == "ls" for r in records)
    history = normalise(records[1])
    assert history.title == "20 century British history"
    assert history.issns == ("0955-2359",)
    assert history.year == 1990  # 210$d "1990-"
    assert history.authors == (
        Author("Institute of Contemporary British History (Londres)", kind="corporate"),
    )
    assert history.subjects == ("Grande-Bretagne -- 20e siècle -- Périodiques",)


def test_electronic_serial_is_an_online_periodical():
    record = read("periouni.mrc")[0]
    assert record.leader[6:8] == "ls"
    assert normalise(record).doc_type == DocType.E_PERIODICAL


@pytest.mark.parametrize(
    ("tag", "subfields", "expected"),
    [
        ("106", [("a", "d")], DocType.LARGE_PRINT),  # 106$a d: large print
        ("200", [("a", "Lollipop"), ("b", "Texte imprimé (gros caractères)")], DocType.LARGE_PRINT),
        ("105", [("a", "    t   0||y|")], DocType.COMIC),  # form of contents: comic strips
        ("608", [("a", "Bandes dessinées")], DocType.COMIC),
        ("200", [("a", "Lollipop"), ("b", "Enregistrement sonore")], DocType.CD),
        ("200", [("a", "Lollipop"), ("b", "Vidéo")], DocType.DVD),
        ("200", [("a", "Lollipop"), ("b", "Document électronique")], DocType.EBOOK),
        ("200", [("a", "Lollipop"), ("b", "Jeu")], DocType.GAME),
        ("200", [("a", "Lollipop"), ("b", "Texte imprimé")], DocType.BOOK),
        ("181", [("c", "spw"), ("2", "rdacontent")], DocType.AUDIOBOOK),
        ("182", [("c", "c"), ("2", "rdamedia")], DocType.EBOOK),
    ],
)
def test_coded_data_and_material_designation_refine_a_text_record(tag, subfields, expected):
    assert normalise(with_field(lollipop(), tag, *subfields)).doc_type == expected


def test_comic_form_subdivision_makes_a_comic_but_a_book_about_comics_stays_a_book():
    comic = with_field(lollipop(), "606", ("a", "Astérix"), ("j", "Bandes dessinées"))
    about = with_field(lollipop(), "606", ("a", "Bandes dessinées"), ("x", "Histoire et critique"))
    assert normalise(comic).doc_type == DocType.COMIC
    assert normalise(about).doc_type == DocType.BOOK


@pytest.mark.parametrize(
    ("type_of_record", "expected"),
    [
        ("c", DocType.SCORE),
        ("e", DocType.MAP),
        ("g", DocType.DVD),
        ("i", DocType.AUDIOBOOK),
        ("j", DocType.CD),
        ("k", DocType.IMAGE),
        ("l", DocType.EBOOK),
        ("m", DocType.MULTIMEDIA),
        ("r", DocType.GAME),
        ("b", DocType.OTHER),
    ],
)
def test_leader_06_gives_the_type_of_record(type_of_record, expected):
    record = lollipop()
    leader = record.leader[:6] + type_of_record + record.leader[7:]
    assert normalise(replace(record, leader=leader)).doc_type == expected


def test_analytic_level_is_an_article():
    record = lollipop()
    assert normalise(
        replace(record, leader=record.leader[:7] + "a" + record.leader[8:])
    ).doc_type == (DocType.ARTICLE)


def test_non_sorting_markers_are_dropped_and_the_article_kept():
    record = with_field(lollipop(), "200", ("a", "<<L'>>empire des tsars"), ind="1 ")
    assert normalise(record).title == "L'empire des tsars"
    record = with_field(lollipop(), "200", ("a", "\x98Les \x9cmisérables"), ind="1 ")
    assert normalise(record).title == "Les misérables"


def test_coded_audience_wins_over_the_summary():
    record = lollipop()
    (f100,) = record.get_fields("100")
    coded = f100.get("a")
    adult = with_field(record, "100", ("a", coded[:17] + "m  " + coded[20:]))
    assert normalise(adult).audience == Audience.ADULT


def test_record_without_title_is_rejected_with_a_french_reason():
    record = with_field(lollipop(), "200", ("f", "Christian Nöstlinger"), ind="1 ")
    with pytest.raises(NormalisationError, match=r"Notice sans titre : zone 200 \$a"):
        normalise(record)
