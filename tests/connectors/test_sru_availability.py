"""Live availability through SRU against a real Zebra (tests/connectors/zebra.py): one
searchRetrieve for the records asked, their copies read with the connector's item mapping
and matched to the copies asked by barcode."""

import pytest

from connectors import mapping
from connectors.base import ConnectorError, ItemQuery, ItemStatus
from connectors.sru.driver import SruDriver, record_query
from tests.connectors.zebra import zebra_fixture  # noqa: F401 (the fixture)

pytestmark = pytest.mark.zebra

# Koha's 995 with the Sciences Po library's own statuses in $o: L4 is a copy on the shelf,
# L1 and L3 copies that cannot be borrowed.
MAPPING = mapping.resolve(
    {
        "preset": "koha_unimarc_995",
        "available_statuses": ["L4"],
        "unavailable_statuses": ["L1", "L3"],
    }
)


def copies_in(zebra, status: str) -> list[tuple[str, str]]:
    """(record identifier, barcode) of the indexed copies with this 995$o."""
    return [
        (record.control("001"), item.barcode)
        for record in zebra.records
        for item in mapping.read_items(record, MAPPING)
        if item.status == status
    ]


def test_copies_are_read_in_the_records_the_server_returns_and_matched_by_barcode(zebra):
    first_record, first_copy = copies_in(zebra, "L4")[0]
    second_copy = copies_in(zebra, "L4")[1][1]
    excluded_record, excluded_copy = copies_in(zebra, "L3")[0]
    queries = [
        ItemQuery(key=1, barcode=first_copy, record_id=first_record),
        ItemQuery(key=2, barcode=second_copy, record_id=first_record),
        ItemQuery(key=3, barcode=excluded_copy, record_id=excluded_record),
        ItemQuery(key=4, barcode="0000000000", record_id=first_record),  # not in the record
        ItemQuery(key=5, barcode="1234", record_id="999999999"),  # not in the catalogue
    ]
    statuses = SruDriver({"base_url": zebra.base_url}).availability(
        queries, timeout=2, mapping=MAPPING
    )
    assert statuses == {
        1: ItemStatus(True, "En rayon"),
        2: ItemStatus(True, "En rayon"),
        3: ItemStatus(False, "Indisponible"),
    }


def test_the_record_identifier_index_is_a_setting(zebra):
    record_id, barcode = copies_in(zebra, "L4")[0]
    query = [ItemQuery(key=1, barcode=barcode, record_id=record_id)]
    with pytest.raises(ConnectorError) as unknown:
        SruDriver({"base_url": zebra.base_url, "record_id_index": "rec.nope"}).availability(
            query, timeout=2, mapping=MAPPING
        )
    assert "Le serveur SRU a renvoyé une erreur" in unknown.value.message


def test_without_an_item_mapping_there_is_nothing_to_read(zebra):
    with pytest.raises(ConnectorError, match="pas de lecture des exemplaires"):
        SruDriver({"base_url": zebra.base_url}).availability(
            [ItemQuery(key=1, barcode="1", record_id="1")], timeout=2, mapping=None
        )


def test_record_identifiers_are_quoted_in_cql():
    assert record_query("rec.id", ["054273242", 'a"b']) == 'rec.id="054273242" or rec.id="a\\"b"'
