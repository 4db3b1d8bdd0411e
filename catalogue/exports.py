"""The catalogue as open data: one edition (a :class:`~catalogue.models.Record`) written
as MARCXML, Dublin Core, RIS or BibTeX, and a work as schema.org JSON-LD.

MARCXML comes from the record's raw source, read again with :mod:`catalogue.marc` (which
decodes MARC-8, ISO 5426, ISO 6937 and UTF-8 correctly): the MARC is as the library
catalogued it, UNIMARC or MARC 21, never converted from one to the other. Records
harvested as Dublin Core have no MARC: :func:`marcxml` raises :class:`NoMarcRecord`.
The other formats are written from the normalised fields, so every record has them.

Plain functions, no views: :mod:`catalogue.views_open_data` serves them and
:mod:`catalogue.oai` puts MARCXML and Dublin Core into OAI-PMH responses.
"""

import re
import unicodedata

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from lxml import etree

from catalogue.marc import MarcError, MarcRecord, parse_iso2709, parse_marcxml_record
from catalogue.records import DocType

MARC_NS = "http://www.loc.gov/MARC21/slim"
MARC_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MARC_FORMATS = frozenset({"iso2709", "marcxml"})  # SourceRecord formats that hold MARC

# Role codes of the people a citation names as authors (UNIMARC 070, MARC 21 aut/cre):
# the main entry always, then these; other roles (translator, illustrator...) contribute.
AUTHOR_ROLE_CODES = frozenset({"070", "aut", "cre", ""})
EDITOR_ROLE_CODES = frozenset({"340", "edt", "edc"})

# XML 1.0 cannot carry C0 control characters (other than tab, newline, carriage return)
# nor U+FFFE/U+FFFF; real MARC data sometimes holds them (a stray ESC of MARC-8).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class NoMarcRecord(ValueError):
    """The record has no MARC to export (harvested as Dublin Core) or its raw MARC can no
    longer be read; the message says so in French."""


def xml_text(text: str) -> str:
    """``text`` as XML 1.0 can carry it: characters XML forbids become U+FFFD."""
    return _NOT_XML.sub("\ufffd", text) if text else ""


# ----------------------------------------------------------------------------- URLs


def work_path(work_id: int) -> str:
    """The path of a work's permanent page, ``/catalogue/oeuvre/<id>/``."""
    try:
        return reverse("catalogue:work", args=[work_id])
    except NoReverseMatch:
        # The work page belongs to the public catalogue; until its route exists the
        # permanent URL is still this one (it never changes, whatever serves it).
        return f"/catalogue/oeuvre/{work_id}/"


def work_url(work_id: int | None) -> str:
    """The absolute permanent URL of a work ("" for a record not yet grouped)."""
    return f"{settings.SITE_URL}{work_path(work_id)}" if work_id else ""


# ----------------------------------------------------------------------------- MARCXML


def has_marc(record) -> bool:
    """Whether the record's source is MARC (ISO 2709 or MARCXML), so MARCXML exists."""
    return record.source.format in MARC_FORMATS


def marc_record(record) -> MarcRecord:
    """The record's raw MARC, read again. Raises :class:`NoMarcRecord`."""
    source = record.source
    if source.format not in MARC_FORMATS:
        raise NoMarcRecord(
            "Cette notice a été moissonnée en Dublin Core : elle n'existe pas en MARC."
        )
    payload = bytes(source.payload)
    try:
        if source.format == "iso2709":
            return parse_iso2709(payload)
        return parse_marcxml_record(payload)
    except MarcError as error:
        raise NoMarcRecord(f"La notice MARC d'origine est illisible : {error}") from None


def marcxml_element(record) -> etree._Element:
    """The record as one MARCXML ``<record>`` in the MARC 21 slim namespace."""
    return marc_to_xml(marc_record(record))


