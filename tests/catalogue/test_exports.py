"""Exports of real records harvested into the catalogue: MARCXML (round trip, MARC-8
decoded, the MARC 21 schema), Dublin Core, RIS, BibTeX, JSON-LD and the download views."""

import re
from pathlib import Path

import pytest
from lxml import etree

from catalogue import exports
from catalogue.marc import parse_iso2709, parse_marcxml_record
from catalogue.models import Record, Work
from connectors.base import HarvestedRecord
from connectors.ingest import Ingest
from connectors.models import Connector
from connectors.services import harvest_connector
from tests.connectors import DATA

SCHEMAS = DATA / "oai_pmh" / "schemas"
MARC = DATA / "marc"


class LocalSchemas(etree.Resolver):
    """The schemas' imports of remote schemas (xml.xsd) are read from our copies."""

    def resolve(self, url, pubid, context):
        local = SCHEMAS / url.rsplit("/", 1)[-1]
        if local.exists():
            return self.resolve_filename(str(local), context)
        return None


def load_schema(name: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalSchemas())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name), parser))


def harvest_file(library, path: Path, name: str = "Export") -> list[Record]:
    connector = Connector.objects.create(
        library=library,
        name=name,
        driver="marc_file",
        settings={"path": str(path)},
        item_mapping={"preset": "koha_unimarc_995"},
    )
    run = harvest_connector(connector)
    assert run.status == "completed", run.error
    return list(
        Record.objects.filter(source__connector=connector).select_related("source").order_by("pk")
    )


def oai_dc_records(library, count: int = 3) -> list[Record]:
    """Real Dublin Core records (Sciences Po's OAI-PMH repository) through the ingest,
    as an ``oai_pmh`` connector harvesting ``oai_dc`` stores them."""
    page = etree.parse(str(DATA / "oai_pmh" / "medialab_oaipmh_oai_dc.xml"))
    dcs = page.getroot().iter("{http://www.openarchives.org/OAI/2.0/oai_dc/}dc")
    connector = Connector.objects.create(
        library=library,
        name="Spire (oai_dc)",
        driver="oai_pmh",
        settings={"base_url": "https://spire.example/oai", "metadata_prefix": "oai_dc"},
    )
    batch = [
        HarvestedRecord(
            payload=etree.tostring(dc, encoding="utf-8"),
            format="oai_dc",
            local_id=f"oai:spire.example:{position}",
            datestamp="2024-01-01",
        )
        for position, dc in zip(range(count), dcs, strict=False)
    ]
    Ingest(None, connector=connector).store(batch, {})
    return list(Record.objects.filter(source__connector=connector).select_related("source"))


def comparable(marc):
    """A MARC record's content, for comparing two readings of it: the leader without the
    character coding position, and the fields that hold something."""
    fields = [
        (f.tag, f.indicators.strip() and f.indicators, f.subfields, f.value)
        for f in marc.fields
        if f.subfields or not f.indicators
    ]
    return marc.leader[:9] + marc.leader[10:], fields


# ----------------------------------------------------------------------------- MARCXML


@pytest.mark.parametrize(
    "name", ["cotes8.mrc", "summerland.mrc", "marc8.dat", "test.dat", "testunimarc.dat"]
)
def test_marcxml_export_reads_back_as_the_source_record(cast, name):
    records = harvest_file(cast.library_a, MARC / name)
    assert records
    for record in records:
        source = parse_iso2709(bytes(record.source.payload))
        exported = exports.marcxml(record)
        assert exported.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
        again = parse_marcxml_record(exported)
        assert again.flavour == source.flavour
        assert comparable(again) == comparable(source)


def test_a_marc8_record_is_exported_decoded_in_utf8_and_says_so(cast):
    (record,) = harvest_file(cast.library_a, MARC / "marc8.dat")
    xml = exports.marcxml(record)
    root = etree.fromstring(xml)
    ns = {"m": exports.MARC_NS}
    uniform = root.find("m:datafield[@tag='240']/m:subfield[@code='a']", ns).text
    assert uniform == "De la solitude à la communauté."
    assert "De la solitude à la communauté.".encode() in xml
    leader = root.find("m:leader", ns).text
    assert leader[9] == "a"  # MARC 21: the MARCXML text is Unicode
    assert parse_iso2709(bytes(record.source.payload)).leader[9] == " "  # the source: MARC-8


