"""What a librarian expects first, for queries patrons type.

Written before the ranking code (catalogue/search), on the corpus of
tests/catalogue/corpus.py. Each case gives a query and the work expected **first**:

- ``record="<export>:<local id>"``: the first work holds that record of that export;
- ``edition=..., author=...``: the first work holds an edition of that title (compared
  as deduplication compares titles: accents, case, articles, plurals aside) and its
  first author's surname is that author's (``author=""``: no author), when several
  works are equally good answers (two editions of "Le budget" by Stourm that
  deduplication keeps apart, a generic serial title). An edition, not the work's own
  title: deduplication names a work after its oldest record and files translations
  under the original through the uniform title;
- ``title_has``: the first work's own title holds these words in this order (as search
  compares words: stemmed, accents aside), when the corpus holds several such works;
- ``doc_type``: the first work is of that type (the novel, not its film).

Queries are what goes in the search box (``q``) or, for the advanced form, the fields
``titre``, ``auteur``, ``sujet``. A typo's expected work is the one shown first after
the portal corrects the query ("Vouliez-vous dire…" shown as "Résultats pour …").
"""

from dataclasses import dataclass, field

from catalogue.marc import MarcRecord, read_marc_file
from catalogue.normalize import normalise
from tests.catalogue.corpus import EXPORTS


@dataclass(frozen=True)
class Case:
    query: str = ""
    fields: dict = field(default_factory=dict)
    record: str = ""
    edition: str = ""
    author: str | None = None
    title_has: str = ""
    doc_type: str = ""
    why: str = ""

    @property
    def label(self) -> str:
        return self.query or " ".join(f"{k}={v}" for k, v in self.fields.items())


