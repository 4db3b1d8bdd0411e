"""The catalogue's own description of an edition and of a copy, whatever the source format.

Normalisers (:mod:`catalogue.normalize`) turn a MARC record (UNIMARC or MARC 21) or a
Dublin Core record into a :class:`NormalisedRecord`; item mappings
(:mod:`connectors.mapping`) read each copy into an :class:`ItemData`. The harvest stores
both; deduplication and search read only these, never MARC.
"""

from dataclasses import dataclass, field


class DocType:
    """Document types, as the catalogue's facets show them."""

    BOOK = "book"
    LARGE_PRINT = "large_print"
    COMIC = "comic"
    PERIODICAL = "periodical"
    E_PERIODICAL = "e_periodical"  # a serial published online
    DVD = "dvd"  # video recordings: DVD, Blu-ray, VHS
    CD = "cd"  # sound recordings: music CDs, vinyl
    AUDIOBOOK = "audiobook"  # spoken word recordings
    SCORE = "score"
    GAME = "game"  # board games and video games
    EBOOK = "ebook"
    MAP = "map"
    MICROFORM = "microform"  # microfilm, microfiche: read on a machine, not borrowed
    IMAGE = "image"
    MULTIMEDIA = "multimedia"  # kits, mixed materials, software
    ARTICLE = "article"
    OTHER = "other"

    LABELS = {
        BOOK: "Livre",
        LARGE_PRINT: "Livre en gros caractères",
        COMIC: "Bande dessinée",
        PERIODICAL: "Revue, journal",
        E_PERIODICAL: "Revue en ligne",
        DVD: "Film (DVD, Blu-ray)",
        CD: "Musique (CD, vinyle)",
        AUDIOBOOK: "Livre audio",
        SCORE: "Partition",
        GAME: "Jeu",
        EBOOK: "Livre numérique",
        MAP: "Carte",
        MICROFORM: "Microforme",
        IMAGE: "Image",
        MULTIMEDIA: "Multimédia",
        ARTICLE: "Article",
        OTHER: "Autre document",
    }
    CHOICES = list(LABELS.items())


class Audience:
    CHILDREN = "jeunesse"
    ADULT = "adulte"
    CHOICES = [(CHILDREN, "Jeunesse"), (ADULT, "Adulte")]


@dataclass(frozen=True)
class Author:
    name: str  # "Surname, Forenames" for persons, as catalogued; corporate name otherwise
    role: str = ""  # French label ("Auteur", "Illustrateur", "Traducteur"...)
    role_code: str = ""  # UNIMARC relator code ("070") or MARC 21 relator ("aut"/"ill")
    kind: str = "person"  # person | corporate | meeting


@dataclass(frozen=True)
class NormalisedRecord:
    title: str
    subtitle: str = ""
    part: str = ""  # volume number and name ("Tome 2, La Dame de Monsoreau")
    uniform_title: str = ""  # the work's title whatever the edition's language (240/130, 500)
    responsibility: str = ""  # statement of responsibility as transcribed
    authors: tuple[Author, ...] = ()
    publisher: str = ""
    place: str = ""
    year: int | None = None
    isbns: tuple[str, ...] = ()  # validated ISBN-13, no hyphens (ISBN-10 converted)
    eans: tuple[str, ...] = ()  # validated EAN-13 that are not ISBNs (music, films, games)
    issns: tuple[str, ...] = ()  # validated, "NNNN-NNNC"
    language: str = ""  # ISO 639-2/B ("fre", "eng")
    doc_type: str = DocType.BOOK
    audience: str = ""  # Audience.* or "" when the record does not say
    subjects: tuple[str, ...] = ()
    summary: str = ""
    series: tuple[str, ...] = ()  # "Les Rougon-Macquart ; 7"
    contents: str = ""  # table of contents, when the record has one
    warnings: tuple[str, ...] = field(default=(), compare=False)  # French, for staff


@dataclass(frozen=True)
class ItemData:
    """One copy as the source describes it; ``site_code`` is the source's own code."""

    barcode: str = ""
    site_code: str = ""
    call_number: str = ""
    section: str = ""  # "Jeunesse", "Adultes", "Discothèque"... as the source labels it
    status: str = ""  # the source's status, raw ("0", "Disponible", "En prêt"...)
    loan_category: str = ""  # the source's item type / loan rule ("LIV", "DVD"...)
    available: bool | None = None  # None when the source's status cannot be interpreted
    item_id: str = ""  # the copy's identifier in the source system (Koha's itemnumber)
