"""UNIMARC bibliographic records read into the catalogue's :class:`NormalisedRecord`.

Field and code definitions follow the IFLA *UNIMARC Bibliographic Format Manual* (online
edition v1.1.0, 2024): leader/06-07, 100$a (general processing data: dates, target
audience), 105$a (textual material: form of contents, literature code), 106$a (form of
item), 110$a (continuing resources), 135$a (electronic resources), 181/182 (content form
and media type, ISBD and RDA codes), 200 (title), 210/214 (publication), 225/410
(series), 327/330/333 (notes), 6XX (subjects), 7XX (responsibility) and Appendix C
(relator codes). The French labels of the relator codes are those French catalogues
display (Abes/BnF lists); codes without a label keep their code and an empty role.
"""

from catalogue.marc import Field, MarcRecord
from catalogue.normalize import (
    Identifiers,
    NormalisationError,
    audience_from_note,
    clean,
    clean_name_part,
    clean_text,
    coded_year,
    fields_by_tag,
    first_author_first,
    first_year,
    join_clean,
    known,
    numbered_parts,
    subfield,
    unique,
)
from catalogue.records import Audience, Author, DocType, NormalisedRecord

AUTHOR_CODE = "070"

# UNIMARC Appendix C, relator codes, with the labels French catalogues show.
ROLES = {
    "005": "Acteur",
    "010": "Adaptateur",
    "020": "Annotateur",
    "030": "Arrangeur",
    "040": "Artiste",
    "050": "Cessionnaire",
    "060": "Nom associé",
    "065": "Commissaire-priseur",
    "070": "Auteur",
    "072": "Auteur cité",
    "075": "Postfacier",
    "080": "Préfacier",
    "090": "Dialoguiste",
    "100": "Antécédent bibliographique",
    "110": "Relieur",
    "120": "Concepteur de la reliure",
    "130": "Maquettiste",
    "140": "Concepteur de la jaquette",
    "160": "Libraire",
    "170": "Calligraphe",
    "180": "Cartographe",
    "190": "Censeur",
    "200": "Chorégraphe",
    "205": "Collaborateur",
    "210": "Commentateur",
    "212": "Commentateur",
    "220": "Compilateur",
    "230": "Compositeur",
    "240": "Compositeur typographe",
    "245": "Concepteur",
    "250": "Chef d'orchestre",
    "255": "Conseiller",
    "260": "Titulaire des droits",
    "270": "Correcteur",
    "273": "Commissaire d'exposition",
    "275": "Danseur",
    "280": "Dédicataire",
    "290": "Dédicateur",
    "295": "Organisme de soutenance",
    "300": "Réalisateur",
    "305": "Doctorant",
    "310": "Distributeur",
    "320": "Donateur",
    "330": "Auteur présumé",
    "340": "Éditeur scientifique",
    "350": "Graveur",
    "360": "Aquafortiste",
    "365": "Expert",
    "370": "Monteur",
    "380": "Faussaire",
    "390": "Ancien possesseur",
    "400": "Mécène",
    "410": "Technicien graphique",
    "420": "Personne honorée",
    "430": "Enlumineur",
    "440": "Illustrateur",
    "450": "Auteur de l'envoi",
    "460": "Personne interviewée",
    "470": "Intervieweur",
    "480": "Librettiste",
    "490": "Licencié",
    "500": "Concédant",
    "510": "Lithographe",
    "520": "Parolier",
    "530": "Graveur sur métal",
    "540": "Superviseur",
    "545": "Musicien",
    "550": "Narrateur",
    "555": "Opposant",
    "557": "Organisateur du congrès",
    "560": "Instigateur",
    "570": "Autre",
    "580": "Papetier",
    "582": "Demandeur de brevet",
    "584": "Inventeur",
    "587": "Titulaire de brevet",
    "590": "Interprète",
    "595": "Responsable de la recherche",
    "600": "Photographe",
    "610": "Imprimeur",
    "620": "Imprimeur de gravures",
    "630": "Producteur",
    "635": "Programmeur",
    "640": "Correcteur d'épreuves",
    "650": "Éditeur commercial",
    "651": "Directeur de publication",
    "660": "Destinataire de lettres",
    "670": "Ingénieur du son",
    "673": "Directeur de l'équipe de recherche",
    "675": "Critique",
    "677": "Membre de l'équipe de recherche",
    "680": "Rubricateur",
    "690": "Scénariste",
    "695": "Conseiller scientifique",
    "700": "Copiste",
    "705": "Sculpteur",
    "710": "Secrétaire",
    "720": "Signataire",
    "721": "Chanteur",
    "723": "Commanditaire",
    "725": "Organisme de normalisation",
    "727": "Directeur de thèse",
    "730": "Traducteur",
    "740": "Concepteur des caractères",
    "750": "Typographe",
    "755": "Vocaliste",
    "760": "Graveur sur bois",
    "770": "Auteur du matériel d'accompagnement",
}