def marcxml(record) -> bytes:
    """The record as a MARCXML document (UTF-8) holding one ``<record>``. Raises
    :class:`NoMarcRecord` for a record harvested as Dublin Core."""
    return etree.tostring(
        marcxml_element(record), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def marc_to_xml(marc: MarcRecord) -> etree._Element:
    """A MARC record as a clean MARCXML element: the leader, control fields and data
    fields in the record's order, as catalogued. Two things change, both about the
    encoding and not the cataloguing: a MARC 21 leader says Unicode at position 09 (the
    text is now UTF-8, whatever the ISO 2709 bytes were), and a data field with no
    subfield (nothing in it; the MARCXML schema has no place for it) is left out."""
    root = etree.Element(f"{{{MARC_NS}}}record", nsmap={None: MARC_NS})
    leader = (marc.leader or "").ljust(24)[:24]
    if marc.flavour == "marc21":
        leader = leader[:9] + "a" + leader[10:]
    etree.SubElement(root, f"{{{MARC_NS}}}leader").text = xml_text(leader)
    for field in marc.fields:
        if field.subfields:
            indicators = (field.indicators or "").ljust(2)
            element = etree.SubElement(
                root,
                f"{{{MARC_NS}}}datafield",
                tag=xml_text(field.tag),
                ind1=xml_text(indicators[0]),
                ind2=xml_text(indicators[1]),
            )
            for code, value in field.subfields:
                etree.SubElement(
                    element, f"{{{MARC_NS}}}subfield", code=xml_text(code)
                ).text = xml_text(value)
        elif not field.indicators:
            control = etree.SubElement(root, f"{{{MARC_NS}}}controlfield", tag=xml_text(field.tag))
            control.text = xml_text(field.value)
    return root


# ----------------------------------------------------------------------------- names


def _primary(record) -> list[dict]:
    """The people a citation names as authors: the main entry, then those whose role is
    author (or unknown)."""
    authors = list(record.authors or [])
    return [
        a for i, a in enumerate(authors) if i == 0 or a.get("role_code", "") in AUTHOR_ROLE_CODES
    ]


def _others(record) -> list[dict]:
    primary = {id(a) for a in _primary(record)}
    return [a for a in record.authors or [] if id(a) not in primary]


def full_title(record) -> str:
    """Title, subtitle and part as ISBD joins them: "Title : subtitle. Part"."""
    title = record.title
    if record.subtitle:
        title = f"{title} : {record.subtitle}"
    if record.part:
        title = f"{title}. {record.part}"
    return title


# ----------------------------------------------------------------------------- Dublin Core

# DCMI Type Vocabulary term, and the more precise term first where one exists (a
# harvester, ours included, reads "score" or "audiobook" better than "Text" or "Sound").
DC_TYPES = {
    DocType.BOOK: ("Text",),
    DocType.LARGE_PRINT: ("Text",),
    DocType.COMIC: ("Text",),
    DocType.PERIODICAL: ("periodical", "Text"),
    DocType.E_PERIODICAL: ("periodical", "Text"),
    DocType.DVD: ("MovingImage",),
    DocType.CD: ("Sound",),
    DocType.AUDIOBOOK: ("audiobook", "Sound"),
    DocType.SCORE: ("score", "Text"),
    DocType.GAME: ("game", "PhysicalObject"),
    DocType.EBOOK: ("Text",),
    DocType.MAP: ("map", "Image"),
    DocType.MICROFORM: ("Text",),
    DocType.IMAGE: ("StillImage",),
    DocType.MULTIMEDIA: ("InteractiveResource",),
    DocType.ARTICLE: ("article", "Text"),
    DocType.OTHER: (),
}


def dublin_core(record) -> etree._Element:
    """The record as an ``oai_dc:dc`` element (simple Dublin Core for OAI-PMH), from its
    normalised fields: title, creators and contributors, subjects, summary and contents,
    publisher, year, type, language, ISBN/ISSN/EAN as URNs and the work's permanent URL."""
    root = etree.Element(
        f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")

    def add(name: str, value) -> None:
        text = xml_text(str(value).strip()) if value not in (None, "") else ""
        if text:
            etree.SubElement(root, f"{{{DC_NS}}}{name}").text = text

    add("title", full_title(record))
    for author in _primary(record):
        add("creator", author.get("name"))
    for author in _others(record):
        add("contributor", author.get("name"))
    for subject in record.subjects or []:
        add("subject", subject)
    add("description", record.summary)
    add("description", record.contents)
    add("publisher", record.publisher)
    add("date", record.year)
    for dc_type in DC_TYPES.get(record.doc_type, ()):
        add("type", dc_type)
    add("language", record.language)
    for number in record.isbns or []:
        add("identifier", f"URN:ISBN:{number}")
    for number in record.issns or []:
        add("identifier", f"URN:ISSN:{number}")
    for number in record.eans or []:
        add("identifier", f"URN:EAN-13:{number}")
    add("identifier", work_url(record.work_id))
    for series in record.series or []:
        add("relation", series)
    return root


# ----------------------------------------------------------------------------- RIS

RIS_TYPES = {
    DocType.BOOK: "BOOK",
    DocType.LARGE_PRINT: "BOOK",
    DocType.COMIC: "BOOK",
    DocType.PERIODICAL: "JFULL",
    DocType.E_PERIODICAL: "EJOUR",
    DocType.DVD: "VIDEO",
    DocType.CD: "SOUND",
    DocType.AUDIOBOOK: "SOUND",
    DocType.SCORE: "MUSIC",
    DocType.GAME: "GEN",
    DocType.EBOOK: "EBOOK",
    DocType.MAP: "MAP",
    DocType.MICROFORM: "GEN",
    DocType.IMAGE: "ART",
    DocType.MULTIMEDIA: "MULTI",
    DocType.ARTICLE: "JOUR",
    DocType.OTHER: "GEN",
}


def ris(record) -> str:
    """The record as one RIS reference (``TY`` to ``ER``, CRLF line ends as RIS asks),
    for reference managers (Zotero, EndNote...)."""
    lines = [("TY", RIS_TYPES.get(record.doc_type, "GEN"))]

    def add(tag: str, value) -> None:
        text = " ".join(str(value).split()) if value not in (None, "") else ""
        if text:
            lines.append((tag, text))

    add("TI", record.title)
    add("T2", record.subtitle)  # RIS has no subtitle tag; T2 reads as the secondary title
    for author in _primary(record):
        add("AU", author.get("name"))
    for author in _others(record):
        add("A2", author.get("name"))
    add("PY", record.year)
    add("PB", record.publisher)
    add("CY", record.place)
    for number in list(record.isbns or []) + list(record.issns or []):
        add("SN", number)
    add("LA", record.language)
    for subject in record.subjects or []:
        add("KW", subject)
    add("AB", record.summary)
    for series in record.series or []:
        add("T3", series)
    add("UR", work_url(record.work_id))
    add("ID", record.pk)
    lines.append(("ER", ""))
    # "ER  - " keeps its trailing space: a tag is always "XX  - " (RIS specification).
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines)


# ----------------------------------------------------------------------------- BibTeX

BIBTEX_BOOKS = frozenset({DocType.BOOK, DocType.LARGE_PRINT, DocType.COMIC, DocType.EBOOK})
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_BIBTEX_ESCAPE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))


