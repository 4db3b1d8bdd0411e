"""Live availability without a library system: the demo driver (what ``make run`` shows),
libraries that offer nothing live, and a system that refuses the connection."""

import logging
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from catalogue.availability import LIVE, NOT_OFFERED, UNREACHABLE, live_availability
from catalogue.models import Item, Record
from connectors.base import ItemQuery
from connectors.demo.driver import DemoDriver, demo_status
from connectors.models import Connector, SourceRecord
from connectors.services import harvest_connector
from tests.connectors.sip2_peers import free_port


@pytest.fixture(autouse=True)
def _empty_cache(db, settings):
    settings.AVAILABILITY_TIMEOUT = 1.0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_copies(cast):
    connector = Connector.objects.create(
        library=cast.library_a,
        name="Catalogue (démonstration UNIMARC)",
        driver="demo",
        settings={"export": "unimarc"},
        item_mapping={"preset": "koha_unimarc_995"},
    )
    run = harvest_connector(connector)
    assert run.status == "completed", run.error
    return list(Item.objects.filter(library=cast.library_a).select_related("record__source"))


def test_the_demo_connector_answers_for_the_copies_of_its_export(cast, demo_copies):
    report = live_availability(demo_copies)
    assert report.library(cast.library_a.pk).state == LIVE
    assert set(report.items) == {i.pk for i in demo_copies if i.barcode}
    statuses = list(report.items.values())
    on_loan = [s for s in statuses if not s.available]
    assert 0.15 < len(on_loan) / len(statuses) < 0.5  # one in three, give or take
    today = timezone.localdate()
    for status in on_loan:
        assert today < status.due_date <= today + timedelta(days=21)
        assert status.label == f"En prêt jusqu'au {status.due_date:%d/%m/%Y}"
    assert {s.label for s in statuses if s.available} == {"En rayon"}


def test_demo_statuses_are_stable_for_the_day_and_change_with_it():
    barcodes = [f"00000001{n:06d}" for n in range(300)]
    today = date(2026, 12, 1)
    first = [demo_status(b, today) for b in barcodes]
    assert first == [demo_status(b, today) for b in barcodes]
    assert first != [demo_status(b, today + timedelta(days=1)) for b in barcodes]


def test_the_demo_does_not_answer_for_copies_that_are_not_in_its_export():
    queries = [ItemQuery(key=1, barcode="00000001158900"), ItemQuery(key=2, barcode="99")]
    assert set(DemoDriver({"export": "unimarc"}).availability(queries, timeout=1)) == {1}


def test_a_library_without_a_live_connector_is_not_offered(cast):
    Connector.objects.create(library=cast.library_a, name="Export", driver="marc_file")
    items = _copies(cast.library_a)
    report = live_availability(items)
    assert report.library(cast.library_a.pk).state == NOT_OFFERED
    assert report.items == {}


def test_a_disabled_connector_is_not_asked(cast):
    Connector.objects.create(
        library=cast.library_a,
        name="SIP2",
        driver="sip2",
        enabled=False,
        settings={"host": "127.0.0.1", "port": free_port(), "institution_id": "BRON"},
    )
    report = live_availability(_copies(cast.library_a))
    assert report.library(cast.library_a.pk).state == NOT_OFFERED


def test_a_system_that_refuses_is_unreachable_and_logged_with_the_connector_id(cast, caplog):
    connector = Connector.objects.create(
        library=cast.library_a,
        name="SIP2",
        driver="sip2",
        settings={"host": "127.0.0.1", "port": free_port(), "institution_id": "BRON"},
    )
    with caplog.at_level(logging.WARNING, logger="catalogue.availability"):
        report = live_availability(_copies(cast.library_a))
    assert report.library(cast.library_a.pk).state == UNREACHABLE
    assert report.library(cast.library_a.pk).connector_id == connector.pk
    (warning,) = [r for r in caplog.records if r.name == "catalogue.availability"]
    assert warning.levelno == logging.WARNING
    assert f"connector {connector.pk} failed" in warning.getMessage()


def test_no_copies_no_question():
    report = live_availability([])
    assert report.libraries == {} and report.items == {}


def _copies(library) -> list[Item]:
    """One harvested record with one copy (barcode 3700000000017)."""
    source_connector = library.connectors.order_by("pk").first() or Connector.objects.create(
        library=library, name="Catalogue", driver="marc_file"
    )
    source = SourceRecord.objects.create(
        connector=source_connector,
        local_id="1",
        format="iso2709",
        payload=b"",
        checksum="0" * 32,
        last_seen_at=timezone.now(),
    )
    record = Record.objects.create(source=source, library=library, title="Titre", doc_type="book")
    Item.objects.create(record=record, library=library, barcode="3700000000017")
    return list(Item.objects.filter(record=record).select_related("record__source"))
