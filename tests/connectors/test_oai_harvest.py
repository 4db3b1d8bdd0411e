"""Harvesting an OAI-PMH repository end to end: the replayed repository of
``tests/connectors/oai_server.py`` through ``harvest_connector`` into the catalogue."""

import pytest

from catalogue.models import Record, Work
from connectors.models import Connector, RunStatus, SourceRecord
from connectors.services import harvest_connector
from tests.connectors.oai_server import oai_server_fixture  # noqa: F401 (the fixture)

pytestmark = pytest.mark.oaipmh

# A page written from the OAI-PMH 2.0 specification (synthetic): the repository now says
# one record harvested before was deleted.
DELETION_PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2024-03-08T09:00:00Z</responseDate>
  <request verb="ListRecords">https://replay.metrobib.example/oai</request>
  <ListRecords>
    <record>
      <header status="deleted">
        <identifier>oai:replay.metrobib.example:054273242</identifier>
        <datestamp>2024-03-07T12:00:00Z</datestamp>
      </header>
    </record>
  </ListRecords>
</OAI-PMH>"""


@pytest.fixture
def connector(cast, oai_server):
    return Connector.objects.create(
        library=cast.library_a,
        name="Koha OAI",
        driver="oai_pmh",
        settings={"base_url": oai_server.url, "metadata_prefix": "marcxml"},
        item_mapping={"preset": "koha_unimarc_995"},
    )


def test_a_full_harvest_stores_records_and_remembers_where_to_start_next(connector):
    run = harvest_connector(connector)
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.full
    assert (run.read, run.deleted) == (11, 1)
    assert run.read == run.created + run.rejected + run.deleted
    assert Record.objects.filter(library=connector.library).count() == run.created
    connector.refresh_from_db()
    assert connector.next_since == "2024-03-01"  # the first responseDate, in days


def test_the_next_harvest_is_incremental_and_changes_nothing(connector, oai_server):
    harvest_connector(connector)
    works = set(Work.objects.values_list("pk", flat=True))
    oai_server.received.clear()
    run = harvest_connector(connector)
    assert not run.full
    assert oai_server.requests("ListRecords")[0]["from"] == "2024-03-01"
    assert run.created == run.updated == 0
    assert set(Work.objects.values_list("pk", flat=True)) == works


def test_a_record_deleted_in_the_repository_leaves_its_work(connector, oai_server):
    harvest_connector(connector)
    record = Record.objects.get(source__local_id="oai:replay.metrobib.example:054273242")
    work = record.work_id
    oai_server.then(file="sickle_Identify.xml")  # the next two answers: Identify,
    oai_server.then(body=DELETION_PAGE)  # then ListRecords
    run = harvest_connector(connector)
    assert (run.read, run.deleted) == (1, 1)
    assert not Record.objects.filter(pk=record.pk).exists()
    assert SourceRecord.objects.get(local_id=record.source.local_id).deleted
    assert not Record.objects.filter(work_id=work).exists()
    assert not Work.objects.filter(pk=work).exists()


def test_an_expired_resumption_token_fails_the_run_with_a_clear_message(cast, oai_server):
    connector = Connector.objects.create(
        library=cast.library_a,
        name="Gallica",
        driver="oai_pmh",
        settings={"base_url": oai_server.url, "metadata_prefix": "oai_dc"},
    )
    run = harvest_connector(connector)
    assert run.status == RunStatus.FAILED
    assert "jeton" in run.error.lower() or "badResumptionToken" in run.error
    assert run.read > 0  # the pages read before the error are kept
    connector.refresh_from_db()
    assert connector.consecutive_failures == 1


def test_a_run_resumed_with_an_expired_token_starts_over_and_completes(connector, oai_server):
    from connectors.models import HarvestRun

    # A run killed after its first page, resumed once the repository forgot the token.
    run = HarvestRun.objects.create(
        connector=connector,
        status=RunStatus.RUNNING,
        full=True,
        worker="elsewhere:1",
        resume={"token": "expired-token", "since": "", "until": "2024-03-01T10:00:00Z"},
    )
    oai_server.route(
        "sickle_badResumptionToken.xml", verb="ListRecords", resumptionToken="expired-token"
    )
    HarvestRun.objects.filter(pk=run.pk).update(heartbeat_at=None)  # its process is gone
    finished = harvest_connector(connector)
    assert finished.pk == run.pk
    assert finished.status == RunStatus.COMPLETED, finished.error
    assert finished.read == 11  # the whole repository, read again from the start
    assert Record.objects.filter(library=connector.library).count() == finished.created
