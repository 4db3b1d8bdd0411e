"""Records of every source format turned into the catalogue's :class:`NormalisedRecord`.

:func:`normalise` reads a MARC record (UNIMARC rules in :mod:`catalogue.unimarc`, MARC 21
rules in :mod:`catalogue.marc21`); :func:`normalise_dublin_core` reads an OAI-PMH
``oai_dc`` record. Both raise :class:`NormalisationError` when a record has no title: the
harvest rejects that record with the error's (French) message.

This module also holds what both MARC flavours share: cleaning transcribed text (ISBD
punctuation, non-sorting markers, whitespace, NFC), reading years, validating ISBN, ISSN
and EAN with python-stdnum. Everything here runs once per record of every harvest, so the
tables and expressions are built once, at import.
"""

import html
import re
import unicodedata
from collections.abc import Iterable

from lxml import etree
from stdnum import ean, isbn, issn

from catalogue.marc import Field, MarcRecord
from catalogue.records import Author, DocType, NormalisedRecord


class NormalisationError(ValueError):
    """The record cannot become a catalogue record; the message says why, in French."""


# ----------------------------------------------------------------------------- text

# Non-sorting markers: NSB/NSE of ISO 6630 (UNIMARC, U+0098/U+009C) and of MARC-8 mapped
# to Unicode (U+0088/U+0089). The text between them stays; the markers go.
_NON_SORTING = dict.fromkeys(map(ord, "\x88\x89\x98\x9c"))
_TRAILING_PUNCTUATION = frozenset(":;/=,.")
# Words whose final full stop belongs to them, not to ISBD ("1 vol.", "Dupont et Cie.").
_ABBREVIATIONS = frozenset((
    "etc.", "éd.", "ed.", "eds.", "rev.", "corr.", "augm.", "trad.", "ill.", "vol.", "vols.",
    "t.", "p.", "pp.", "cm.", "min.", "no.", "nos.", "n°", "col.", "coll.", "dir.", "impr.",
    "cie.", "co.", "inc.", "ltd.", "jr.", "sr.", "dr.", "st.", "ste.", "mr.", "mrs.", "ms.",
    "mme.", "mlle.", "fig.", "sq.", "ca.", "cf.", "env.", "s.d.", "s.l.", "s.n.", "pseud.",
    "bd.", "hrsg.", "ausg.", "verl.", "dept.", "univ.", "vs.",
))  # fmt: skip


def clean_text(text: str) -> str:
    """Free text (a summary, a note) as the catalogue shows it: NFC, non-sorting markers
    dropped, whitespace collapsed; its punctuation is the author's and stays."""
    if not text:
        return ""
    if not text.isascii():
        if not text.isprintable():  # the markers are control characters: a fast check
            text = text.translate(_NON_SORTING)
        if "Ã" in text or "Â" in text:
            text = _repair_double_utf8(text)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    if "<<" in text or ">>" in text:
        # UNIMARC's ASCII form of the non-sorting markers: "<<Les >>misérables".
        text = text.replace("<<", "").replace(">>", "")
    if "&" in text and ";" in text:
        # Exports that escaped their XML twice leave "&apos;" and "&amp;" in the text.
        text = html.unescape(text)
    return " ".join(text.split())


def _repair_double_utf8(text: str) -> str:
    """UTF-8 that an export decoded as Latin-1 or Windows-1252 and encoded again ("8Â°"
    for "8°", "Ã‰" for "É"), put back. Text that is not such a double encoding is left
    alone: its Latin-1 (or Windows-1252) bytes are not valid UTF-8."""
    for wrong in ("latin-1", "cp1252"):
        try:
            return text.encode(wrong).decode("utf-8")
        except UnicodeError:
            continue
    return text


def clean(text: str) -> str:
    """A transcribed element (title, name, place...): :func:`clean_text`, then the ISBD
    punctuation that closes a MARC subfield removed."""
    text = clean_text(text)
    if text and text[-1] in _TRAILING_PUNCTUATION:
        text = strip_isbd(text)
    return text