HAND = [
    # Titles, as typed: exact, partial, without accents or case, with stop words.
    Case("Traité de la science des finances", record="demo-unimarc:054273242", why="exact title"),
    Case(
        "traite science finances", record="demo-unimarc:054273242", why="no accents, no stop words"
    ),
    Case("TRAITÉ DE LA SCIENCE DES FINANCES", record="demo-unimarc:054273242", why="capitals"),
    Case(
        "Finances publiques",
        record="demo-unimarc:051022575",
        why="title before the subject many works share",
    ),
    Case("l'état moderne", record="demo-unimarc:10696206X", why="elision, accent the record lacks"),
    Case("etat moderne fonctions", record="demo-unimarc:10696206X", why="title words"),
    Case("psychologie économique", record="demo-unimarc:011341564", why="exact title"),
    Case(
        "domination française en Allemagne",
        edition="La domination française en Allemagne",
        author="rambaud",
        why="two works, same title",
    ),
    Case("verrerie ouvriere albi", record="demo-unimarc:104859482", why="no accents, stop words"),
    Case("Lollipop", record="demo-unimarc:1/121394", why="exact title"),
    Case(
        "harry potter ecole sorciers",
        edition="Harry Potter à l'école des sorciers",
        author="rowling",
        why="accents, plural, stop words",
    ),
    Case("Huckleberry Finn", record="demo-marc21:71460260", why="title words"),
    Case(
        "pride and prejudice",
        edition="Pride and prejudice",
        author="austen",
        doc_type="book",
        why="the novel, not its film or retellings",
    ),
    Case(
        "Sense and sensibility",
        edition="Sense and sensibility",
        author="austen",
        doc_type="book",
        why="the novel, not the audiobook",
    ),
    Case(
        "orgueil et préjugés",
        edition="Orgueil et préjugés",
        author="austen",
        why="the French translation",
    ),
    Case(
        "orgueil prejuge",
        edition="Orgueil et préjugés",
        author="austen",
        why="singular, no accents",
    ),
    Case(
        "raison et sentiments",
        edition="Raison et sentiments",
        author="austen",
        why="French translation",
    ),
    Case(
        "Actes de la recherche en sciences sociales",
        record="periouni:039525821",
        why="a serial's exact title",
    ),
    Case(
        "revue philosophique de la France et de l'étranger",
        edition="Revue philosophique de la France et de l'étranger",
        author="",
        why="long serial title with elision",
    ),
    # Authors.
    Case("Nöstlinger", record="demo-unimarc:1/121394", why="author"),
    Case("nostlinger", record="demo-unimarc:1/121394", why="author without the umlaut"),
    Case("Rowling", edition="Harry Potter à l'école des sorciers", author="rowling", why="author"),
    Case("mark twain", record="demo-marc21:71460260", why="author, forename first"),
    Case("Stourm budget", edition="Le budget", author="stourm", why="author and title word"),
    Case("austen emma", record="demo-marc21:3091490", why="author and title"),
    Case(
        "Leroy-Beaulieu finances",
        record="demo-unimarc:054273242",
        why="hyphenated author and title word",
    ),
    Case("pouchkine", record="demo-unimarc:066451582", why="a name in the title and the subject"),
    # Identifiers.
    Case("9782211034012", record="demo-unimarc:1/121394", why="ISBN-13"),
    Case("2-211-03401-2", record="demo-unimarc:1/121394", why="ISBN-10 with hyphens"),
    Case(
        "978-2-07-051842-5",
        edition="Harry Potter à l'école des sorciers",
        author="rowling",
        why="ISBN-13 with hyphens",
    ),
    Case("0335-5322", record="periouni:039525821", why="ISSN"),
    Case("03355322", record="periouni:039525821", why="ISSN without hyphen"),
    # Phrases.
    Case(
        '"science politique"',
        title_has="science politique",
        why="the phrase in a title before a subject (Sciences Po's serials hold it in theirs)",
    ),
    # Typos.
    Case("Lolipop", record="demo-unimarc:1/121394", why="typo: a letter missing"),
    Case(
        "Pride and prejudise",
        edition="Pride and prejudice",
        author="austen",
        doc_type="book",
        why="typo",
    ),
    Case("psycologie economique", record="demo-unimarc:011341564", why="typo and no accent"),
    Case("Huckelberry Finn", record="demo-marc21:71460260", why="typo: letters swapped"),
    Case("verrerie ouvrière d'Alby", record="demo-unimarc:104859482", why="typo in a place name"),
    # The advanced form's fields.
    Case(
        fields={"auteur": "Zolla", "titre": "blé"},
        record="demo-unimarc:q05433151X",
        why="author and title fields",
    ),
    Case(
        fields={"titre": "budget", "auteur": "Stourm"},
        edition="Le budget",
        author="stourm",
        why="title field",
    ),
    Case(
        fields={"sujet": "Napoléon"},
        edition="La domination française en Allemagne",
        author="rambaud",
        why="subject field; Sorel's short stories have it too, as a later subject",
    ),
]


def drawn() -> list[Case]:
    """Ten or more queries drawn by a fixed rule from real titles, chosen before any
    result was seen: the title proper (as normalised) of every 7th record of the demo
    UNIMARC export (positions 0, 7, …, 70) and of every 500th serial of periouni.mrc
    (positions 249, 749, …, 2749). The expected work holds an edition of that title and
    has that first author: exact title first."""
    cases = []
    for export_name, positions in (
        ("demo-unimarc", range(0, 75, 7)),
        ("periouni", range(249, 3064, 500)),
    ):
        export = next(e for e in EXPORTS if e.name == export_name)
        with export.path.open("rb") as stream:
            records = [r for r in read_marc_file(stream)]
        for position in positions:
            record = records[position]
            assert isinstance(record, MarcRecord)
            normalised = normalise(record)
            author = normalised.authors[0].name if normalised.authors else ""
            cases.append(
                Case(
                    normalised.title,
                    edition=normalised.title,
                    author=author,
                    why=f"drawn: {export_name} record {position}",
                )
            )
    return cases