# Leader/06, type of record.
_LEADER_TYPES = {
    "a": DocType.BOOK,  # language materials, printed
    "b": DocType.OTHER,  # language materials, manuscript: not a book a patron can borrow
    "c": DocType.SCORE,  # notated music, printed
    "d": DocType.SCORE,  # notated music, manuscript
    "e": DocType.MAP,  # cartographic materials, printed
    "f": DocType.MAP,  # cartographic materials, manuscript
    "g": DocType.DVD,  # projected and video materials
    "i": DocType.AUDIOBOOK,  # sound recordings, non-musical
    "j": DocType.CD,  # sound recordings, musical
    "k": DocType.IMAGE,  # two-dimensional graphics
    "l": DocType.EBOOK,  # electronic resources (refined with 135 and 181 below)
    "m": DocType.MULTIMEDIA,  # multimedia
    "r": DocType.GAME,  # three-dimensional artefacts and realia: games in public libraries
}
_ELECTRONIC = "electronic"  # GMD or media type says electronic; text → e-book

# 200$b, general material designation, as French catalogues word it (AFNOR Z 44-050
# "indication générale du type de document"), matched at the start, most specific first.
_GMD = (
    ("texte imprimé", DocType.BOOK),
    ("texte manuscrit", DocType.OTHER),
    ("manuscrit", DocType.OTHER),
    ("musique imprimée", DocType.SCORE),
    ("musique manuscrite", DocType.SCORE),
    ("partition", DocType.SCORE),
    ("document cartographique", DocType.MAP),
    ("carte", DocType.MAP),
    ("livre audio", DocType.AUDIOBOOK),
    ("livre lu", DocType.AUDIOBOOK),
    ("enregistrement sonore", DocType.CD),
    ("document sonore", DocType.CD),
    ("disque compact", DocType.CD),
    ("image animée", DocType.DVD),
    ("vidéogramme", DocType.DVD),
    ("vidéo", DocType.DVD),
    ("video", DocType.DVD),
    ("film", DocType.DVD),
    ("dvd", DocType.DVD),
    ("image fixe", DocType.IMAGE),
    ("image", DocType.IMAGE),
    ("document électronique", _ELECTRONIC),
    ("ressource électronique", _ELECTRONIC),
    ("document numérique", _ELECTRONIC),
    ("multimédia", DocType.MULTIMEDIA),
    ("multimedia", DocType.MULTIMEDIA),
    ("kit", DocType.MULTIMEDIA),
    ("jeu", DocType.GAME),
    ("objet", DocType.OTHER),
    ("microforme", DocType.MICROFORM),
    ("texte", DocType.BOOK),
)
# 181$c with $2 rdacontent (RDA content types, used by Abes and the BnF since 2015).
_RDA_CONTENT = {
    "txt": DocType.BOOK,
    "tct": DocType.BOOK,
    "prm": DocType.CD,
    "snd": DocType.CD,
    "spw": DocType.AUDIOBOOK,
    "tdi": DocType.DVD,
    "sti": DocType.IMAGE,
    "cri": DocType.MAP,
    "crm": DocType.MAP,
    "ntm": DocType.SCORE,
    "tdf": DocType.OTHER,
    "tdm": DocType.OTHER,
    "cop": DocType.MULTIMEDIA,
    "cod": DocType.MULTIMEDIA,
}
# 100$a/17-19, target audience codes.
_JUVENILE = frozenset("abcde")  # juvenile general, pre-primary, primary, children, young adult
_ADULT = frozenset("km")  # adult serious, adult general
_COMIC_HEADINGS = frozenset({"bandes dessinées", "bande dessinée", "romans graphiques", "mangas"})
_COMIC_WORDS = ("bande dessinée", "bandes dessinées", "roman graphique", "manga")
_LARGE_PRINT_WORDS = ("gros caract", "grands caract", "large print")
_SUBDIVISIONS = frozenset("xyzj")  # topical, geographical, chronological, form
_SUBJECT_TAGS = ("600", "601", "602", "604", "605", "606", "607", "608")