def strip_isbd(text: str) -> str:
    """Drop the trailing " :", " /", " ;", " =", "," and "." that ISBD puts between
    elements, keeping the full stop of an initial ("Stone, Michael E."), of an
    abbreviation ("2e éd.", "D.C.") and of an ellipsis ("par Paul Janet,...")."""
    while text and text[-1] in _TRAILING_PUNCTUATION:
        if text[-1] == ".":
            if text.endswith("..."):
                break
            word = text[text.rfind(" ") + 1 :]
            if (
                (len(word) == 2 and word[0].isalpha())  # an initial
                or "." in word[:-1]  # "D.C.", "U.S.A.", "s.n."
                or word.lower() in _ABBREVIATIONS
            ):
                break
        text = text[:-1].rstrip()
    return text


def clean_name_part(text: str) -> str:
    """A part of a name: :func:`clean`, and no leading comma either (some UNIMARC
    exports write "$b, Isaac" for the forename)."""
    text = clean(text)
    if text and text[0] in ",;:":
        text = text.lstrip(",;: ")
    return text


def join_clean(values: Iterable[str], separator: str = " ") -> str:
    return separator.join(v for v in map(clean, values) if v)


# Place and publisher "not known" as ISBD and RDA transcribe it: not a place, not a name.
_UNKNOWN_WORDS = frozenset(
    {
        "s.l",
        "s.n",
        "s. l",
        "s. n",
        "s.l.n.d",
        "sine loco",
        "sine nomine",
        "n.p",
        "lieu de publication non identifié",
        "lieu de publication inconnu",
        "lieu inconnu",
        "éditeur non identifié",
        "nom de l'éditeur non identifié",
        "éditeur inconnu",
        "sans éditeur",
        "sans lieu",
        "place of publication not identified",
        "publisher not identified",
    }
)


