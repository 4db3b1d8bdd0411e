"""Harvesting a real Zebra SRU server end to end, through ``harvest_connector``."""

import pytest

from catalogue.models import Item, Record
from connectors.models import Connector, RunStatus
from connectors.services import harvest_connector
from tests.connectors.zebra import zebra_fixture  # noqa: F401 (the fixture)

pytestmark = pytest.mark.zebra


def test_an_sru_server_is_harvested_into_the_catalogue_and_reharvested_unchanged(cast, zebra):
    connector = Connector.objects.create(
        library=cast.library_a,
        name="Zebra",
        driver="sru",
        settings={"base_url": zebra.base_url, "page_size": 10},
        item_mapping={"preset": "koha_unimarc_995"},
    )
    run = harvest_connector(connector)
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.read == zebra.record_count == 45
    assert run.read == run.created + run.unchanged + run.rejected
    local_ids = set(Record.objects.values_list("source__local_id", flat=True))
    assert "054273242" in local_ids  # 001 of the first record of cotes8.mrc
    assert Item.objects.filter(barcode="00000001158900").exists()  # its 995 copy
    again = harvest_connector(connector)
    assert (again.read, again.created, again.updated, again.missing) == (45, 0, 0, 0)