def bibtex_escape(text: str) -> str:
    """Text as a BibTeX value: LaTeX's special characters escaped; the rest stays UTF-8
    (biber and bibtex8 read it)."""
    return _BIBTEX_ESCAPE.sub(lambda m: _BIBTEX_SPECIAL[m.group()], " ".join(text.split()))


def _bibtex_name(author: dict) -> str:
    name = bibtex_escape(author.get("name", ""))
    # A corporate name in braces: BibTeX must not split it at commas or at "and".
    return f"{{{name}}}" if author.get("kind", "person") != "person" else name


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


_TITLE_SKIP = frozenset({
    "le", "la", "les", "l", "un", "une", "des", "de", "du", "d", "the", "a", "an", "der",
    "die", "das", "el", "los", "las", "il", "lo", "gli",
})  # fmt: skip


def bibtex_key(record) -> str:
    """A citation key readers recognise: first author's surname, year, first significant
    title word ("hugo1862miserables"); ``notice<id>`` when nothing is left of them."""
    surname = _ascii_word((record.main_author or "").split(",")[0])[:20]
    words = [_ascii_word(w) for w in re.split(r"[\s'’]+", record.title or "")]
    word = next((w for w in words if w and w not in _TITLE_SKIP), "")[:20]
    key = f"{surname}{record.year or ''}{word}"
    return key if surname or word else f"notice{record.pk}"


