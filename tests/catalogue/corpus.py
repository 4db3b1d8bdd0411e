"""The search corpus: real exports harvested into four libraries of the network.

Relevance, facets and the search pages are tested on this catalogue. It is harvested by
the real harvest machinery (connectors, ingest, deduplication, indexing), so what the
tests search is what a library's export becomes.

- Villeurbanne: the demo UNIMARC export (Sciences Po's 75 records with 995 copies at a
  site, and *Lollipop*), as ``make run`` loads it.
- Lyon: the demo MARC 21 export (Library of Congress records around *Pride and
  Prejudice*, editions, translations, adaptations, films; Perl books; Chabon).
- Bron: Sciences Po's 3,064 UNIMARC serials (``periouni.mrc``), no copies.
- Vénissieux: ``cotes8.mrc`` again (the same 35 books, so those works are held by two
  libraries) with copies at its own site, and a French public library's Koha record of
  *Harry Potter à l'école des sorciers* (UNIMARC 995, three copies).
"""

from dataclasses import dataclass
from pathlib import Path

from connectors.models import Connector, SiteCode
from connectors.services import harvest_connector
from tests.factories import CommuneFactory, LibraryFactory, SiteFactory

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "catalogue"
DATA = ROOT / "tests" / "data" / "marc"


@dataclass(frozen=True)
class Export:
    name: str  # how tests name it: "<name>:<local id>"
    library: str  # the library's slug
    path: Path
    preset: str
    site_code: str = ""  # the code its copies carry for the library's site


EXPORTS = [
    Export(
        "demo-unimarc", "villeurbanne", DEMO / "demo-unimarc.mrc", "koha_unimarc_995", "751072303"
    ),
    Export("demo-marc21", "lyon", DEMO / "demo-marc21.mrc", "koha_marc21_952"),
    Export("periouni", "bron", DATA / "periouni.mrc", "koha_unimarc_995"),
    Export("cotes8", "venissieux", DATA / "cotes8.mrc", "koha_unimarc_995", "751072303"),
    Export(
        "harry-potter",
        "venissieux",
        DATA / "koha_ilsdi_harry_potter.xml",
        "koha_unimarc_995",
        "BDM",
    ),
]

LIBRARIES = {
    # slug: (library name, commune INSEE code, commune name, site name)
    "villeurbanne": (
        "Réseau des médiathèques de Villeurbanne",
        "69266",
        "Villeurbanne",
        "Maison du livre, de l'image et du son",
    ),
    "lyon": ("Bibliothèque municipale de Lyon", "69123", "Lyon", "Bibliothèque de la Part-Dieu"),
    "bron": ("Médiathèques de Bron", "69029", "Bron", "Médiathèque Jean Prévost"),
    "venissieux": ("Médiathèques de Vénissieux", "69259", "Vénissieux", "Médiathèque Lucie Aubrac"),
}


@dataclass
class Corpus:
    libraries: dict
    sites: dict
    connectors: dict  # export name → Connector


def load_corpus() -> Corpus:
    """Create the four libraries and harvest every export (about 3,600 records)."""
    libraries, sites, connectors = {}, {}, {}
    for slug, (name, insee, commune_name, site_name) in LIBRARIES.items():
        commune = CommuneFactory(insee_code=insee, name=commune_name)
        libraries[slug] = LibraryFactory(name=name, slug=slug, communes=[commune])
        sites[slug] = SiteFactory(library=libraries[slug], commune=commune, name=site_name)
    for export in EXPORTS:
        connector = Connector.objects.create(
            library=libraries[export.library],
            name=f"Export {export.name}",
            driver="marc_file",
            settings={"path": str(export.path)},
            item_mapping={"preset": export.preset},
            schedule="manual",
        )
        if export.site_code:
            SiteCode.objects.create(
                connector=connector, code=export.site_code, site=sites[export.library]
            )
        run = harvest_connector(connector)
        assert run.status == "completed", run.error
        connectors[export.name] = connector
    return Corpus(libraries, sites, connectors)
