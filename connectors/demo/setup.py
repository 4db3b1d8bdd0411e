"""The demo catalogue `make run` loads: six libraries' exports harvested by the demo driver.

Villeurbanne and Lyon have the real exports as they are; Vénissieux, Bron, Caluire-et-Cuire
and Rillieux-la-Pape have real records with demonstration copies at their sites
(demo/catalogue/make_network_exports.py), so works are held by several libraries and
copies are on the shelf or on loan across the network.

And a small library run by volunteers, Poleymieux-au-Mont-d'Or, without a library system
the portal could reach: its patron list is imported from a CSV file (the patron_file
driver), one of its made-up patrons with a password already chosen.
"""

from pathlib import Path

from django.conf import settings

from connectors.demo.driver import DEMO_PRESETS
from connectors.demo.ils import card_pattern
from connectors.models import Connector, HarvestRun, PatronImport, SiteCode
from connectors.patron_file.importer import import_patron_file
from connectors.services import harvest_connector
from network.models import Library

SITES_BY_THEIR_CODE = "ministry"  # copies carry the Ministry of Culture's site codes
# (library's commune, connector name, demo export, site codes)
# Site codes: {code in the export: the site's code in the Ministry's list}, or
# SITES_BY_THEIR_CODE.
NETWORK = "Catalogue (démonstration réseau)"
DEMO_CONNECTORS = [
    ("69266", "Catalogue (démonstration UNIMARC)", "unimarc", {"751072303": "LI3109"}),
    ("69123", "Catalogue (démonstration MARC 21)", "marc21", {}),
    ("69259", NETWORK, "reseau-venissieux", SITES_BY_THEIR_CODE),
    ("69029", NETWORK, "reseau-bron", SITES_BY_THEIR_CODE),
    ("69034", NETWORK, "reseau-caluire", SITES_BY_THEIR_CODE),
    ("69286", NETWORK, "reseau-rillieux", SITES_BY_THEIR_CODE),
]


def _map_sites(connector: Connector, library: Library, site_codes) -> None:
    sites = {site.source_code: site for site in library.sites.all() if site.source_code}
    if site_codes == SITES_BY_THEIR_CODE:
        site_codes = {code: code for code in sites}
    for code, site_code in site_codes.items():
        site = sites.get(site_code) or library.sites.order_by("pk").first()
        if site is not None:
            SiteCode.objects.get_or_create(connector=connector, code=code, defaults={"site": site})


def load_demo_catalogue() -> list[HarvestRun]:
    """Create the demo connectors if missing and harvest them (an unchanged re-run is fast)."""
    runs = []
    for insee, name, export, site_codes in DEMO_CONNECTORS:
        library = Library.objects.filter(communes__insee_code=insee).order_by("pk").first()
        if library is None:
            continue
        connector, _ = Connector.objects.get_or_create(
            library=library,
            name=name,
            defaults={
                "driver": "demo",
                "settings": {"export": export},
                "item_mapping": {"preset": DEMO_PRESETS[export]},
                "schedule": "daily",
            },
        )
        pattern = card_pattern(export)
        if pattern and connector.card_pattern != pattern:
            connector.card_pattern = pattern
            connector.save(update_fields=["card_pattern"])
        _map_sites(connector, library, site_codes)
        runs.append(harvest_connector(connector))
    return runs


# (library's commune, connector name, patron list in demo/, card pattern)
DEMO_PATRON_FILE = (
    "69153",
    "Lecteurs (liste importée, démonstration)",
    "patrons/demo-poleymieux.csv",
    r"2915\d{6}",
)
# Made-up patrons of that list whose password is set at each run (README, demo cards).
DEMO_PASSWORDS = {"2915000401": "Lire-au-Mont-d-Or"}


def load_demo_patron_file() -> PatronImport | None:
    """Create the demo patron_file connector if missing, import its list (the same file
    again changes nothing) and give the demo patron their password."""
    insee, name, file_name, pattern = DEMO_PATRON_FILE
    library = Library.objects.filter(communes__insee_code=insee).order_by("pk").first()
    if library is None:
        return None
    connector, _ = Connector.objects.get_or_create(
        library=library,
        name=name,
        defaults={"driver": "patron_file", "schedule": "manual", "card_pattern": pattern},
    )
    path = Path(settings.BASE_DIR) / "demo" / file_name
    record = import_patron_file(connector, path.read_bytes(), file_name=path.name)
    for card_number, password in DEMO_PASSWORDS.items():
        patron = connector.file_patrons.get(card_number=card_number)
        if not patron.check_password(password):
            patron.set_password(password)
            patron.save(update_fields=["password", "password_set_at", "updated_at"])
    return record
