"""The Koha ILS-DI driver against an ``ilsdi.pl`` replayed on 127.0.0.1
(``tests/connectors/ilsdi_server.py``): GetAvailability for every record asked in one
request, copies matched by itemnumber or barcode, Koha's reasons in French, and a Koha
that hangs, fails or refuses."""

import time
from datetime import date

import pytest

from connectors.base import ConnectorError, ItemQuery, ItemStatus
from connectors.ilsdi.driver import IlsdiDriver, parse_get_availability
from connectors.mapping import PRESETS, read_items
from connectors.registry import get_driver
from tests.connectors.ilsdi_server import DATA, ilsdi_server_fixture, koha_record  # noqa: F401

pytestmark = pytest.mark.ilsdi

MEUSE = "Bibliothèque Départementale de la Meuse"
JEAN_PREVOST = "Médiathèque Jean Prévost"


def driver(server, **settings) -> IlsdiDriver:
    return IlsdiDriver({"base_url": server.url, **settings})


def harry_potter_copies() -> list[ItemQuery]:
    """The three copies of the real Koha record, as a harvest through OAI-PMH stores them
    (barcode 995$f, itemnumber 995$9, the OAI identifier as the record's)."""
    items = read_items(koha_record(), PRESETS["koha_unimarc_995"])
    return [
        ItemQuery(
            key=n,
            barcode=i.barcode,
            record_id="oai:bdm.example.org:33233",
            item_id=i.item_id,
            site_code=i.site_code,
        )
        for n, i in enumerate(items, start=1)
    ]


def test_one_request_asks_koha_about_the_record_and_matches_copies_by_itemnumber(ilsdi_server):
    copies = harry_potter_copies()
    assert [(c.item_id, c.barcode) for c in copies] == [
        ("33028", "2661690090"),
        ("33029", "2661680090"),
        ("33030", "2661660090"),
    ]
    statuses = driver(ilsdi_server).availability(copies, timeout=2)
    assert statuses == {
        1: ItemStatus(False, "Indisponible : en prêt", location=MEUSE),
        2: ItemStatus(False, "Indisponible : en prêt", location=MEUSE),
        3: ItemStatus(True, "En rayon", location=MEUSE),
    }
    assert ilsdi_server.requests() == [
        {"service": "GetAvailability", "id": "33233", "id_type": "bib"}
    ]


def test_every_reason_koha_gives_has_a_french_label(ilsdi_server):
    copies = [
        ItemQuery(key=1, record_id="501", item_id="9001"),
        ItemQuery(key=2, record_id="501", item_id="9002"),
        ItemQuery(key=3, record_id="501", item_id="9003"),
        ItemQuery(key=4, record_id="501", item_id="9004"),
        ItemQuery(key=5, record_id="501", item_id="9005"),  # Koha: "unknown"
        ItemQuery(key=6, record_id="502", barcode="3700000000017"),  # no itemnumber
        ItemQuery(key=7, record_id="503", item_id="9301"),  # a record Koha does not know
    ]
    statuses = driver(ilsdi_server).availability(copies, timeout=2)
    assert {k: s.label for k, s in statuses.items()} == {
        1: "Indisponible : exclu du prêt",
        2: "Indisponible : perdu",
        3: "Indisponible : retiré des collections",
        4: "Indisponible : endommagé",
        6: "Indisponible : en prêt jusqu'au 12/12/2026",
    }
    assert statuses[6] == ItemStatus(
        False,
        "Indisponible : en prêt jusqu'au 12/12/2026",
        due_date=date(2026, 12, 12),
        location=JEAN_PREVOST,
    )
    assert ilsdi_server.requests()[0]["id"] == "501 502 503"  # one request, Koha's syntax