def test_a_unimarc_record_stays_unimarc_as_catalogued(cast):
    record = harvest_file(cast.library_a, MARC / "cotes8.mrc")[0]
    root = etree.fromstring(exports.marcxml(record))
    ns = {"m": exports.MARC_NS}
    assert root.tag == f"{{{exports.MARC_NS}}}record"
    assert root.find("m:datafield[@tag='200']/m:subfield[@code='a']", ns).text == (
        "Traité de la science des finances"
    )
    assert root.find("m:datafield[@tag='245']", ns) is None
    source = parse_iso2709(bytes(record.source.payload))
    assert root.find("m:leader", ns).text == source.leader  # UNIMARC: untouched
    assert root.find("m:datafield[@tag='995']", ns) is not None  # copies as the library wrote


def test_marc21_exports_are_valid_marcxml(cast):
    schema = load_schema("MARC21slim.xsd")
    records = harvest_file(cast.library_a, MARC / "test.dat") + harvest_file(
        cast.library_a, MARC / "summerland.mrc", name="LoC"
    )
    for record in records:
        root = etree.fromstring(exports.marcxml(record))
        assert schema.validate(root), (record.title, schema.error_log.last_error)


def test_unimarc_exports_follow_the_marcxml_schema_but_for_their_leader(cast):
    """MARC21slim.xsd's leader pattern ends in 4500: a UNIMARC leader ends in "450 ". The
    rest of the record validates (the schema is the one MARCXML has)."""
    schema = load_schema("MARC21slim.xsd")
    for record in harvest_file(cast.library_a, MARC / "cotesD.mrc"):
        root = etree.fromstring(exports.marcxml(record))
        root.find(f"{{{exports.MARC_NS}}}leader").text = "00000nam a2200000 a 4500"
        for datafield in root.iter(f"{{{exports.MARC_NS}}}datafield"):
            # UNIMARC exports write "#" for a blank indicator, as this library's do.
            for name in ("ind1", "ind2"):
                datafield.set(name, datafield.get(name).replace("#", " "))
        assert schema.validate(root), (record.title, schema.error_log.last_error)


def test_a_marcxml_source_is_reserialised_as_one_clean_record(cast):
    record = harvest_file(cast.library_a, MARC / "marcxml_bsg_nordiquenumerisation.xml")[0]
    assert record.source.format == "marcxml"
    root = etree.fromstring(exports.marcxml(record))
    assert root.tag == f"{{{exports.MARC_NS}}}record"
    assert all(etree.QName(e).namespace == exports.MARC_NS for e in root.iter())
    source = parse_marcxml_record(bytes(record.source.payload))
    assert comparable(parse_marcxml_record(etree.tostring(root))) == comparable(source)


def test_characters_xml_cannot_carry_are_replaced():
    assert exports.xml_text("a\x1bb\x00c\tok") == "a\ufffdb\ufffdc\tok"
    assert exports.xml_text("«\x88Les\x89 Misérables»") == "«\x88Les\x89 Misérables»"


def test_a_dublin_core_record_has_no_marcxml(cast):
    record = oai_dc_records(cast.library_a, 1)[0]
    assert not exports.has_marc(record)
    with pytest.raises(exports.NoMarcRecord, match="Dublin Core"):
        exports.marcxml(record)


# ----------------------------------------------------------------------------- RIS, BibTeX


def ris_fields(text: str) -> list[tuple[str, str]]:
    assert text.endswith("ER  - \r\n")
    return [tuple(line.split("  - ", 1)) for line in text.rstrip("\r\n").split("\r\n")]


