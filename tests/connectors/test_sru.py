"""The SRU driver against a real Zebra (tests/connectors/zebra.py) serving real records,
and its page parser on responses recorded from real servers (tests/data/sru/)."""

import io
from pathlib import Path

import httpx
import pytest

from catalogue.marc import MarcRecord, read_marcxml
from connectors.base import MARCXML, Checkpoint, ConnectorError, HarvestedRecord
from connectors.http import MAX_RETRIES, HttpClient
from connectors.registry import get_driver
from connectors.sru.driver import SruDriver, parse_search_retrieve
from tests.connectors.zebra import _free_port, zebra_fixture  # noqa: F401

pytestmark = pytest.mark.zebra

DATA = Path(__file__).resolve().parent.parent / "data" / "sru"


def harvest(base_url: str, **settings) -> list[HarvestedRecord | Checkpoint]:
    return list(
        SruDriver({"base_url": base_url, **settings}).harvest(resume=settings.pop("resume", None))
    )


def records(items) -> list[HarvestedRecord]:
    return [item for item in items if isinstance(item, HarvestedRecord)]


def marc(record: HarvestedRecord) -> MarcRecord:
    [read] = read_marcxml(io.BytesIO(record.payload))
    assert isinstance(read, MarcRecord), read
    return read


def ids(items) -> list[str]:
    return [marc(record).control("001") for record in records(items)]


# ----------------------------------------------------------------------------- harvests


def test_zebra_starts_in_a_few_seconds(zebra):
    assert zebra.record_count == 45
    assert zebra.startup_seconds < 10, zebra.startup_seconds


def test_harvest_pages_through_every_indexed_record(zebra):
    items = harvest(zebra.base_url, page_size=10)

    harvested = records(items)
    assert len(harvested) == zebra.record_count == 45
    assert all(r.format == MARCXML and not r.rejected and r.local_id == "" for r in harvested)
    assert ids(items) == [r.control("001") for r in zebra.records]
    checkpoints = [item for item in items if isinstance(item, Checkpoint)]
    assert checkpoints == [
        Checkpoint(resume={"start": 11}),
        Checkpoint(resume={"start": 21}),
        Checkpoint(resume={"start": 31}),
        Checkpoint(resume={"start": 41}),
        Checkpoint(done=True),
    ]
    assert items[-1] == Checkpoint(done=True)


def test_harvested_records_are_the_records_of_the_files(zebra):
    # UNIMARC in UTF-8 and MARC 21 in MARC-8 alike: Zebra's MARCXML reads back field for
    # field as the catalogue reads the ISO 2709 files.
    harvested = [marc(r) for r in records(harvest(zebra.base_url, page_size=50))]

    assert [r.fields for r in harvested] == [r.fields for r in zebra.records]
    assert {r.flavour for r in harvested} == {"unimarc", "marc21"}


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_every_sru_version_gives_the_same_records(zebra, version):
    items = harvest(zebra.base_url, page_size=20, version=version)

    assert ids(items) == [r.control("001") for r in zebra.records]


def test_harvest_resumes_from_a_checkpoint(zebra):
    first_run = []
    for item in SruDriver({"base_url": zebra.base_url, "page_size": 20}).harvest():
        first_run.append(item)
        if isinstance(item, Checkpoint):
            break  # the harvest dies after its first page
    resume = first_run[-1].resume
    assert resume == {"start": 21}

    second_run = harvest(zebra.base_url, page_size=20, resume=resume)

    assert ids(first_run) + ids(second_run) == [r.control("001") for r in zebra.records]
    assert second_run[-1] == Checkpoint(done=True)


def test_resuming_past_the_end_of_a_shrunk_result_finishes_the_harvest(zebra):
    # Zebra answers diagnostic 61 (first record out of range): nothing is left to harvest.
    assert harvest(zebra.base_url, resume={"start": 100}) == [Checkpoint(done=True)]


def test_a_query_finds_only_its_records(zebra):
    assert ids(harvest(zebra.base_url, query="rec.id=054273242")) == ["054273242"]


@pytest.mark.parametrize(
    "query",
    [
        'dc.title="droit français à l\'usage"',
        'dc.title="droit francais a l usage"',
        'dc.title="DROIT FRANCAIS A L\'USAGE"',
    ],
)
def test_title_query_finds_the_records_whatever_the_accents(zebra, query):
    # The file itself spells the title "français a l'usage" once and "à l'usage" twice.
    assert sorted(ids(harvest(zebra.base_url, query=query))) == [
        "019049234",
        "049012258",
        "079783139",
    ]


@pytest.mark.parametrize("query", ["dc.title=état", "dc.title=ETAT"])
def test_title_query_splits_french_elisions(zebra, query):
    # "L'Etat moderne et ses fonctions", three times.
    assert sorted(ids(harvest(zebra.base_url, query=query))) == [
        "049186531",
        "06851414X",
        "10696206X",
    ]


# ----------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("query", "uri", "label"),
    [
        ("dc.title=((", "info:srw/diagnostic/1/10", "erreur de syntaxe dans la requête CQL"),
        ("nowhere.title=x", "info:srw/diagnostic/1/15", "jeu de contexte CQL inconnu"),
    ],
)
def test_a_bad_cql_query_is_an_error_naming_the_diagnostic(zebra, query, uri, label):
    with pytest.raises(ConnectorError) as raised:
        harvest(zebra.base_url, query=query)

    assert raised.value.retryable is False
    assert uri in raised.value.message
    assert label in raised.value.message
    assert raised.value.message.startswith("Le serveur SRU a renvoyé une erreur")


