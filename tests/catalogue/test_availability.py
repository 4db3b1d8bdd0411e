"""Live availability across the network (catalogue/availability.py) with real peers at
once: a SIP2 server, a Koha ILS-DI, a SIP2 server that hangs, and a library that offers
nothing live."""

import time

import pytest
from django.core.cache import cache
from django.utils import timezone
from pysip2 import ItemInformationRequest

from catalogue.availability import (
    LIVE,
    NOT_OFFERED,
    NOTICES,
    UNREACHABLE,
    live_availability,
)
from catalogue.models import Item, Record
from connectors.base import ItemStatus
from connectors.mapping import PRESETS, read_items
from connectors.models import Connector, SourceRecord
from tests.connectors.ilsdi_server import ilsdi_server_fixture, koha_record  # noqa: F401
from tests.connectors.sip2_peers import (
    INSTITUTION,
    RawPeer,
    hangs,
    sip2_peer_fixture,  # noqa: F401
)
from tests.factories import LibraryFactory

pytestmark = [pytest.mark.sip2, pytest.mark.ilsdi]

TIMEOUT = 1.0
MARGIN = 0.5  # what the whole call may take beyond the timeout


@pytest.fixture(autouse=True)
def _empty_cache(db, settings):
    settings.AVAILABILITY_TIMEOUT = TIMEOUT
    settings.AVAILABILITY_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def harvested_copies(library, local_id: str, copies: list[dict]) -> list[Item]:
    """A record as a harvest leaves it, with these copies (Item fields)."""
    source_connector, _ = Connector.objects.get_or_create(
        library=library, name="Catalogue", defaults={"driver": "marc_file"}
    )
    source = SourceRecord.objects.create(
        connector=source_connector,
        local_id=local_id,
        format="marcxml",
        payload=b"<record/>",
        checksum=local_id[-32:],
        last_seen_at=timezone.now(),
    )
    record = Record.objects.create(source=source, library=library, title="Titre", doc_type="book")
    for copy in copies:
        Item.objects.create(record=record, library=library, **copy)
    return list(Item.objects.filter(record=record).select_related("record__source"))


def sip2_connector(library, port: int) -> Connector:
    return Connector.objects.create(
        library=library,
        name="SIP2",
        driver="sip2",
        schedule="manual",
        settings={"host": "127.0.0.1", "port": port, "institution_id": INSTITUTION},
    )


@pytest.fixture
def network(cast, sip2_peer, ilsdi_server):
    """Bron asks its SIP2 server, Vénissieux its Koha (ILS-DI), a third library a SIP2
    server that never answers, a fourth has no live connector."""
    hanging = RawPeer(hangs)
    with hanging:

        class Network:
            pass

        n = Network()
        n.sip2, n.ilsdi, n.hanging = sip2_peer, ilsdi_server, hanging
        n.bron = harvested_copies(
            cast.library_a,
            "054273242",
            [
                {"barcode": "3700000000017", "available": None, "status": "L4"},
                {"barcode": "3700000000024", "available": None, "status": "L4"},
            ],
        )
        sip2_connector(cast.library_a, sip2_peer.port)
        koha_items = read_items(koha_record(), PRESETS["koha_unimarc_995"])
        n.venissieux = harvested_copies(
            cast.library_b,
            "oai:bdm.example.org:33233",
            [
                {"barcode": i.barcode, "source_item_id": i.item_id, "available": True}
                for i in koha_items
            ],
        )
        Connector.objects.create(
            library=cast.library_b,
            name="Koha ILS-DI",
            driver="ilsdi",
            schedule="manual",
            settings={"base_url": ilsdi_server.url},
        )
        n.silent_library = LibraryFactory(name="Bibliothèque muette")
        n.silent = harvested_copies(n.silent_library, "1", [{"barcode": "3700000000017"}])
        sip2_connector(n.silent_library, hanging.port)
        n.offline_library = LibraryFactory(name="Bibliothèque sans SIGB relié")
        n.offline = harvested_copies(n.offline_library, "2", [{"barcode": "3700000000017"}])
        n.all = n.bron + n.venissieux + n.silent + n.offline
        yield n


def timed(items):
    started = time.monotonic()
    report = live_availability(items)
    return report, time.monotonic() - started


def test_every_system_is_asked_at_once_and_a_hanging_one_does_not_hold_the_page(cast, network):
    report, elapsed = timed(network.all)
    assert elapsed < TIMEOUT + MARGIN, elapsed
    states = {library_id: entry.state for library_id, entry in report.libraries.items()}
    assert states == {
        cast.library_a.pk: LIVE,
        cast.library_b.pk: LIVE,
        network.silent_library.pk: UNREACHABLE,
        network.offline_library.pk: NOT_OFFERED,
    }
    silent = report.library(network.silent_library.pk)
    assert silent.notice == (
        "Le système de la bibliothèque ne répond pas : statut de la dernière moisson."
    )
    assert report.library(network.offline_library.pk).notice == NOTICES[NOT_OFFERED]
    assert report.library(cast.library_a.pk).checked_at is not None
    on_shelf, on_loan = network.bron
    assert report.live_status(on_shelf) == ItemStatus(
        True, "En rayon", location="Médiathèque Jean Prévost"
    )
    assert report.live_status(on_loan).label == "En prêt jusqu'au 12/12/2026"
    koha = [report.live_status(i).label for i in network.venissieux]
    assert koha == ["Indisponible : en prêt", "Indisponible : en prêt", "En rayon"]
    for item in network.silent + network.offline:  # they keep their harvested status
        assert report.live_status(item) is None


def test_a_second_call_within_the_cache_time_asks_no_system(cast, network):
    live_availability(network.all)
    asked_sip2 = len(network.sip2.requests(ItemInformationRequest))
    asked_koha = len(network.ilsdi.received)
    asked_silent = len(network.hanging.frames)
    assert (asked_sip2, asked_koha, asked_silent) == (2, 1, 1)
    report, elapsed = timed(network.all)
    assert len(network.sip2.requests(ItemInformationRequest)) == asked_sip2
    assert len(network.ilsdi.received) == asked_koha
    assert len(network.hanging.frames) == asked_silent  # a failure is remembered too
    assert elapsed < 0.3, elapsed
    assert report.library(cast.library_a.pk).state == LIVE
    assert report.live_status(network.bron[0]).label == "En rayon"
    assert report.library(network.silent_library.pk).state == UNREACHABLE


def test_the_cache_is_per_set_of_copies(cast, network):
    live_availability(network.bron)
    live_availability(network.bron[:1])  # another set: asked again
    assert len(network.sip2.requests(ItemInformationRequest)) == 3


def test_a_library_uses_its_first_enabled_availability_connector(cast, network):
    first = Connector.objects.get(library=cast.library_a, driver="sip2")
    Connector.objects.create(  # a later one, never asked
        library=cast.library_a,
        name="Autre SIP2",
        driver="sip2",
        schedule="manual",
        settings={"host": "127.0.0.1", "port": network.hanging.port, "institution_id": "X"},
    )
    report = live_availability(network.bron)
    assert report.library(cast.library_a.pk).connector_id == first.pk
    first.enabled = False
    first.save()
    cache.clear()
    report = live_availability(network.bron)
    assert report.library(cast.library_a.pk).state == UNREACHABLE  # the other one hangs
