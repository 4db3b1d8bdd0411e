"""Our OAI-PMH provider harvested over HTTP from a live server: by the project's own
``oai_pmh`` driver into another library's connector (full, then incremental with
``from``), and by an independent client, Sickle."""

import pymarc
import pytest
from sickle import Sickle

from catalogue import exports
from catalogue.models import DeletedRecord, Record
from connectors.base import HarvestedRecord
from connectors.ingest import Ingest, remove_records
from connectors.models import Connector, RunStatus, SourceRecord
from connectors.services import harvest_connector
from tests.catalogue.test_exports import oai_dc_records
from tests.catalogue.test_oai import demo_connector

# Transactional (the live server reads what the test commits); serialized rollback puts
# back what migrations wrote (Wagtail's page tree) after each flush.
pytestmark = [
    pytest.mark.oaipmh,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def provider(cast, live_server, settings):
    """Library A's catalogue (the demo UNIMARC export and 3 Dublin Core records) served
    at the live server's /oai, in pages of 20."""
    settings.SITE_URL = live_server.url
    settings.OAI_REPOSITORY_IDENTIFIER = "metrobib.example"
    settings.OAI_PAGE_SIZE = 20
    cast.source = demo_connector(cast.library_a, "unimarc")
    cast.dc = oai_dc_records(cast.library_a, 3)
    cast.base_url = f"{live_server.url}/oai"
    return cast


def harvester(provider, prefix: str, **settings) -> Connector:
    return Connector.objects.create(
        library=provider.library_b,
        name=f"Métrobib ({prefix})",
        driver="oai_pmh",
        settings={"base_url": provider.base_url, "metadata_prefix": prefix, **settings},
        item_mapping={"preset": "koha_unimarc_995"},
    )


def titles(library, **filters) -> list[str]:
    return sorted(Record.objects.filter(library=library, **filters).values_list("title", flat=True))


def retitle(record: Record, title: str) -> None:
    """The library's system changed a record: its next export says so."""
    source = SourceRecord.objects.get(pk=record.source_id)
    marc = next(pymarc.MARCReader(bytes(source.payload), to_unicode=True, force_utf8=True))
    marc["200"]["a"] = title
    changed = HarvestedRecord(payload=marc.as_marc(), format="iso2709", local_id=source.local_id)
    Ingest(None, connector=source.connector).store([changed], {})


def test_our_harvester_copies_a_library_through_marcxml_then_follows_changes(provider):
    connector = harvester(provider, "marcxml", set_spec="bron")
    run = harvest_connector(connector)
    assert run.status == RunStatus.COMPLETED, run.error
    marc_records = {"source__format": "iso2709"}
    expected = titles(provider.library_a, **marc_records)
    assert run.read == run.created == len(expected) > 50
    assert titles(provider.library_b) == expected  # the Dublin Core records are not MARC
    copy = Record.objects.filter(library=provider.library_b).order_by("title").first()
    original = Record.objects.get(library=provider.library_a, title=copy.title)
    assert (copy.main_author, copy.year, copy.doc_type, copy.isbns) == (
        original.main_author,
        original.year,
        original.doc_type,
        original.isbns,
    )
    connector.refresh_from_db()
    assert connector.next_since.endswith("Z")  # seconds: the granularity Identify gives

    changed = Record.objects.filter(library=provider.library_a, **marc_records).first()
    retitle(changed, "Un titre changé depuis la dernière moisson")
    gone = Record.objects.filter(library=provider.library_a, **marc_records).last()
    remove_records([gone.source_id])
    run = harvest_connector(connector)
    assert run.status == RunStatus.COMPLETED, run.error
    assert not run.full
    assert (run.updated, run.deleted, run.created) == (1, 1, 0)
    assert titles(provider.library_b) == titles(provider.library_a, **marc_records)
    assert "Un titre changé depuis la dernière moisson" in titles(provider.library_b)


def test_our_harvester_reads_dublin_core_too(provider):
    connector = harvester(provider, "oai_dc", set_spec="bron")
    run = harvest_connector(connector)
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.created == Record.objects.filter(library=provider.library_a).count()
    # Simple Dublin Core has one title, "Title : subtitle. Part" as ISBD writes it; read
    # back, what follows " : " is the subtitle.
    expected = sorted(
        exports.full_title(r).partition(" : ")[0]
        for r in Record.objects.filter(library=provider.library_a)
    )
    assert titles(provider.library_b) == expected
    assert SourceRecord.objects.filter(connector=connector, format="oai_dc").count() == run.created


def test_sickle_lists_records_identifiers_sets_and_gets_a_record(provider):
    remove_records([provider.dc[0].source_id])
    sickle = Sickle(provider.base_url, max_retries=1, timeout=30)
    identify = sickle.Identify()
    assert identify.repositoryName == "Métrobib"
    assert identify.deletedRecord == "persistent"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"

    live = Record.objects.filter(library=provider.library_a).count()
    records = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    assert len(records) == live + 1 > 40  # through two tokens at least
    assert len({r.header.identifier for r in records}) == len(records)
    deleted = [r for r in records if r.header.deleted]
    assert [r.header.identifier for r in deleted] == [f"oai:metrobib.example:{provider.dc[0].pk}"]
    assert all(r.metadata.get("title") for r in records if not r.header.deleted)
    assert len(list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=True))) == live

    headers = list(sickle.ListIdentifiers(metadataPrefix="marcxml", ignore_deleted=True))
    assert len(headers) == Record.objects.filter(source__format="iso2709").count()
    assert {h.setSpecs[0] for h in headers} == {"bron"}

    sets = {s.setSpec: s.setName for s in sickle.ListSets()}
    assert sets == {"bron": "Bibliothèques de Bron", "venissieux": "Bibliothèques de Vénissieux"}
    assert [f.metadataPrefix for f in sickle.ListMetadataFormats()] == ["oai_dc", "marcxml"]

    record = Record.objects.filter(source__format="iso2709").first()
    got = sickle.GetRecord(identifier=f"oai:metrobib.example:{record.pk}", metadataPrefix="oai_dc")
    assert got.metadata["title"][0].startswith(record.title)
    assert got.header.setSpecs == ["bron"]


def test_sickle_resumes_with_post_requests(provider):
    sickle = Sickle(provider.base_url, http_method="POST", max_retries=1, timeout=30)
    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="bron"))
    assert len(headers) == Record.objects.count() > 40
    assert not DeletedRecord.objects.exists()