def test_a_record_the_server_cannot_give_in_the_schema_is_rejected_not_fatal(zebra):
    items = harvest(zebra.base_url, query="rec.id=054273242", record_schema="dc")

    [rejected] = records(items)
    assert "schéma de notice inconnu" in rejected.rejected
    assert "info:srw/diagnostic/1/66" in rejected.rejected
    assert b"Unknown schema for retrieval" in rejected.payload
    assert items[-1] == Checkpoint(done=True)


def test_a_record_sent_as_escaped_text_is_rejected(zebra):
    # Asked directly of Zebra: the driver itself always asks for XML.
    params = {
        "version": "1.1",
        "operation": "searchRetrieve",
        "query": "rec.id=054273242",
        "recordSchema": "marcxml",
        "recordPacking": "string",
        "maximumRecords": "1",
    }
    page = parse_search_retrieve(httpx.get(zebra.base_url, params=params).content)

    [rejected] = page.records
    assert "texte échappé" in rejected.rejected
    assert b"054273242" in rejected.payload


def test_a_server_that_is_not_there_is_a_retryable_error():
    waits = []
    url = f"http://127.0.0.1:{_free_port()}/Default"

    with HttpClient(timeout=2, sleep=waits.append) as http, pytest.raises(ConnectorError) as raised:
        list(SruDriver({"base_url": url}, http=http).harvest())

    assert raised.value.retryable is True
    assert "joindre le serveur 127.0.0.1" in raised.value.message
    assert len(waits) == MAX_RETRIES  # retried, then given up


def test_an_invalid_resume_point_is_refused():
    with pytest.raises(ConnectorError, match="Point de reprise SRU invalide"):
        list(SruDriver({"base_url": "http://127.0.0.1:9/"}).harvest(resume={"start": "11"}))


# ----------------------------------------------------------------------------- recorded pages


def test_recorded_zdb_page_gives_its_marcxml_collections():
    page = parse_search_retrieve((DATA / "xbib_zdb-sru-marcxmlplus.xml").read_bytes())

    assert page.number_of_records == 44
    assert page.next_position == 11
    assert page.diagnostics == ()
    assert len(page.records) == 10
    assert all(not r.rejected and r.format == MARCXML for r in page.records)
    # Each record is a <collection> of holdings and the bibliographic record they belong to.
    first = list(read_marcxml(io.BytesIO(page.records[0].payload)))
    assert [r.control("001") for r in first] == ["273652109", "1043033122"]
    assert b"zing/srw" not in page.records[0].payload


def test_recorded_page_with_a_namespace_variant_and_dublin_core_records():
    page = parse_search_retrieve((DATA / "sruthi_test_searchretrieve_warning.xml").read_bytes())

    assert page.number_of_records == 10
    assert len(page.records) == 10
    assert all("n'est pas en MARCXML (élément <dc>" in r.rejected for r in page.records)
    assert b"107853744" in page.records[0].payload


def test_a_page_of_diagnostics_in_sru_2_is_read():
    page = parse_search_retrieve(
        b'<zs:searchRetrieveResponse xmlns:zs="http://docs.oasis-open.org/ns/search-ws/sruResponse">'
        b'<zs:diagnostics xmlns:diag="http://docs.oasis-open.org/ns/search-ws/diagnostic">'
        b"<diag:diagnostic><diag:uri>info:srw/diagnostic/1/16</diag:uri>"
        b"<diag:message>Unsupported index</diag:message><diag:details>bath.any</diag:details>"
        b"</diag:diagnostic></zs:diagnostics></zs:searchRetrieveResponse>"
    )

    [diagnostic] = page.diagnostics
    assert diagnostic.describe() == (
        "index CQL inconnu — Unsupported index : bath.any (info:srw/diagnostic/1/16)"
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"<html><body>Maintenance</body></html>", "<html>"),
        (b"not xml", "pas du XML"),
        (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "<x>"),
    ],
)
def test_a_response_that_is_not_sru_is_an_error(content, problem):
    with pytest.raises(ConnectorError) as raised:
        parse_search_retrieve(content)

    assert problem in raised.value.message
    assert "root:" not in raised.value.message


# ----------------------------------------------------------------------------- settings


def test_sru_is_registered():
    assert get_driver("sru") is SruDriver
    assert SruDriver.supports("harvest") and SruDriver.supports("availability")


def test_settings_fill_in_the_defaults():
    assert SruDriver.validate_settings({"base_url": "https://catalogue.example.org/sru"}) == {
        "base_url": "https://catalogue.example.org/sru",
        "query": "cql.allRecords=1",
        "record_schema": "marcxml",
        "page_size": 50,
        "version": "1.2",
        "record_id_index": "rec.id",
        "timeout": 30,
    }


@pytest.mark.parametrize(
    ("data", "label"),
    [
        ({"base_url": "ftp://catalogue.example.org/sru"}, "Adresse du serveur SRU"),
        (
            {"base_url": "https://example.org/sru?operation=searchRetrieve&query=x"},
            "Adresse du serveur SRU",
        ),
        ({"base_url": "https://example.org/sru", "page_size": 101}, "Notices par page"),
        ({"base_url": "https://example.org/sru", "version": "3.0"}, "Version SRU"),
    ],
)
def test_settings_refuse_what_cannot_work(data, label):
    with pytest.raises(ConnectorError, match=label):
        SruDriver.validate_settings(data)