def test_ris_of_a_unimarc_book(cast):
    record = harvest_file(cast.library_a, MARC / "cotes8.mrc")[0]
    fields = ris_fields(exports.ris(record))
    assert fields[0] == ("TY", "BOOK")
    values = dict(fields)
    assert values["TI"] == "Traité de la science des finances"
    assert ("AU", "Leroy-Beaulieu, Paul") in fields
    assert (values["PY"], values["PB"], values["CY"], values["LA"]) == (
        "1892",
        "Guillemin",
        "Paris",
        "fre",
    )
    assert values["UR"] == f"http://127.0.0.1:8000/catalogue/oeuvre/{record.work_id}/"
    assert fields[-1] == ("ER", "")


def test_ris_and_bibtex_of_a_marc21_book(cast):
    (record,) = harvest_file(cast.library_a, MARC / "summerland.mrc")
    fields = ris_fields(exports.ris(record))
    assert ("SN", "9780786808779") in fields and ("SN", "9780786816156") in fields
    assert ("AU", "Chabon, Michael") in fields and ("PY", "2002") in fields
    assert ("CY", "New York") in fields
    entry = exports.bibtex(record)
    assert entry.startswith("@book{chabon2002summerland,\n")
    assert "  author = {Chabon, Michael},\n" in entry
    assert "  title = {{Summerland}},\n" in entry
    assert "  year = {2002},\n" in entry
    assert "  publisher = {Miramax Books/Hyperion Books for Children},\n" in entry
    assert "  address = {New York},\n" in entry
    assert "  isbn = {9780786808779, 9780786816156},\n" in entry
    assert f"  url = {{http://127.0.0.1:8000/catalogue/oeuvre/{record.work_id}/}}" in entry
    assert entry.endswith("}\n") and entry.count("{") == entry.count("}")


def test_bibtex_of_a_unimarc_book_keeps_its_accents_and_key_is_ascii(cast):
    record = harvest_file(cast.library_a, MARC / "cotes8.mrc")[0]
    entry = exports.bibtex(record)
    key = entry.split("{", 1)[1].split(",", 1)[0]
    assert key == "leroybeaulieu1892traite"
    assert "title = {{Traité de la science des finances}}" in entry
    assert "language = {fre}" in entry


def test_bibtex_escapes_what_latex_reads_as_commands():
    record = Record(
        pk=7,
        title="Tom & Jerry : 100 % {fun} #1_x ^ ~ \\",
        authors=[
            {"name": "Dupont, Jean", "role": "Auteur", "role_code": "070", "kind": "person"},
            {"name": "Bibliothèque A and B", "role": "", "role_code": "", "kind": "corporate"},
            {"name": "Martin, Lou", "role": "Traducteur", "role_code": "730", "kind": "person"},
        ],
        main_author="Dupont, Jean",
        year=2001,
        doc_type="dvd",
    )
    entry = exports.bibtex(record)
    assert entry.startswith("@misc{dupont2001tom,")
    assert (
        r"title = {{Tom \& Jerry : 100 \% \{fun\} \#1\_x \textasciicircum{} "
        r"\textasciitilde{} \textbackslash{}}}" in entry
    )
    assert "author = {Dupont, Jean and {Bibliothèque A and B}}" in entry
    assert "Martin" not in entry  # a translator is not an author
    assert "howpublished = {Film (DVD, Blu-ray)}" in entry
    body = re.sub(r"\\[{}]", "", entry)
    assert body.count("{") == body.count("}")


def test_ris_types_follow_the_document_type():
    record = Record(pk=1, title="Carte de Lyon", doc_type="map")
    assert exports.ris(record).startswith("TY  - MAP\r\n")
    record.doc_type = "cd"
    assert exports.ris(record).startswith("TY  - SOUND\r\n")


# ----------------------------------------------------------------------------- Dublin Core


def test_dublin_core_of_a_record_is_valid_oai_dc(cast):
    schema = load_schema("oai_dc.xsd")
    records = harvest_file(cast.library_a, MARC / "cotes8.mrc")
    for record in records:
        element = exports.dublin_core(record)
        assert schema.validate(element), schema.error_log.last_error
    dc = exports.dublin_core(records[0])
    values = [(etree.QName(e).localname, e.text) for e in dc]
    assert ("title", "Traité de la science des finances") in values
    assert ("creator", "Leroy-Beaulieu, Paul") in values
    assert ("date", "1892") in values and ("language", "fre") in values
    assert ("type", "Text") in values
    url = f"http://127.0.0.1:8000/catalogue/oeuvre/{records[0].work_id}/"
    assert ("identifier", url) in values