def bibtex(record) -> str:
    """The record as one BibTeX entry: ``@book`` for books (printed or electronic),
    ``@misc`` otherwise (with the kind of document in ``howpublished``)."""
    primary = _primary(record)
    editors = [a for a in _others(record) if a.get("role_code", "") in EDITOR_ROLE_CODES]
    is_book = record.doc_type in BIBTEX_BOOKS
    fields: list[tuple[str, str]] = []

    def add(name: str, value: str, *, raw: bool = False) -> None:
        if value:
            fields.append((name, value if raw else bibtex_escape(value)))

    add("author", " and ".join(_bibtex_name(a) for a in primary), raw=True)
    add("editor", " and ".join(_bibtex_name(a) for a in editors), raw=True)
    # Double braces keep the title's capitals whatever the bibliography style does.
    title = bibtex_escape(record.title)
    add("title", f"{{{title}}}" if title else "", raw=True)
    add("subtitle", record.subtitle)
    add("volume" if is_book else "note", record.part)
    add("year", str(record.year or ""))
    add("publisher", record.publisher)
    add("address", record.place)
    if not is_book:
        add("howpublished", DocType.LABELS.get(record.doc_type, ""))
    add("series", "; ".join(record.series or []))
    add("isbn", ", ".join(record.isbns or []))
    add("issn", ", ".join(record.issns or []))
    add("language", record.language)
    add("keywords", ", ".join(record.subjects or []))
    add("url", work_url(record.work_id))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{'book' if is_book else 'misc'}{{{bibtex_key(record)},\n{body}\n}}\n"


# ----------------------------------------------------------------------------- JSON-LD

SCHEMA_TYPES = {
    DocType.DVD: "Movie",
    DocType.CD: "MusicRecording",
    DocType.PERIODICAL: "Periodical",
    DocType.E_PERIODICAL: "Periodical",
    DocType.BOOK: "Book",
    DocType.LARGE_PRINT: "Book",
    DocType.COMIC: "Book",
    DocType.EBOOK: "Book",
    DocType.AUDIOBOOK: "Book",
}
BOOK_FORMATS = {
    DocType.BOOK: "https://schema.org/Hardcover",
    DocType.LARGE_PRINT: "https://schema.org/Hardcover",
    DocType.COMIC: "https://schema.org/GraphicNovel",
    DocType.EBOOK: "https://schema.org/EBook",
    DocType.AUDIOBOOK: "https://schema.org/AudiobookFormat",
}
# ISO 639-2/B (the catalogue's) to BCP 47 for the languages libraries here hold most.
BCP47 = {
    "fre": "fr", "eng": "en", "ger": "de", "spa": "es", "ita": "it", "por": "pt",
    "dut": "nl", "ara": "ar", "chi": "zh", "jpn": "ja", "rus": "ru", "lat": "la",
    "tur": "tr", "pol": "pl", "heb": "he", "gre": "el", "kor": "ko", "vie": "vi",
}  # fmt: skip


def _person(author: dict) -> dict:
    kind = "Person" if author.get("kind", "person") == "person" else "Organization"
    name = author.get("name", "")
    if kind == "Person" and ", " in name:
        surname, forenames = name.split(", ", 1)
        name = f"{forenames} {surname}"
    return {"@type": kind, "name": name}


def json_ld(work, records, url: str) -> dict:
    """A work as schema.org JSON-LD: a ``Book`` (or ``Movie``, ``MusicRecording``,
    ``Periodical``, ``CreativeWork`` by the work's type) at its permanent ``url``, with
    each edition in ``workExample`` (ISBN, publisher, date, book format where it applies)."""
    records = list(records)
    kind = SCHEMA_TYPES.get(work.doc_type, "CreativeWork")
    first = records[0] if records else None
    data: dict = {
        "@context": "https://schema.org",
        "@type": kind,
        "@id": url,
        "url": url,
        "name": work.title,
    }
    if first is not None:
        authors = [_person(a) for a in _primary(first)]
        if authors:
            data["byArtist" if kind == "MusicRecording" else "author"] = (
                authors if len(authors) > 1 else authors[0]
            )
        language = BCP47.get(first.language, first.language)
        if language:
            data["inLanguage"] = language
        subjects = list(dict.fromkeys(s for r in records for s in r.subjects or []))
        if subjects:
            data["about"] = [{"@type": "Thing", "name": s} for s in subjects]
    if work.year:
        data["datePublished"] = str(work.year)
    examples = []
    for record in records:
        example: dict = {"@type": kind, "name": full_title(record)}
        if record.isbns and kind == "Book":
            example["isbn"] = record.isbns[0]
        if record.issns and kind == "Periodical":
            example["issn"] = record.issns[0]
        if record.publisher:
            example["publisher"] = {"@type": "Organization", "name": record.publisher}
        if record.year:
            example["datePublished"] = str(record.year)
        if kind == "Book" and record.doc_type in BOOK_FORMATS:
            example["bookFormat"] = BOOK_FORMATS[record.doc_type]
        language = BCP47.get(record.language, record.language)
        if language:
            example["inLanguage"] = language
        examples.append(example)
    if examples:
        data["workExample"] = examples
    return data