def normalise_unimarc(record: MarcRecord) -> NormalisedRecord:
    """The catalogue's description of a UNIMARC record; raises
    :class:`NormalisationError` when 200$a is missing or empty."""
    tags = fields_by_tag(record)
    f200 = tags.get("200")
    title_field = f200[0] if f200 else None
    titles = [clean(v) for c, v in title_field.subfields if c == "a"] if title_field else []
    titles = [t for t in titles if t]
    if not titles:
        raise NormalisationError("Notice sans titre : zone 200 $a absente ou vide")
    identifiers = Identifiers()
    for item in tags.get("010", ()):
        identifiers.add_isbn(item.get("a"))
    for item in tags.get("011", ()):
        identifiers.add_issn(item.get("a"))
    for item in tags.get("073", ()):
        identifiers.add_ean(item.get("a"))
    publication = _publication_field(tags)
    coded = subfield(tags.get("100"), "a")
    year = first_year(publication.get("d")) if publication else None
    if year is None:
        year = coded_year(coded[9:13])
    subjects = _subjects(tags)
    contents = join_clean(
        (v for f in tags.get("327", ()) for c, v in f.subfields if c == "a"), " -- "
    )
    if not contents and len(titles) > 1:
        # Further 200$a are other titles of the same author in the same volume.
        contents = " ; ".join(titles)
    return NormalisedRecord(
        title=titles[0],
        subtitle=join_clean(title_field.get_all("e"), " : "),
        part=numbered_parts(title_field, "h", "i"),
        uniform_title=_uniform_title(tags),
        responsibility=join_clean((v for c, v in title_field.subfields if c in "fg"), " ; "),
        authors=_authors(tags),
        publisher=known(clean(publication.get("c"))) if publication else "",
        place=known(clean(publication.get("a"))) if publication else "",
        year=year,
        isbns=tuple(identifiers.isbns),
        eans=tuple(identifiers.eans),
        issns=tuple(identifiers.issns),
        language=_language(tags),
        doc_type=doc_type(record.leader, tags, subjects),
        audience=_audience(coded, tags),
        subjects=subjects,
        summary="\n\n".join(v for v in (clean_text(f.get("a")) for f in tags.get("330", ())) if v),
        series=_series(tags),
        contents=contents,
        warnings=tuple(identifiers.warnings),
    )


def _publication_field(tags: dict[str, list[Field]]) -> Field | None:
    """210 (publication, distribution) or, in records since the 2008 update, 214 with
    the publication function (second indicator 0) first."""
    fields = tags.get("210")
    if fields:
        return fields[0]
    fields = tags.get("214")
    if fields:
        return next((f for f in fields if f.indicators[1:2] in ("0", " ", "#")), fields[0])
    return None