def test_dublin_core_carries_isbn_as_urn(cast):
    (record,) = harvest_file(cast.library_a, MARC / "summerland.mrc")
    identifiers = [e.text for e in exports.dublin_core(record) if e.tag.endswith("identifier")]
    assert "URN:ISBN:9780786808779" in identifiers


# ----------------------------------------------------------------------------- JSON-LD


def test_json_ld_of_a_work_lists_its_editions(cast):
    harvest_file(cast.library_a, MARC / "summerland.mrc")
    harvest_file(cast.library_b, MARC / "summerland.mrc", name="Same book elsewhere")
    work = Work.objects.get()
    records = list(work.records.order_by("pk"))
    assert len(records) == 2
    url = exports.work_url(work.pk)
    data = exports.json_ld(work, records, url)
    assert data["@context"] == "https://schema.org"
    assert (data["@type"], data["url"], data["name"]) == ("Book", url, "Summerland")
    assert data["author"] == {"@type": "Person", "name": "Michael Chabon"}
    assert data["datePublished"] == "2002"
    assert data["inLanguage"] == "en"
    assert len(data["workExample"]) == 2
    example = data["workExample"][0]
    assert example["isbn"] == "9780786808779"
    assert example["publisher"]["name"] == "Miramax Books/Hyperion Books for Children"
    assert example["bookFormat"] == "https://schema.org/Hardcover"


def test_json_ld_types_by_document_type(cast):
    work = Work(pk=3, title="Le Mépris", doc_type="dvd", year=1963)
    record = Record(pk=9, title="Le Mépris", doc_type="dvd", year=1963, language="fre")
    data = exports.json_ld(work, [record], "https://metrobib.example/catalogue/oeuvre/3/")
    assert data["@type"] == "Movie"
    assert "bookFormat" not in data["workExample"][0]
    assert exports.json_ld(Work(pk=4, title="x", doc_type="game"), [], "u")["@type"] == (
        "CreativeWork"
    )


# ----------------------------------------------------------------------------- views


@pytest.mark.parametrize(
    "fmt, content_type, extension",
    [
        ("ris", "application/x-research-info-systems; charset=utf-8", "ris"),
        ("bib", "application/x-bibtex; charset=utf-8", "bib"),
        ("marcxml", "application/marcxml+xml", "xml"),
    ],
)
def test_an_edition_downloads_in_each_format(client, cast, fmt, content_type, extension):
    (record,) = harvest_file(cast.library_a, MARC / "summerland.mrc")
    url = f"/catalogue/notice/{record.pk}/export.{fmt}"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="chabon2002summerland-{record.pk}.{extension}"'
    )
    assert b"Summerland" in response.content


def test_export_urls_have_a_name(cast):
    from django.urls import reverse

    assert reverse("catalogue:record_export", args=[12, "ris"]) == (
        "/catalogue/notice/12/export.ris"
    )


def test_unknown_record_or_format_is_404(client, cast):
    (record,) = harvest_file(cast.library_a, MARC / "summerland.mrc")
    assert client.get("/catalogue/notice/999999/export.ris").status_code == 404
    assert client.get(f"/catalogue/notice/{record.pk}/export.pdf").status_code == 404


def test_dublin_core_record_has_no_marcxml_download(client, cast):
    record = oai_dc_records(cast.library_a, 1)[0]
    response = client.get(f"/catalogue/notice/{record.pk}/export.marcxml")
    assert response.status_code == 404
    assert client.get(f"/catalogue/notice/{record.pk}/export.ris").status_code == 200
    assert client.get(f"/catalogue/notice/{record.pk}/export.bib").status_code == 200


def test_every_record_of_a_real_export_exports_in_every_format(cast):
    records = harvest_file(cast.library_a, MARC / "pride-and-prejudice-with-many-errors.mrc")
    assert len(records) > 300
    for record in records:
        exports.ris(record)
        exports.bibtex(record)
        etree.fromstring(exports.marcxml(record))
        etree.tostring(exports.dublin_core(record))
