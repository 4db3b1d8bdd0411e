"""MARC 21 bibliographic records read into the catalogue's :class:`NormalisedRecord`.

Definitions follow the Library of Congress *MARC 21 Format for Bibliographic Data*:
leader/06-07, 007/00 (category of material), 008 (07-10 date 1; 22 target audience;
23 form of item; 26 type of computer file; 33 literary form or type of visual
material; 35-37 language), 020/022/024, 100-111 and 700-711 (names, $e/$j relator
terms, $4 relator codes), 245, 260/264, 490/440/8XX (series), 505, 520 and 6XX. Relator
codes get the French label of the matching UNIMARC code, through the Library of
Congress' *UNIMARC to MARC 21 Conversion Specifications* (table 2), so that a role reads
the same whatever the source format.
"""

from catalogue.marc import Field, MarcRecord
from catalogue.normalize import (
    Identifiers,
    NormalisationError,
    clean,
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
from catalogue.unimarc import ROLES as UNIMARC_ROLES

AUTHOR_CODE = "aut"

# MARC relator code → UNIMARC relator code (LoC conversion table 2, read backwards), plus
# the codes MARC added since (ctb replaced clb; fmd, fmp, win, wpr, edc...).
_TO_UNIMARC = {
    "act": "005", "adp": "010", "ann": "020", "arr": "030", "art": "040", "asg": "050",
    "asn": "060", "auc": "065", "aut": "070", "aqt": "072", "aft": "075", "aui": "080",
    "aud": "090", "ant": "100", "bnd": "110", "bdd": "120", "bkd": "130", "bjd": "140",
    "bsl": "160", "cll": "170", "ctg": "180", "cns": "190", "chr": "200", "clb": "205",
    "ctb": "205", "cmm": "210", "cwt": "212", "wac": "212", "com": "220", "cmp": "230",
    "cmt": "240", "ccp": "245", "cnd": "250", "csp": "255", "cph": "260", "crr": "270",
    "cur": "273", "dnc": "275", "dte": "280", "dto": "290", "dgg": "295", "drt": "300",
    "fmd": "300", "dis": "305", "dst": "310", "dnr": "320", "dub": "330", "edt": "340",
    "edc": "340", "egr": "350", "etr": "360", "exp": "365", "flm": "370", "frg": "380",
    "fmo": "390", "fnd": "400", "grt": "410", "hnr": "420", "ilu": "430", "ill": "440",
    "ins": "450", "ive": "460", "ivr": "470", "lbt": "480", "lse": "490", "lso": "500",
    "ltg": "510", "lyr": "520", "mte": "530", "mon": "540", "mus": "545", "itr": "545",
    "nrt": "550", "spk": "550", "stl": "550", "opn": "555", "orm": "557", "org": "560",
    "oth": "570", "ppm": "580", "pta": "582", "inv": "584", "pth": "587", "prf": "590",
    "res": "595", "pht": "600", "prt": "610", "pop": "620", "pro": "630", "fmp": "630",
    "prg": "635", "pfr": "640", "pbl": "650", "pbd": "651", "rcp": "660", "rce": "670",
    "rth": "673", "rev": "675", "rtm": "677", "rbr": "680", "sce": "690", "sad": "695",
    "scr": "700", "scl": "705", "sec": "710", "sgn": "720", "sng": "721", "spn": "723",
    "stn": "725", "ths": "727", "trl": "730", "tyd": "740", "tyg": "750", "voc": "755",
    "wde": "760", "wam": "770", "wat": "770", "win": "080", "wpr": "080", "cre": "070",
}  # fmt: skip
ROLES = {code: UNIMARC_ROLES[unimarc] for code, unimarc in _TO_UNIMARC.items()}
ROLES["aus"] = "Scénariste"  # screenwriter; UNIMARC 090 is the author of the dialogue

# $e/$j relator terms (RDA appendix I in English, RDA-FR in French, and the old AACR2
# abbreviations) → relator code. Looked up lower-cased without final punctuation.
_TERMS = {
    "author": "aut", "auteur": "aut", "joint author": "aut", "coauteur": "aut",
    "creator": "cre", "editor": "edt", "ed": "edt", "eds": "edt", "éd": "edt",
    "éditeur intellectuel": "edt", "éditeur scientifique": "edt",
    "directeur de publication": "pbd", "illustrator": "ill", "ill": "ill",
    "illustrateur": "ill", "translator": "trl", "tr": "trl", "trans": "trl",
    "traducteur": "trl", "trad": "trl", "compiler": "com", "comp": "com",
    "compilateur": "com", "composer": "cmp", "compositeur": "cmp", "performer": "prf",
    "interprète": "prf", "narrator": "nrt", "narrateur": "nrt", "director": "drt",
    "film director": "fmd", "réalisateur": "drt", "metteur en scène": "drt",
    "screenwriter": "aus", "scénariste": "aus", "actor": "act", "acteur": "act",
    "adapter": "adp", "adaptateur": "adp", "annotator": "ann", "annotateur": "ann",
    "author of introduction": "aui", "author of introduction, etc": "aui",
    "writer of introduction": "win", "writer of preface": "wpr", "préfacier": "aui",
    "author of afterword, colophon, etc": "aft", "postfacier": "aft",
    "contributor": "ctb", "collaborateur": "ctb", "publisher": "pbl",
    "photographer": "pht", "photographe": "pht", "producer": "pro",
    "producteur": "pro", "film producer": "fmp", "lyricist": "lyr", "parolier": "lyr",
    "librettist": "lbt", "librettiste": "lbt", "conductor": "cnd",
    "chef d'orchestre": "cnd", "singer": "sng", "chanteur": "sng",
    "cartographer": "ctg", "cartographe": "ctg", "artist": "art", "artiste": "art",
    "editor of compilation": "edc", "instrumentalist": "itr", "musician": "mus",
    "musicien": "mus", "interviewer": "ivr", "interviewee": "ive",
    "writer of added commentary": "wac", "commentateur": "cmm", "dedicatee": "dte",
    "former owner": "fmo", "printer": "prt", "imprimeur": "prt", "engraver": "egr",
    "graveur": "egr", "storyteller": "stl", "conteur": "stl", "speaker": "spk",
}  # fmt: skip

# Leader/06, type of record. Text ("a", and a blank leader) is refined below.
_LEADER_TYPES = {
    "a": DocType.BOOK,  # language material
    "t": DocType.OTHER,  # manuscript language material
    "c": DocType.SCORE,  # notated music
    "d": DocType.SCORE,  # manuscript notated music
    "e": DocType.MAP,  # cartographic material
    "f": DocType.MAP,  # manuscript cartographic material
    "g": DocType.DVD,  # projected medium (008/33 tells slides from films)
    "i": DocType.AUDIOBOOK,  # nonmusical sound recording
    "j": DocType.CD,  # musical sound recording
    "k": DocType.IMAGE,  # two-dimensional nonprojectable graphic
    "m": DocType.MULTIMEDIA,  # computer file (008/26 tells games and documents)
    "o": DocType.MULTIMEDIA,  # kit
    "p": DocType.MULTIMEDIA,  # mixed materials
    "r": DocType.GAME,  # three-dimensional artefact (008/33 tells games from realia)
}
# 245$h, medium (the AACR2 general material designation), when leader/06 says text.
_MEDIUMS = (
    ("sound recording", DocType.CD),
    ("videorecording", DocType.DVD),
    ("motion picture", DocType.DVD),
    ("electronic resource", DocType.EBOOK),
    ("computer file", DocType.EBOOK),
    ("kit", DocType.MULTIMEDIA),
    ("cartographic material", DocType.MAP),
    ("map", DocType.MAP),
    ("music", DocType.SCORE),
    ("graphic", DocType.IMAGE),
    ("picture", DocType.IMAGE),
    ("game", DocType.GAME),
    ("large print", DocType.LARGE_PRINT),
    ("manuscript", DocType.OTHER),
)
_COMIC_GENRES = frozenset(
    {
        "comic books, strips, etc",
        "comic books",
        "comics (graphic works)",
        "graphic novels",
        "bandes dessinées",
        "romans graphiques",
        "mangas",
    }
)
_LARGE_PRINT_HEADINGS = frozenset(
    {
        "large type books",
        "large print books",
        "livres en gros caractères",
        "livres en gros caractère",
    }
)
_LARGE_PRINT_WORDS = ("large print", "large type", "gros caract", "grands caract")
_JUVENILE = frozenset("abcdj")  # 008/22: preschool, primary, pre-adolescent, adolescent, juvenile
_SUBJECT_TAGS = {
    "600": "abcdqt",
    "610": "abcdnt",
    "611": "acdent",
    "630": "adfklnps",
    "650": "ab",
    "651": "a",
}
_SUBDIVISIONS = frozenset("vxyz")


def normalise_marc21(record: MarcRecord) -> NormalisedRecord:
    """The catalogue's description of a MARC 21 record; raises
    :class:`NormalisationError` when 245 has neither $a nor $k."""
    tags = fields_by_tag(record)
    f245 = tags.get("245")
    title_field = f245[0] if f245 else None
    title = clean(title_field.get("a") or title_field.get("k")) if title_field else ""
    if not title:
        raise NormalisationError("Notice sans titre : zone 245 $a absente ou vide")
    subtitle = clean(title_field.get("b"))
    if not subtitle and " : " in title:
        title, _, subtitle = title.partition(" : ")
    identifiers = Identifiers()
    for item in tags.get("020", ()):
        identifiers.add_isbn(item.get("a"))
    for item in tags.get("022", ()):
        identifiers.add_issn(item.get("a"))
    for item in tags.get("024", ()):
        if item.indicators[:1] == "3":
            identifiers.add_ean(item.get("a"))
    f008 = _control(tags, "008")
    publication = _publication_field(tags)
    year = first_year(publication.get("c")) if publication else None
    if year is None:
        year = coded_year(f008[7:11])
    subjects = _subjects(tags)
    return NormalisedRecord(
        title=title,
        subtitle=subtitle,
        part=numbered_parts(title_field, "n", "p"),
        uniform_title=_uniform_title(tags),
        responsibility=join_clean(title_field.get_all("c"), " ; "),
        authors=_authors(tags),
        publisher=known(clean(publication.get("b"))) if publication else "",
        place=known(clean(publication.get("a"))) if publication else "",
        year=year,
        isbns=tuple(identifiers.isbns),
        eans=tuple(identifiers.eans),
        issns=tuple(identifiers.issns),
        language=_language(tags, f008),
        doc_type=doc_type(record.leader, tags, subjects),
        audience=_audience(record.leader, f008),
        subjects=subjects,
        summary="\n\n".join(
            v
            for v in (
                clean_text(" ".join(f.get_all("a") + f.get_all("b"))) for f in tags.get("520", ())
            )
            if v
        ),
        series=_series(tags),
        contents=_contents(tags),
        warnings=tuple(identifiers.warnings),
    )


def _control(tags: dict[str, list[Field]], tag: str) -> str:
    found = tags.get(tag)
    return found[0].value if found else ""


def _publication_field(tags: dict[str, list[Field]]) -> Field | None:
    """264 with second indicator 1 (publication, RDA), else 260, else the first 264."""
    f264 = tags.get("264", [])
    published = next((f for f in f264 if f.indicators[1:2] == "1"), None)
    if published:
        return published
    f260 = tags.get("260")
    if f260:
        return f260[0]
    return f264[0] if f264 else None


def _language(tags: dict[str, list[Field]], f008: str) -> str:
    code = f008[35:38].lower()
    if len(code) == 3 and code.isalpha():
        return code
    code = subfield(tags.get("041"), "a")[:3].lower()
    return code if len(code) == 3 and code.isalpha() else ""


def _is_continuing(leader: str) -> bool:
    # Leader/06 a or t with leader/07 b, i or s: 008 has the continuing-resources layout.
    return leader[6:7] in ("a", "t", " ", "") and leader[7:8] in ("b", "i", "s")


def _audience(leader: str, f008: str) -> str:
    """008/22, defined for books, computer files, music and visual materials only."""
    if leader[6:7] in ("e", "f", "p") or _is_continuing(leader):
        return ""
    code = f008[22:23]
    if code in _JUVENILE:
        return Audience.CHILDREN
    if code == "e":
        return Audience.ADULT
    return ""


# ----------------------------------------------------------------------------- document type


def _form_headings(tags: dict[str, list[Field]]) -> list[str]:
    """655 genre/form terms and the $v form subdivisions of subjects, lower-cased."""
    found = [clean(f.get("a")).lower() for f in tags.get("655", ())]
    for tag in _SUBJECT_TAGS:
        for item in tags.get(tag, ()):
            found.extend(clean(v).lower() for v in item.get_all("v"))
    return found


def doc_type(leader: str, tags: dict[str, list[Field]], subjects: tuple[str, ...] = ()) -> str:
    """The document type from leader/06-07, 007 and 008.

    Text is a periodical when leader/07 is "s" and an article when it is "a" or "b";
    another document (not a book) when 008/23 (form of item) is a microform (a, b, c) or
    007/00 is h; an e-book when 008/23 is o, q or s or 007/00 is c (electronic); a comic
    when 008/33 (literary form) is c or a genre term (655, or a $v form subdivision)
    says "Comic books, strips, etc.", "Graphic novels" or "Bandes dessinées"; large
    print when 008/23 is d, 245$h or 250 say so, or the heading "Large type books" is
    there. Computer files are games (008/26 g), e-books (d, document) or multimedia;
    projected media are images when 008/33 says filmstrip, slide or transparency;
    three-dimensional artefacts are games unless 008/33 says realia, model or diorama.
    """
    record_type = leader[6:7]
    level = leader[7:8]
    f008 = _control(tags, "008")
    kind = _LEADER_TYPES.get(record_type, DocType.BOOK)
    medium = clean(subfield(tags.get("245"), "h")).strip("[] ").lower()
    if kind == DocType.BOOK and medium:
        kind = next((k for prefix, k in _MEDIUMS if medium.startswith(prefix)), kind)
        if kind == DocType.CD:
            # Leader/06 says language material: a recording of a text, read aloud.
            kind = DocType.AUDIOBOOK
    if record_type == "m":
        computer = f008[26:27]
        if computer == "g":
            return DocType.GAME
        if computer == "d":
            return DocType.EBOOK
        return DocType.MULTIMEDIA
    if record_type == "g" and f008[33:34] in ("f", "s", "t"):
        return DocType.IMAGE
    if record_type == "r":
        return DocType.OTHER if f008[33:34] in ("r", "q", "d", "a", "c") else DocType.GAME
    if kind not in (DocType.BOOK, DocType.EBOOK, DocType.LARGE_PRINT):
        return kind
    if level == "s":
        online = f008[23:24] in ("o", "q", "s") or _control(tags, "007")[:1] == "c"
        return DocType.E_PERIODICAL if online or kind == DocType.EBOOK else DocType.PERIODICAL
    if level in ("a", "b"):
        return DocType.ARTICLE
    form_of_item = f008[23:24] if not _is_continuing(leader) else ""
    if form_of_item in ("a", "b", "c") or _control(tags, "007")[:1] == "h":
        return DocType.MICROFORM
    if kind == DocType.EBOOK or form_of_item in ("o", "q", "s") or _control(tags, "007")[:1] == "c":
        return DocType.EBOOK
    forms = _form_headings(tags)
    if f008[33:34] == "c" or any(f in _COMIC_GENRES for f in forms):
        return DocType.COMIC
    edition = clean(subfield(tags.get("250"), "a")).lower()
    if (
        kind == DocType.LARGE_PRINT
        or form_of_item == "d"
        or any(w in edition for w in _LARGE_PRINT_WORDS)
        or any(s.lower() in _LARGE_PRINT_HEADINGS for s in subjects)
        or any(f in _LARGE_PRINT_HEADINGS for f in forms)
    ):
        return DocType.LARGE_PRINT
    return DocType.BOOK


# ----------------------------------------------------------------------------- authors


def _relator(item: Field, term_code: str) -> tuple[str, str]:
    """(French label, code) from $4 (a code, or an id.loc.gov URI ending with one), else
    from the $e/$j term; a term we do not know is kept as the source wrote it."""
    code = item.get("4").strip().lower()
    if code:
        code = code.rstrip("/").rsplit("/", 1)[-1].strip(" .")
        return ROLES.get(code, ""), code
    term = clean(item.get(term_code))
    if not term:
        return "", ""
    key = term.lower().rstrip(".,; ")
    code = _TERMS.get(key, "")
    return (ROLES.get(code, term), code) if code else (term, "")


def _author(item: Field, kind: str) -> Author | None:
    if kind == "person":
        name = join_clean(v for c, v in item.subfields if c in "ab")
        term_code = "e"
    elif kind == "corporate":
        name = clean(" ".join(v for c, v in item.subfields if c in "abcdn"))
        term_code = "e"
    else:
        name = clean(" ".join(v for c, v in item.subfields if c in "acdn"))
        term_code = "j"
    if not name:
        return None
    role, code = _relator(item, term_code)
    return Author(name=name, role=role, role_code=code, kind=kind)


def _authors(tags: dict[str, list[Field]]) -> tuple[Author, ...]:
    """The main entry (100/110/111) first, else the first 700 whose role is author,
    else the first 700, else the first 710/711; then the others in record order."""

    def read(tag: str, kind: str) -> list[Author]:
        return [a for a in (_author(f, kind) for f in tags.get(tag, ())) if a]

    main = read("100", "person") + read("110", "corporate") + read("111", "meeting")
    added = read("700", "person")
    bodies = read("710", "corporate") + read("711", "meeting")
    if not main and not added:
        return first_author_first(bodies[:1], [], bodies[1:], AUTHOR_CODE)
    return first_author_first(main, added, bodies, AUTHOR_CODE)


# ----------------------------------------------------------------------------- subjects


def _subjects(tags: dict[str, list[Field]]) -> tuple[str, ...]:
    """600, 610, 611, 630, 650 and 651: the heading, then its subdivisions ($v $x $y $z,
    in record order) joined by " -- "."""
    headings = []
    for tag, main_codes in _SUBJECT_TAGS.items():
        for item in tags.get(tag, ()):
            main = clean(" ".join(v for c, v in item.subfields if c in main_codes))
            if not main:
                continue
            subdivisions = [clean(v) for c, v in item.subfields if c in _SUBDIVISIONS]
            headings.append(" -- ".join([main, *(s for s in subdivisions if s)]))
    return unique(headings)


# ----------------------------------------------------------------------------- series, contents


def _series(tags: dict[str, list[Field]]) -> tuple[str, ...]:
    """490 and 440 (series statements), 800/810/811 ($t) and 830 ($a): "Title ; volume"."""
    found = []
    for tag, title_codes in (
        ("490", "a"),
        ("440", "anp"),
        ("800", "tnp"),
        ("810", "tnp"),
        ("811", "tnp"),
        ("830", "anp"),
    ):
        for item in tags.get(tag, ()):
            title = clean(" ".join(v for c, v in item.subfields if c in title_codes))
            if not title:
                continue
            volume = clean(item.get("v"))
            found.append(f"{title} ; {volume}" if volume else title)
    return unique(found)


def _contents(tags: dict[str, list[Field]]) -> str:
    """505: the formatted note $a, or the titles $t (with their responsibility $r)."""
    parts = []
    for item in tags.get("505", ()):
        notes = [clean(v) for v in item.get_all("a")]
        if any(notes):
            parts.extend(notes)
            continue
        for code, value in item.subfields:
            if code == "t":
                parts.append(clean(value))
            elif code == "r" and parts:
                parts[-1] = f"{parts[-1]} / {clean(value)}"
    return " -- ".join(p for p in parts if p)


def _uniform_title(tags: dict[str, list[Field]]) -> str:
    """240 (uniform title under an author) or 130 (uniform title main entry), $a with its
    part ($n, $p) but without its language ($l): translations meet their original."""
    for tag in ("240", "130"):
        for uniform in tags.get(tag, ()):
            title = clean(uniform.get("a"))
            if title:
                part = numbered_parts(uniform, "n", "p")
                return f"{title}. {part}" if part else title
    return ""
