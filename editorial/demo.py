"""Demo news and selections for `make run` (texts written for the demo; works are real
records of the demo catalogue, found by title). Idempotent: pages are found by slug."""

from wagtail.rich_text import RichText

from editorial.models import LibraryPage, NewsIndexPage, NewsPage, SelectionIndexPage, SelectionPage

DEMO_LIBRARY_COMMUNE = "69266"  # Villeurbanne: the demo staff accounts' library

NETWORK_NEWS = {
    "slug": "agenda-des-bibliotheques",
    "title": "L'agenda de toutes les bibliothèques, au même endroit",
    "intro": "Contes, ateliers, rencontres : les animations des bibliothèques de la "
    "Métropole se trouvent désormais dans un seul agenda, avec inscription en ligne.",
    "body": [
        ("paragraph", "<p>Cherchez par commune, par âge ou par date : « ce week-end », "
         "« pour les enfants de 5 ans », « gratuit ». Quand une animation est sur "
         "inscription, vous réservez vos places en ligne et recevez un e-mail de "
         "confirmation ; si elle est complète, vous êtes inscrit sur la liste d'attente et "
         "prévenu dès qu'une place se libère.</p>"),
        ("paragraph", "<p>Chaque sélection de l'agenda s'exporte en iCalendar ou en RSS, "
         "pour l'afficher sur le site de votre commune.</p>"),
    ],
}  # fmt: skip

LIBRARY_NEWS = {
    "slug": "heure-du-conte-en-ligne",
    "title": "Heure du conte : les inscriptions se font en ligne",
    "intro": "Chaque mercredi matin, hors vacances scolaires, 15 places pour les 3-6 ans et "
    "leurs parents.",
    "body": [
        ("paragraph", "<p>Réservez jusqu'à quatre places pour une famille depuis la page "
         "de l'animation. Vous ne pouvez plus venir ? Le lien reçu par e-mail annule votre "
         "inscription et libère la place pour la famille suivante.</p>"),
    ],
}  # fmt: skip

# (block type, title as in the catalogue, document type, comment)
AUSTEN = [
    ("Pride and prejudice", "large_print",
     "Le roman le plus aimé de Jane Austen, en gros caractères pour un confort de lecture."),
    ("Pride and prejudice", "audiobook", "Pour l'écouter pendant les trajets."),
    ("Pride and prejudice", "dvd",
     "L'adaptation de la BBC (1995) : six épisodes, Colin Firth et Jennifer Ehle."),
    ("Sense and sensibility", "ebook", "Les deux sœurs Dashwood, en livre numérique."),
]  # fmt: skip
CHABON = [
    ("Summerland", "book",
     "Un roman d'aventures où le base-ball sauve le monde : pour les 10-13 ans."),
    ("The amazing adventures of Kavalier and Clay", "book",
     "Deux cousins inventent un super-héros dans le New York des années 1940 : prix "
     "Pulitzer 2001, pour les grands lecteurs."),
]  # fmt: skip


def load_demo_editorial() -> dict:
    """News and selections, network-wide and for the demo library; returns counts."""
    from network.models import Library

    created = 0
    news_index = NewsIndexPage.objects.get()
    created += _page(news_index, NewsPage, NETWORK_NEWS)
    selections = SelectionIndexPage.objects.get()
    created += _selection(
        selections,
        slug="jane-austen-sous-toutes-ses-formes",
        title="Jane Austen sous toutes ses formes",
        intro="Lire, écouter, regarder : le même roman dans les collections du réseau.",
        signed_by="Camille, coordination du réseau",
        items=AUSTEN,
    )
    library = Library.objects.filter(communes__insee_code=DEMO_LIBRARY_COMMUNE).first()
    library_page = LibraryPage.objects.filter(library=library).first() if library else None
    if library_page is not None:
        created += _page(library_page, NewsPage, LIBRARY_NEWS)
        created += _selection(
            library_page,
            slug="michael-chabon",
            title="Michael Chabon, de 10 à 99 ans",
            intro="Deux romans, deux âges, un même conteur.",
            signed_by="Noa, bibliothécaire jeunesse",
            items=CHABON,
        )
    return {"pages_created": created}


def _page(parent, model, spec: dict) -> int:
    if model.objects.child_of(parent).filter(slug=spec["slug"]).exists():
        return 0
    body = [(kind, RichText(value)) for kind, value in spec["body"]]
    page = model(title=spec["title"], slug=spec["slug"], intro=spec["intro"], body=body)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return 1


def _selection(parent, *, slug, title, intro, signed_by, items) -> int:
    from catalogue.models import Work

    if SelectionPage.objects.child_of(parent).filter(slug=slug).exists():
        return 0
    body = []
    for work_title, doc_type, comment in items:
        work = Work.objects.filter(title=work_title, doc_type=doc_type).order_by("pk").first()
        if work is not None:
            body.append(("work", {"work": work, "comment": comment}))
    if not body:
        return 0  # no demo catalogue: no selection rather than an empty one
    page = SelectionPage(title=title, slug=slug, intro=intro, signed_by=signed_by, body=body)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return 1
