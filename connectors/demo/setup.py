"""The demo catalogue `make run` loads: two libraries' exports harvested by the demo driver."""

from connectors.models import Connector, HarvestRun, SiteCode
from connectors.services import harvest_connector
from network.models import Library

# (library's commune, connector name, demo export, item preset, source site code)
DEMO_CONNECTORS = [
    ("69266", "Catalogue (démonstration UNIMARC)", "unimarc", "koha_unimarc_995", "751072303"),
    ("69123", "Catalogue (démonstration MARC 21)", "marc21", "koha_marc21_952", ""),
]


def load_demo_catalogue() -> list[HarvestRun]:
    """Create the demo connectors if missing and harvest them (an unchanged re-run is fast)."""
    runs = []
    for insee, name, export, preset, site_code in DEMO_CONNECTORS:
        library = Library.objects.filter(communes__insee_code=insee).order_by("pk").first()
        if library is None:
            continue
        connector, _ = Connector.objects.get_or_create(
            library=library,
            name=name,
            defaults={
                "driver": "demo",
                "settings": {"export": export},
                "item_mapping": {"preset": preset},
                "schedule": "daily",
            },
        )
        site = library.sites.order_by("pk").first()
        if site_code and site is not None:
            SiteCode.objects.get_or_create(
                connector=connector, code=site_code, defaults={"site": site}
            )
        runs.append(harvest_connector(connector))
    return runs