def known(text: str) -> str:
    """``text`` unless it only says that the place or the publisher is unknown."""
    if text and text.strip("[]() .?").lower() in _UNKNOWN_WORDS:
        return ""
    return text


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values, each once (case-insensitively), in their order."""
    seen: set[str] = set()
    kept = []
    for value in values:
        if not value:
            continue
        key = value.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return tuple(kept)


def fields_by_tag(record: MarcRecord) -> dict[str, list[Field]]:
    """The record's fields grouped by tag, in order: one pass, then every look-up is a
    dict access (a record is read by some thirty look-ups)."""
    grouped: dict[str, list[Field]] = {}
    for item in record.fields:
        found = grouped.get(item.tag)
        if found is None:
            grouped[item.tag] = [item]
        else:
            found.append(item)
    return grouped


def subfield(fields: list[Field] | None, code: str) -> str:
    """The first ``$code`` of the first of ``fields`` that has one."""
    if fields:
        for item in fields:
            for c, value in item.subfields:
                if c == code and value:
                    return value
    return ""


def numbered_parts(item: Field, number: str, name: str) -> str:
    """A title's part numbers and names, each number with the name that follows it:
    "3, La religion" (UNIMARC 200$h $i, MARC 21 245$n $p); several parts are joined by
    ". "."""
    parts: list[list[str]] = []
    for code, value in item.subfields:
        if code == number:
            parts.append([clean(value), ""])
        elif code == name:
            if parts and not parts[-1][1]:
                parts[-1][1] = clean(value)
            else:
                parts.append(["", clean(value)])
    return ". ".join(", ".join(p for p in pair if p) for pair in parts if any(pair))


# ----------------------------------------------------------------------------- dates

_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")


def first_year(text: str) -> int | None:
    """The first plausible four-digit year in a transcribed date ("cop. 2010", "[1892]",
    "1994-2004", "c1984.")."""
    if text:
        found = _YEAR.search(text)
        if found:
            return int(found.group(1))
    return None


def coded_year(text: str) -> int | None:
    """A year coded on four positions (UNIMARC 100$a/9-12, MARC 21 008/07-10)."""
    if len(text) == 4 and text.isdigit() and text[0] in "12":
        return int(text)
    return None


# ----------------------------------------------------------------------------- audience

_AGES = {
    "un": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "dix-sept": 17,
    "dix-huit": 18,
}
_FROM_AGE = re.compile(
    # Only "from age N": "un garçon de 10 ans" describes a character, not the reader.
    r"\b(?:à partir de|a partir de|dès)\s+(\d{1,2}|"
    + "|".join(sorted(_AGES, key=len, reverse=True))
    + r")\s+ans\b",
    re.IGNORECASE,
)
CHILDREN_UP_TO_AGE = 15  # "à partir de 15 ans" is still a youth section's book
ADULT_FROM_AGE = 18


def audience_from_note(text: str) -> str:
    """The audience a French note states ("A partir de neuf ans.", "Dès 3 ans"), or "".

    French cataloguers (and Electre's summaries) give the minimum age in the audience note
    (UNIMARC 333) or at the end of the summary (330) rather than in coded data.
    """
    if not text or "ans" not in text:
        return ""
    found = _FROM_AGE.search(text)
    if not found:
        return ""
    word = found.group(1).lower()
    age = int(word) if word.isdigit() else _AGES[word]
    if age <= CHILDREN_UP_TO_AGE:
        return "jeunesse"
    if age >= ADULT_FROM_AGE:
        return "adulte"
    return ""


# ----------------------------------------------------------------------------- identifiers

# An ISBN as cataloguers type it, maybe followed by a qualifier: "0375507256 (hardcover)",
# "2-7011-1166-8 (br.)", "ISBN 978-2-07-036822-8".
_ISBN_CANDIDATE = re.compile(r"[0-9][0-9\- ]{8,15}[0-9Xx]")


class Identifiers:
    """Collects a record's standard numbers: valid ones normalised, invalid ones dropped
    with a warning for staff."""

    __slots__ = ("isbns", "eans", "issns", "warnings")

    def __init__(self) -> None:
        self.isbns: list[str] = []
        self.eans: list[str] = []
        self.issns: list[str] = []
        self.warnings: list[str] = []

    def add_isbn(self, raw: str) -> None:
        if not raw:
            return
        found = _ISBN_CANDIDATE.search(raw)
        number = isbn.compact(found.group(0)) if found else ""
        if len(number) in (10, 13) and isbn.is_valid(number):
            number = isbn.to_isbn13(number)
            if number not in self.isbns:
                self.isbns.append(number)
        else:
            self.warnings.append(f"ISBN invalide ignoré : « {raw.strip()} »")

    def add_issn(self, raw: str) -> None:
        if not raw:
            return
        number = issn.compact(raw.strip().split(" ")[0])
        if len(number) == 8 and issn.is_valid(number):
            number = issn.format(number)
            if number not in self.issns:
                self.issns.append(number)
        else:
            self.warnings.append(f"ISSN invalide ignoré : « {raw.strip()} »")

    def add_ean(self, raw: str) -> None:
        """An EAN-13; one that is a valid ISBN-13 (prefix 978/979) counts as an ISBN."""
        if not raw:
            return
        number = ean.compact(raw.strip().split(" ")[0])
        if len(number) == 13 and ean.is_valid(number):
            if number[:3] in ("978", "979") and isbn.is_valid(number):
                if number not in self.isbns:
                    self.isbns.append(number)
            elif number not in self.eans:
                self.eans.append(number)
        else:
            self.warnings.append(f"EAN invalide ignoré : « {raw.strip()} »")


# ----------------------------------------------------------------------------- authors


def first_author_first(
    main: list[Author], alternatives: list[Author], others: list[Author], author_code: str
) -> tuple[Author, ...]:
    """Authors in display order, the one deduplication uses first: the main entry, else
    the first alternative author whose role is ``author_code``, else the first
    alternative, else the first of ``others`` (corporate bodies); the rest follow in
    record order."""
    ordered = main + alternatives + others
    if not main and alternatives:
        lead = next((a for a in alternatives if a.role_code == author_code), alternatives[0])
        ordered.remove(lead)
        ordered.insert(0, lead)
    return tuple(dict.fromkeys(ordered))


# ----------------------------------------------------------------------------- MARC


def normalise(record: MarcRecord) -> NormalisedRecord:
    """The catalogue's description of ``record`` (UNIMARC or MARC 21, told by its
    flavour). Raises :class:`NormalisationError` when the record has no title."""
    if record.flavour == "unimarc":
        return unimarc.normalise_unimarc(record)
    return marc21.normalise_marc21(record)


# ----------------------------------------------------------------------------- Dublin Core

DC = "http://purl.org/dc/elements/1.1/"
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

# dc:type values as OAI-PMH repositories write them (DCMI types, Gallica's French and
# English terms, the info:eu-repo vocabulary of open archives), lower-cased, without the
# URI prefix. Books are the default, so a more specific type always wins over one of these.
_DC_TYPES = {
    "text": DocType.BOOK,
    "texte": DocType.BOOK,
    "texte imprimé": DocType.BOOK,
    "book": DocType.BOOK,
    "livre": DocType.BOOK,
    "monographie": DocType.BOOK,
    "monographie imprimée": DocType.BOOK,
    "printed monograph": DocType.BOOK,
    "report": DocType.BOOK,
    "workingpaper": DocType.BOOK,
    "doctoralthesis": DocType.BOOK,
    "masterthesis": DocType.BOOK,
    "thesis": DocType.BOOK,
    "article": DocType.ARTICLE,
    "contributiontoperiodical": DocType.ARTICLE,
    "bookpart": DocType.ARTICLE,
    "reportpart": DocType.ARTICLE,
    "bookreview": DocType.ARTICLE,
    "conferencepaper": DocType.ARTICLE,
    "image": DocType.IMAGE,
    "still image": DocType.IMAGE,
    "stillimage": DocType.IMAGE,
    "image fixe": DocType.IMAGE,
    "estampe": DocType.IMAGE,
    "photographie": DocType.IMAGE,
    "dessin": DocType.IMAGE,
    "drawing": DocType.IMAGE,
    "photograph": DocType.IMAGE,
    "sound": DocType.CD,
    "son": DocType.CD,
    "sonore": DocType.CD,
    "enregistrement sonore": DocType.CD,
    "sound recording": DocType.CD,
    "livre audio": DocType.AUDIOBOOK,
    "spoken word": DocType.AUDIOBOOK,
    "audiobook": DocType.AUDIOBOOK,
    "moving image": DocType.DVD,
    "movingimage": DocType.DVD,
    "image animée": DocType.DVD,
    "vidéo": DocType.DVD,
    "video": DocType.DVD,
    "vidéogramme": DocType.DVD,
    "film": DocType.DVD,
    "manuscrit": DocType.OTHER,
    "manuscript": DocType.OTHER,
    "objet": DocType.OTHER,
    "physical object": DocType.OTHER,
    "physicalobject": DocType.OTHER,
    "periodical": DocType.PERIODICAL,
    "fascicule": DocType.PERIODICAL,
    "publication en série": DocType.PERIODICAL,
    "publication en série imprimée": DocType.PERIODICAL,
    "printed serial": DocType.PERIODICAL,
    "serial": DocType.PERIODICAL,
    "revue": DocType.PERIODICAL,
    "journal": DocType.PERIODICAL,
    "issue": DocType.PERIODICAL,
    "carte": DocType.MAP,
    "map": DocType.MAP,
    "document cartographique": DocType.MAP,
    "cartographic resource": DocType.MAP,
    "printed cartographic resource": DocType.MAP,
    "partition": DocType.SCORE,
    "score": DocType.SCORE,
    "musique imprimée": DocType.SCORE,
    "musique notée": DocType.SCORE,
    "jeu": DocType.GAME,
    "game": DocType.GAME,
    "interactive resource": DocType.MULTIMEDIA,
    "interactiveresource": DocType.MULTIMEDIA,
    "software": DocType.MULTIMEDIA,
    "logiciel": DocType.MULTIMEDIA,
}
# Gallica writes the creator's dates, then the role, after the name:
# "Belzoni, Giovanni Battista (1778-1823)", "Smijers, Albert (1888-1957). Arrangeur".
_NAME_DATES_ROLE = re.compile(
    r"^(?P<name>.+?)\s*\([^()]*\d[^()]*\)\s*(?:\.\s*(?P<role>[^().]+?)\.?)?$"
)
_ISBN_PREFIX = re.compile(r"^(?:urn:)?isbn[:\s]*", re.IGNORECASE)
_ISSN_PREFIX = re.compile(r"^(?:urn:)?issn[:\s]*", re.IGNORECASE)
_LANGUAGES = {
    "fr": "fre",
    "fra": "fre",
    "français": "fre",
    "francais": "fre",
    "french": "fre",
    "en": "eng",
    "anglais": "eng",
    "english": "eng",
    "de": "ger",
    "deu": "ger",
    "allemand": "ger",
    "es": "spa",
    "espagnol": "spa",
    "it": "ita",
    "italien": "ita",
    "la": "lat",
    "latin": "lat",
    "nl": "dut",
    "nld": "dut",
    "pt": "por",
    "ar": "ara",
    "ru": "rus",
    "zh": "chi",
    "zho": "chi",
    "ja": "jpn",
}


def _dc_type(value: str) -> str:
    key = value.strip().lower()
    if "/" in key or key.startswith("info:"):
        key = key.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return _DC_TYPES.get(key, "")


def dc_doc_type(types: list[str]) -> str:
    """The document type several dc:type values give: the first that says more than
    "a text" wins ("Text" + "article" is an article), a book otherwise."""
    mapped = [t for t in map(_dc_type, types) if t]
    return next((t for t in mapped if t != DocType.BOOK), DocType.BOOK)


def _dc_language(value: str) -> str:
    key = value.strip().lower()
    if len(key) == 3 and key.isalpha():
        return _LANGUAGES.get(key, key)
    return _LANGUAGES.get(key, "")


def _dc_author(value: str) -> Author:
    found = _NAME_DATES_ROLE.match(value)
    name, role = (found.group("name"), found.group("role") or "") if found else (value, "")
    return Author(name=clean(name.replace(" ,", ",")), role=role.strip())


def normalise_dublin_core(xml_bytes: bytes) -> NormalisedRecord:
    """The catalogue's description of an OAI-PMH ``oai_dc`` record (the ``oai_dc:dc``
    element, or any XML holding one, such as the whole ``<record>``).

    ISBN and ISSN are recognised in dc:identifier ("URN:ISBN:…", "ISSN 1234-5678", a
    bare valid ISBN-13); "Title / responsibility" and "Title : subtitle" are split as
    ISBD writes them. Raises :class:`NormalisationError` when there is no dc:title or
    the XML cannot be read.
    """
    try:
        root = etree.fromstring(xml_bytes, _XML_PARSER)
    except etree.XMLSyntaxError as error:
        raise NormalisationError(f"XML Dublin Core illisible : {error.msg}") from None
    values: dict[str, list[str]] = {}
    for element in root.iter(f"{{{DC}}}*"):
        text = clean_text(element.text or "")
        if text:
            values.setdefault(etree.QName(element).localname, []).append(text)
    titles = values.get("title", [])
    if not titles:
        raise NormalisationError("Notice sans titre : élément dc:title absent ou vide")
    title, _, responsibility = titles[0].partition(" / ")
    title, _, subtitle = title.partition(" : ")
    identifiers = Identifiers()
    for value in values.get("identifier", []):
        if _ISBN_PREFIX.match(value):
            identifiers.add_isbn(_ISBN_PREFIX.sub("", value))
        elif _ISSN_PREFIX.match(value):
            identifiers.add_issn(_ISSN_PREFIX.sub("", value))
        elif len(value) in (13, 17) and value[:3] in ("978", "979"):
            number = isbn.compact(value)
            if isbn.is_valid(number):
                identifiers.add_isbn(number)
    names = values.get("creator", []) + values.get("contributor", [])
    authors = [_dc_author(name) for name in names]
    language = next(filter(None, map(_dc_language, values.get("language", []))), "")
    year = next(filter(None, map(first_year, values.get("date", []))), None)
    return NormalisedRecord(
        title=clean(title),
        subtitle=clean(subtitle),
        responsibility=clean(responsibility),
        authors=tuple(dict.fromkeys(authors)),
        publisher=known(next(iter(values.get("publisher", [])), "")),
        year=year,
        isbns=tuple(identifiers.isbns),
        issns=tuple(identifiers.issns),
        language=language,
        doc_type=dc_doc_type(values.get("type", [])),
        subjects=unique(values.get("subject", [])),
        summary="\n\n".join(values.get("description", [])),
        warnings=tuple(identifiers.warnings),
    )


# The flavour modules use the helpers above, so they are imported once these exist.
from catalogue import marc21, unimarc  # noqa: E402