def test_biblionumbers_are_the_digits_at_the_end_of_record_identifiers_by_default():
    ilsdi = IlsdiDriver({"base_url": "https://koha.example.org/cgi-bin/koha/ilsdi.pl"})
    assert ilsdi.biblionumber("oai:koha.example.org:123") == "123"
    assert ilsdi.biblionumber("123") == "123"
    assert ilsdi.biblionumber("sans numéro") == ""
    custom = IlsdiDriver({"biblionumber_pattern": r"^BIB(\d+)-"})
    assert custom.biblionumber("BIB42-FR") == "42"


def test_records_without_a_biblionumber_are_not_asked(ilsdi_server):
    copies = [ItemQuery(key=1, record_id="frBN000123X", barcode="1")]
    assert (
        driver(ilsdi_server, biblionumber_pattern=r"^(\d+)$").availability(copies, timeout=1) == {}
    )
    assert ilsdi_server.received == []


def test_a_koha_that_hangs_times_out_within_the_deadline(ilsdi_server):
    ilsdi_server.then(stall=5)
    started = time.monotonic()
    with pytest.raises(ConnectorError) as silent:
        driver(ilsdi_server).availability(harry_potter_copies(), timeout=0.5)
    elapsed = time.monotonic() - started
    assert "ne répond pas" in silent.value.message and silent.value.retryable
    assert elapsed < 0.9, elapsed


def test_a_server_error_is_retryable(ilsdi_server):
    ilsdi_server.then(status=500, body=b"Internal Server Error")
    with pytest.raises(ConnectorError) as failed:
        driver(ilsdi_server).availability(harry_potter_copies(), timeout=2)
    assert "HTTP 500" in failed.value.message and failed.value.retryable
    assert len(ilsdi_server.received) == 1  # no second try: a late answer is of no use


def test_broken_xml_is_an_error(ilsdi_server):
    ilsdi_server.then(body=b'<?xml version="1.0"?>\n<dlf:collection xmlns:dlf="http')
    with pytest.raises(ConnectorError) as broken:
        driver(ilsdi_server).availability(harry_potter_copies(), timeout=2)
    assert "n'est pas du XML lisible" in broken.value.message


def test_koha_refusing_the_service_says_why_in_french(ilsdi_server):
    with pytest.raises(ConnectorError) as refused:
        driver(ilsdi_server).availability([ItemQuery(key=1, record_id="403")], timeout=2)
    assert "le service ILS-DI est désactivé dans Koha" in refused.value.message
    assert "ILS-DI is disabled." in refused.value.message


def test_error_elements_and_other_documents_are_errors():
    with pytest.raises(ConnectorError, match="Quota dépassé"):
        parse_get_availability(
            "<dlf:collection xmlns:dlf='x'><error>Quota dépassé</error></dlf:collection>".encode()
        )
    with pytest.raises(ConnectorError, match="au lieu de <dlf:collection>"):
        parse_get_availability(b"<html><body>Koha</body></html>")


def test_the_driver_is_registered_for_availability_only_with_checked_settings():
    ilsdi = get_driver("ilsdi")
    assert ilsdi.supports("availability") and not ilsdi.supports("harvest")
    with pytest.raises(ConnectorError) as invalid:
        ilsdi.validate_settings(
            {"base_url": "https://koha.example.org/ilsdi.pl?service=GetAvailability"}
        )
    assert "sans « ?service=… »" in invalid.value.message
    with pytest.raises(ConnectorError, match="Expression régulière invalide"):
        ilsdi.validate_settings({"base_url": "https://k.example.org/", "biblionumber_pattern": "("})
    assert ilsdi.validate_settings({"base_url": "https://koha.example.org/ilsdi.pl"}) == {
        "base_url": "https://koha.example.org/ilsdi.pl",
        "biblionumber_pattern": r"(\d+)$",
        "timeout": 10,
    }


def test_the_synthetic_answer_is_consistent_with_the_real_getrecords():
    # The synthetic GetAvailability speaks of the items the real GetRecords lists.
    records = parse_get_availability((DATA / "synthetic_GetAvailability_33233.xml").read_bytes())
    assert set(records["33233"].items) == {i.item_id for i in harry_potter_copies()}