def _language(tags: dict[str, list[Field]]) -> str:
    code = subfield(tags.get("101"), "a").strip().lower()
    return code if len(code) == 3 and code.isalpha() else ""


def _audience(coded: str, tags: dict[str, list[Field]]) -> str:
    for code in coded[17:20]:
        if code in _JUVENILE:
            return Audience.CHILDREN
        if code in _ADULT:
            return Audience.ADULT
    for tag in ("333", "330"):
        for item in tags.get(tag, ()):
            found = audience_from_note(item.get("a"))
            if found:
                return found
    return ""


# ----------------------------------------------------------------------------- document type


def _gmd_type(gmd: str) -> str:
    if not gmd:
        return ""
    gmd = gmd.strip("[] ").lower()
    return next((kind for prefix, kind in _GMD if gmd.startswith(prefix)), "")


def _content_type(tags: dict[str, list[Field]]) -> str:
    """181: RDA content type in $c, or the ISBD content form code in $a/0 (with $b/0-1,
    type and motion) when there is no $c."""
    for item in tags.get("181", ()):
        code = item.get("c").strip().lower()
        if code in _RDA_CONTENT:
            return _RDA_CONTENT[code]
        form = item.get("a")[:1]
        qualification = item.get("b")
        if form == "i":
            return DocType.BOOK
        if form == "h":
            return DocType.AUDIOBOOK
        if form == "b":
            return DocType.DVD if qualification[1:2] == "a" else DocType.IMAGE
        if form == "d":
            return DocType.SCORE if qualification[:1] == "a" else DocType.CD
        if form == "f":
            return DocType.MULTIMEDIA
        if form == "e":
            return DocType.OTHER
    return ""


def _is_spoken(tags: dict[str, list[Field]]) -> bool:
    """A sound recording of words: 125$b (literary text indicator, non-music
    performance) coded, or 181 saying spoken word."""
    code = subfield(tags.get("125"), "b")[:1]
    return (code.isalpha() and code != "x") or _content_type(tags) == DocType.AUDIOBOOK


def _is_microform(tags: dict[str, list[Field]]) -> bool:
    """130 (microforms coded data), 182 media type microform (ISBD $a "c", RDA $c "h")
    or 106$a "t" (microform, obsolete but still exported): not a book to borrow."""
    if "130" in tags or subfield(tags.get("106"), "a")[:1] == "t":
        return True
    return any(f.get("a")[:1] == "c" or f.get("c").strip() == "h" for f in tags.get("182", ()))


def _is_electronic(tags: dict[str, list[Field]]) -> bool:
    """135 (electronic resources coded data), 182 media type electronic (ISBD $a "b",
    RDA $c "c") or 106$a "s" (electronic, obsolete since 2012 but still exported)."""
    if "135" in tags:
        return True
    for item in tags.get("182", ()):
        if item.get("a")[:1] == "b" or item.get("c").strip() == "c":
            return True
    return subfield(tags.get("106"), "a")[:1] == "s"


def _is_comic(tags: dict[str, list[Field]], subjects: tuple[str, ...], words: str) -> bool:
    """105$a/4-7 code "t" (cartoons or comic strips), a "Bandes dessinées" form heading
    (608, or a form or topical subdivision of another subject: a 606 $a "Bandes
    dessinées" alone is a book *about* comics), or the title area saying so."""
    if "t" in subfield(tags.get("105"), "a")[4:8]:
        return True
    if any(w in words for w in _COMIC_WORDS):
        return True
    for item in tags.get("608", ()):
        if clean(item.get("a")).lower() in _COMIC_HEADINGS:
            return True
    for subject in subjects:
        for heading in subject.lower().split(" -- ")[1:]:
            if heading in _COMIC_HEADINGS:
                return True
    return False


