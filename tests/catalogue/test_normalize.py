"""What both MARC flavours share (text cleaning, identifiers, dispatch), Dublin Core, and
every real record we have going through normalisation."""

import unicodedata
from pathlib import Path

import pytest
from lxml import etree

from catalogue.marc import MarcRecord, read_marc_file
from catalogue.normalize import (
    Identifiers,
    NormalisationError,
    audience_from_note,
    clean,
    clean_text,
    normalise,
    normalise_dublin_core,
)
from catalogue.records import Audience, Author, DocType

TESTS_DATA = Path(__file__).resolve().parent.parent / "data"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"


@pytest.mark.parametrize(
    ("transcribed", "expected"),
    [
        ("Paris :", "Paris"),
        ("Macroeconomics:", "Macroeconomics"),
        ("Summerland /", "Summerland"),
        ("BFI (British Film Institute) Publishing,", "BFI (British Film Institute) Publishing"),
        ("Penz, Francois.", "Penz, Francois"),
        ("Stone, Michael E.,", "Stone, Michael E."),  # an initial keeps its full stop
        ("Washington, D.C. :", "Washington, D.C."),
        ("4e éd.", "4e éd."),  # so does an abbreviation
        ("par Paul Janet,...", "par Paul Janet,..."),  # and the ISBD omission mark
        ("Test record series ;", "Test record series"),
        ("Titre propre =", "Titre propre"),
        ("  Les   misérables\n", "Les misérables"),
    ],
)
def test_isbd_punctuation_closing_a_subfield_is_removed(transcribed, expected):
    assert clean(transcribed) == expected


def test_text_is_nfc_without_non_sorting_markers():
    decomposed = "E\u0301cole"
    assert clean(decomposed) == "École" and unicodedata.is_normalized("NFC", clean(decomposed))
    assert clean("\x88The \x89Hobbit") == "The Hobbit"  # MARC-8 NSB/NSE
    assert clean("<<Les >>misérables") == "Les misérables"  # UNIMARC's ASCII form


def test_double_encoded_utf8_and_escaped_entities_are_repaired():
    assert clean_text("8Â°007.775(1892-1)") == "8°007.775(1892-1)"  # as in cotes8.mrc 995$k
    assert clean_text("Ã‰cole") == "École"
    assert clean_text("SÃO PAULO") == "SÃO PAULO"  # real Latin-1 text is left alone
    assert clean_text("Jane Austen&apos;s Pride") == "Jane Austen's Pride"
    assert clean_text("Dupont & Cie") == "Dupont & Cie"


def test_summary_keeps_its_final_full_stop():
    assert clean_text(" A partir de neuf ans. ") == "A partir de neuf ans."


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("A partir de neuf ans.", Audience.CHILDREN),
        ("Dès 3 ans", Audience.CHILDREN),
        ("À partir de 18 ans", Audience.ADULT),
        ("Publié en 1987 pour ses 16 ans", ""),
        ("L'histoire d'un garçon de 10 ans", ""),  # a character, not the reader
        ("", ""),
    ],
)
def test_audience_from_a_french_note(note, expected):
    assert audience_from_note(note) == expected


def test_identifiers_are_validated_and_normalised():
    found = Identifiers()
    found.add_isbn("2-7011-1166-8 (br.)")
    found.add_isbn("978-2-7597-0105-6")
    found.add_isbn("2-7011-1166-9")
    found.add_issn("0955-2359")
    found.add_issn("09552358")
    found.add_ean("9782759701056")  # the same book as the second ISBN
    found.add_ean("3760063270235")  # not a book
    assert found.isbns == ["9782701111667", "9782759701056"]
    assert found.issns == ["0955-2359"]
    assert found.eans == ["3760063270235"]
    assert found.warnings == [
        "ISBN invalide ignoré : « 2-7011-1166-9 »",
        "ISSN invalide ignoré : « 09552358 »",
    ]


def test_normalise_reads_each_flavour_with_its_rules():
    with (TESTS_DATA / "marc" / "unimarc_lollipop.txt").open("rb") as handle:
        (unimarc,) = read_marc_file(handle)
    with (TESTS_DATA / "marc" / "summerland.mrc").open("rb") as handle:
        (marc21,) = read_marc_file(handle)
    assert normalise(unimarc).title == "Lollipop"
    assert normalise(marc21).title == "Summerland"


# ----------------------------------------------------------------------------- Dublin Core


