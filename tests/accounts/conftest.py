"""Fixtures of the patrons' tests."""

import pytest

from connectors.models import Connector
from tests.factories import LibraryFactory


@pytest.fixture
def systems(cast):
    """The demo systems of Bron (library A), Vénissieux (library B) and Caluire."""
    caluire = LibraryFactory(name="Bibliothèque de Caluire-et-Cuire", slug="caluire")
    made = {}
    for library, export, pattern in (
        (cast.library_a, "reseau-bron", r"2902\d{6}"),
        (cast.library_b, "reseau-venissieux", r"2925\d{6}"),
        (caluire, "reseau-caluire", r"2903\d{6}"),
    ):
        made[export] = Connector.objects.create(
            library=library,
            name="Système (démonstration)",
            driver="demo",
            settings={"export": export},
            item_mapping={"preset": "koha_unimarc_995"},
            card_pattern=pattern,
            schedule="manual",
        )
    return made