def doc_type(leader: str, tags: dict[str, list[Field]], subjects: tuple[str, ...] = ()) -> str:
    """The document type, from leader/06-07 first.

    Many library systems write leader/06 "a" whatever the document, so for "a" (and an
    unreadable leader) a general material designation (200$b) or an RDA content type
    (181) that names another type wins. Then: leader/07 "s" (serial) is a periodical and
    "a" (analytic) an article; text is refined into microforms (another document),
    e-books (electronic text), comics (see :func:`_is_comic`) and large print (106$a
    "d"; "gros caractères" in the title area or the series).
    """
    record_type = leader[6:7]
    level = leader[7:8]
    gmd = clean(subfield(tags.get("200"), "b")).lower()
    kind = _LEADER_TYPES.get(record_type, "")
    if kind in ("", DocType.BOOK):
        kind = _gmd_type(gmd) or _content_type(tags) or DocType.BOOK
    if record_type == "l" or kind == _ELECTRONIC:
        if level == "s":
            return DocType.E_PERIODICAL  # electronic serials, whatever their 135 says
        if kind == _ELECTRONIC and record_type != "l":
            kind = DocType.EBOOK
        else:
            content = _content_type(tags)
            electronic = subfield(tags.get("135"), "a")[:1]
            if "jeu" in gmd:
                kind = DocType.GAME
            elif content == DocType.BOOK or electronic == "d" or (not content and not electronic):
                kind = DocType.EBOOK
            else:
                kind = content if content not in ("", DocType.BOOK) else DocType.MULTIMEDIA
    if kind in (DocType.BOOK, DocType.EBOOK):
        if level == "s":
            return DocType.PERIODICAL
        if level == "a":
            return DocType.ARTICLE
    if kind == DocType.CD and record_type != "j" and _is_spoken(tags):
        return DocType.AUDIOBOOK
    if kind == DocType.GAME and "objet" in gmd:
        return DocType.OTHER
    if kind == DocType.MULTIMEDIA and "jeu" in gmd:
        return DocType.GAME
    if kind != DocType.BOOK:
        return kind
    if _is_microform(tags):
        return DocType.MICROFORM
    if _is_electronic(tags):
        return DocType.EBOOK
    words = " ".join(
        (gmd, clean(subfield(tags.get("200"), "e")).lower(), subfield(tags.get("225"), "a").lower())
    )
    if _is_comic(tags, subjects, words):
        return DocType.COMIC
    if subfield(tags.get("106"), "a")[:1] == "d" or any(w in words for w in _LARGE_PRINT_WORDS):
        return DocType.LARGE_PRINT
    return DocType.BOOK


# ----------------------------------------------------------------------------- authors


def _person(item: Field) -> str:
    """70X: entry element $a, then the rest of the name $b and roman numerals $d."""
    surname = forename = numerals = ""
    for code, value in item.subfields:
        if code == "a" and not surname:
            surname = clean_name_part(value)
        elif code == "b" and not forename:
            forename = clean_name_part(value)
        elif code == "d" and not numerals:
            # Roman numerals ("Jean-Paul II"); some exports put the dates here instead.
            numerals = clean_name_part(value)
            if not numerals.replace(".", "").isalpha():
                numerals = ""
    name = f"{surname}, {forename}" if surname and forename else surname or forename
    return f"{name} {numerals}" if numerals and name else name


def _corporate(item: Field) -> str:
    """71X: name $a, subdivisions $b; addition $c; meetings add number $d, date $f,
    place $e: "Congrès international (3 ; 1990 ; Paris)"."""
    name = ". ".join(v for v in (clean(v) for c, v in item.subfields if c in "ab") if v)
    addition = " ".join(clean(v) for v in item.get_all("c"))
    meeting = " ; ".join(
        v for v in (clean(x).strip("()") for c, x in item.subfields if c in "dfe") if v
    )
    if addition:
        name = f"{name} {addition}" if addition.startswith("(") else f"{name} ({addition})"
    if meeting:
        name = f"{name} ({meeting})"
    return name