def dublin_core(name: str) -> list[bytes]:
    tree = etree.parse(str(TESTS_DATA / "oai_pmh" / name))
    return [etree.tostring(dc) for dc in tree.iter(OAI_DC)]


def test_gallica_record_splits_title_and_responsibility_and_drops_creator_dates():
    records = dublin_core("afiopac_OAIListRecords.xml")
    assert len(records) == 100
    first = normalise_dublin_core(records[0])
    assert first.title == (
        "Voyages en Égypte et en Nubie... suivis d'un voyage sur la côte de la mer Rouge"
        " et à l'oasis de Jupiter Ammon. [Volume 2]"
    )
    assert first.responsibility.startswith("par G. Belzoni ; traduits de l'anglais")
    assert first.authors == (
        Author("Belzoni, Giovanni Battista"),
        Author("Depping, Georges Bernard"),
    )
    assert (first.year, first.language, first.doc_type) == (1821, "fre", DocType.BOOK)


def test_gallica_types_give_images_maps_periodicals_and_music():
    kinds = [normalise_dublin_core(r).doc_type for r in dublin_core("afiopac_OAIListRecords.xml")]
    assert kinds.count(DocType.IMAGE) == 14  # "image fixe", "photographie", "dessin"
    assert kinds.count(DocType.MAP) == 4  # "carte", "cartographic resource"
    assert kinds.count(DocType.PERIODICAL) == 17  # "publication en série imprimée"
    assert kinds[84] == DocType.CD  # "sound", "document sonore"


def test_gallica_role_after_the_dates_is_kept():
    record = normalise_dublin_core(dublin_core("afiopac_OAIListRecords.xml")[84])
    assert Author("Smijers, Albert", "Arrangeur") in record.authors


def test_open_archive_record_is_an_article_and_finds_its_issn():
    records = [normalise_dublin_core(r) for r in dublin_core("medialab_oaipmh_oai_dc.xml")]
    first = records[0]
    assert first.title == "Penser l'Union européenne en tant que Tiers statégique"
    assert [a.name for a in first.authors] == [
        "Dagand, Sophie",
        "Deroche-Gurcel, Liliane",
        "Ramel, Frédéric",
    ]
    assert (first.year, first.language) == (2011, "fre")
    assert first.doc_type == DocType.ARTICLE  # "Text", "report", ".../reportPart"
    assert records[3].issns == ("1761-7146",)  # "urn:ISSN:17617146"
    assert records[12].isbns == ("9782724612165",)
    assert records[12].doc_type == DocType.BOOK


def test_dublin_core_without_title_is_rejected():
    record = dublin_core("medialab_oaipmh_oai_dc.xml")[0]
    without_title = etree.fromstring(record)
    for title in without_title.findall("{http://purl.org/dc/elements/1.1/}title"):
        without_title.remove(title)
    with pytest.raises(NormalisationError, match="dc:title"):
        normalise_dublin_core(etree.tostring(without_title))
    with pytest.raises(NormalisationError, match="XML Dublin Core illisible"):
        normalise_dublin_core(b"<oai_dc:dc>")


# ----------------------------------------------------------------------------- every record


def real_marc_files() -> list[Path]:
    files = sorted((TESTS_DATA / "marc").iterdir())
    for folder in ("unimarc", "marc21"):
        if (SHARED_DATA / folder).is_dir():
            files += sorted((SHARED_DATA / folder).iterdir())
    return files


def readable_records(path: Path) -> list[MarcRecord]:
    """The records the reader gives; a file the reader itself cannot finish (a reader
    bug, not ours) counts for the records read before."""
    found = []
    with path.open("rb") as handle:
        reader = read_marc_file(handle)
        while True:
            try:
                item = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError:
                break
            if isinstance(item, MarcRecord):
                found.append(item)
    return found


def test_every_real_record_is_normalised_or_rejected_with_a_reason():
    seen = failed = 0
    for path in real_marc_files():
        for record in readable_records(path):
            seen += 1
            try:
                normalised = normalise(record)
            except NormalisationError as error:
                failed += 1
                assert str(error).startswith("Notice sans titre")
                continue
            assert normalised.title
            assert normalised.doc_type in DocType.LABELS
            assert all(len(i) == 13 and i.isdigit() for i in normalised.isbns)
    assert seen > 3500
    assert failed <= 3  # the CP866 RUSMARC record whose directory hides its title