def _author(item: Field, kind: str) -> Author | None:
    name = _person(item) if kind == "person" else _corporate(item)
    if not name:
        return None
    code = item.get("4").strip()
    return Author(name=name, role=ROLES.get(code, ""), role_code=code, kind=kind)


def _authors(tags: dict[str, list[Field]]) -> tuple[Author, ...]:
    """700 (primary), 701 (alternative), 702 (secondary) persons; 710/711/712 bodies
    (first indicator 1: a meeting). The first author, the one deduplication uses, is the
    700, else the first 701 with role 070 (author), else the first 701, else the 710."""

    def read(tag: str, kind: str) -> list[Author]:
        found = []
        for item in tags.get(tag, ()):
            if kind != "person" and item.indicators[:1] == "1":
                author = _author(item, "meeting")
            else:
                author = _author(item, kind)
            if author:
                found.append(author)
        return found

    main = read("700", "person")
    alternatives = read("701", "person")
    bodies = read("710", "corporate")
    others = read("702", "person") + read("711", "corporate") + read("712", "corporate")
    if not main and not alternatives:
        return first_author_first(bodies[:1], [], bodies[1:] + others, AUTHOR_CODE)
    return first_author_first(main, alternatives, bodies + others, AUTHOR_CODE)


# ----------------------------------------------------------------------------- subjects


def _heading(item: Field) -> str:
    tag = item.tag
    main: list[str] = []
    subdivisions: list[str] = []
    forename = dates = ""
    for code, value in item.subfields:
        if code in _SUBDIVISIONS:
            subdivisions.append(clean(value))
        elif code == "a" or (code == "t" and tag in ("604", "605")):
            main.append(clean(value))
        elif code == "b":
            if tag == "600":
                forename = clean_name_part(value)
            else:
                main.append(clean(value))
        elif code == "f" and tag == "600":
            dates = clean(value).strip("()")
    heading = ". ".join(m for m in main if m)
    if forename:
        heading = f"{heading}, {forename}" if heading else forename
    if dates and heading:
        heading = f"{heading} ({dates})"
    if not heading:
        return ""
    return " -- ".join([heading, *(s for s in subdivisions if s)])


def _subjects(tags: dict[str, list[Field]]) -> tuple[str, ...]:
    """600-608 headings with their subdivisions ($x $y $z $j, in record order) joined by
    " -- "; each 610 (uncontrolled) $a is a subject of its own."""
    headings: list[str] = []
    for tag in _SUBJECT_TAGS:
        for item in tags.get(tag, ()):
            headings.append(_heading(item))
    for item in tags.get("610", ()):
        headings.extend(clean(v) for v in item.get_all("a"))
    return unique(headings)


# ----------------------------------------------------------------------------- series


def _linked_title(item: Field) -> str:
    """4XX link: $t, or in the embedded-fields form $a of the embedded 200."""
    title = item.get("t")
    if title:
        return title
    in_title = False
    for code, value in item.subfields:
        if code == "1":
            in_title = value.startswith("200")
        elif code == "a" and in_title:
            return value
    return ""


def _series(tags: dict[str, list[Field]]) -> tuple[str, ...]:
    """225 (series statement, "Title ; volume") and 410 (link to the series record)."""
    found = []
    for tag, title_of in (("225", lambda f: f.get("a")), ("410", _linked_title)):
        for item in tags.get(tag, ()):
            title = clean(title_of(item))
            if not title:
                continue
            volume = clean(item.get("v"))
            found.append(f"{title} ; {volume}" if volume else title)
    return unique(found)


def _uniform_title(tags: dict[str, list[Field]]) -> str:
    """500$a (uniform title), with its part ($h, $i): the work's title whatever the
    edition's language, so a translation meets its original."""
    for uniform in tags.get("500", ()):
        title = clean(uniform.get("a"))
        if title:
            part = numbered_parts(uniform, "h", "i")
            return f"{title}. {part}" if part else title
    return ""
