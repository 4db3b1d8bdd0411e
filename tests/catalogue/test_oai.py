"""The OAI-PMH 2.0 provider at /oai, verb by verb and error by error, on real records
harvested into two libraries (the demo UNIMARC and MARC 21 exports, and real Dublin Core
records); every response is validated against the official OAI-PMH schema."""

import io
from datetime import timedelta
from urllib.parse import urlencode

import pymarc
import pytest
from django.core import signing
from django.utils import timezone
from lxml import etree

from catalogue import oai
from catalogue.models import DeletedRecord, Record
from connectors.base import HarvestedRecord
from connectors.ingest import Ingest
from connectors.models import Connector, SourceRecord
from connectors.services import harvest_connector
from tests.catalogue.test_exports import MARC, load_schema, oai_dc_records

NS = {
    "o": oai.OAI_NS,
    "dc": "http://purl.org/dc/elements/1.1/",
    "m": "http://www.loc.gov/MARC21/slim",
}
OAI_SCHEMA = load_schema("OAI-PMH.xsd")
DC_SCHEMA = load_schema("oai_dc.xsd")
ID_SCHEMA = load_schema("oai-identifier.xsd")
PAGE = 40


@pytest.fixture(autouse=True)
def _repository(settings):
    settings.OAI_REPOSITORY_IDENTIFIER = "metrobib.example"
    settings.SITE_URL = "https://metrobib.example"
    settings.OAI_PAGE_SIZE = PAGE


def demo_connector(library, export: str) -> Connector:
    connector = Connector.objects.create(
        library=library,
        name=f"Démo {export}",
        driver="demo",
        settings={"export": export},
        item_mapping={"preset": "koha_unimarc_995" if export == "unimarc" else "koha_marc21_952"},
    )
    run = harvest_connector(connector)
    assert run.status == "completed", run.error
    return connector


@pytest.fixture
def catalogue(cast):
    """Library A: the demo UNIMARC export (75) and 3 Dublin Core records; library B: the
    demo MARC 21 export (396)."""
    cast.unimarc = demo_connector(cast.library_a, "unimarc")
    cast.marc21 = demo_connector(cast.library_b, "marc21")
    cast.dc = oai_dc_records(cast.library_a, 3)
    return cast


def request(client, method="get", **params):
    """Ask /oai; the response must be valid OAI-PMH. Returns the parsed document."""
    send = client.post if method == "post" else client.get
    return check(send("/oai", params))


def request_raw(client, query: str):
    return check(client.get(f"/oai?{query}"))


def check(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert OAI_SCHEMA.validate(root), OAI_SCHEMA.error_log.last_error
    for dc in root.iterfind(".//o:metadata/{http://www.openarchives.org/OAI/2.0/oai_dc/}dc", NS):
        assert DC_SCHEMA.validate(dc), DC_SCHEMA.error_log.last_error
    for description in root.iterfind(".//o:description/*", NS):
        assert ID_SCHEMA.validate(description), ID_SCHEMA.error_log.last_error
    return root


def error_codes(root) -> list[str]:
    return [e.get("code") for e in root.iterfind("o:error", NS)]


def identifiers(root) -> list[str]:
    return [e.text for e in root.iterfind(".//o:header/o:identifier", NS)]


def token_of(root):
    return root.find(".//o:resumptionToken", NS)


def harvest_all(client, verb="ListIdentifiers", **params) -> tuple[list, list]:
    """Every header of a list, following the tokens; and each page's token element."""
    headers, tokens = [], []
    root = request(client, verb=verb, **params)
    while True:
        assert not error_codes(root), error_codes(root)
        headers += root.findall(".//o:header", NS)
        token = token_of(root)
        tokens.append(token)
        if token is None or not token.text:
            return headers, tokens
        root = request(client, verb=verb, resumptionToken=token.text)


def oai_id(record) -> str:
    return f"oai:metrobib.example:{record.pk}"


# ----------------------------------------------------------------------------- Identify


def test_identify_describes_the_repository(client, catalogue):
    root = request(client, verb="Identify")
    identify = root.find("o:Identify", NS)
    text = {etree.QName(e).localname: e.text for e in identify}
    assert text["repositoryName"] == "Métrobib"
    assert text["baseURL"] == "https://metrobib.example/oai"
    assert text["protocolVersion"] == "2.0"
    assert text["deletedRecord"] == "persistent"
    assert text["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    earliest = Record.objects.order_by("updated_at").first().updated_at
    assert text["earliestDatestamp"] == oai.datestamp(earliest)
    assert root.find("o:request", NS).attrib == {"verb": "Identify"}
    assert root.find("o:request", NS).text == "https://metrobib.example/oai"
    scheme = identify.find(f".//{{{oai.OAI_ID_NS}}}oai-identifier")
    assert scheme.findtext(f"{{{oai.OAI_ID_NS}}}repositoryIdentifier") == "metrobib.example"
    assert scheme.findtext(f"{{{oai.OAI_ID_NS}}}sampleIdentifier") == "oai:metrobib.example:1"


def test_identify_leaves_out_the_oai_identifier_description_for_an_ip_address(
    client, cast, settings
):
    settings.OAI_REPOSITORY_IDENTIFIER = "127.0.0.1"
    root = request(client, verb="Identify")
    assert root.find(".//o:description", NS) is None
    assert root.findtext(".//o:earliestDatestamp", namespaces=NS)  # empty: now


def test_repository_identifier_defaults_to_the_host_of_site_url():
    from urllib.parse import urlsplit

    import metrobib.settings as configured

    identifier = configured.OAI_REPOSITORY_IDENTIFIER
    assert identifier == urlsplit(configured.SITE_URL).hostname


def test_post_requests_are_answered_like_get(client, catalogue):
    root = request(client, method="post", verb="ListSets")
    assert [s.text for s in root.iterfind(".//o:setSpec", NS)] == ["bron", "venissieux"]


# ----------------------------------------------------------------------------- formats, sets


def test_list_metadata_formats(client, catalogue):
    root = request(client, verb="ListMetadataFormats")
    assert [e.text for e in root.iterfind(".//o:metadataPrefix", NS)] == ["oai_dc", "marcxml"]
    marc = Record.objects.filter(library=catalogue.library_a, source__format="iso2709").first()
    root = request(client, verb="ListMetadataFormats", identifier=oai_id(marc))
    assert [e.text for e in root.iterfind(".//o:metadataPrefix", NS)] == ["oai_dc", "marcxml"]
    root = request(client, verb="ListMetadataFormats", identifier=oai_id(catalogue.dc[0]))
    assert [e.text for e in root.iterfind(".//o:metadataPrefix", NS)] == ["oai_dc"]
    root = request(client, verb="ListMetadataFormats", identifier="oai:metrobib.example:0")
    assert error_codes(root) == ["idDoesNotExist"]


def test_a_tombstone_without_formats_has_no_metadata_formats(client, catalogue):
    DeletedRecord.objects.create(
        record_id=10**9, library=catalogue.library_a, formats=[], deleted_at=timezone.now()
    )
    root = request(client, verb="ListMetadataFormats", identifier=f"oai:metrobib.example:{10**9}")
    assert error_codes(root) == ["noMetadataFormats"]


def test_list_sets_has_one_set_per_library(client, catalogue):
    root = request(client, verb="ListSets")
    sets = [(s.findtext("o:setSpec", namespaces=NS), s.findtext("o:setName", namespaces=NS))
            for s in root.iterfind(".//o:set", NS)]  # fmt: skip
    assert sets == [
        ("bron", "Bibliothèques de Bron"),
        ("venissieux", "Bibliothèques de Vénissieux"),
    ]
    root = request(client, verb="ListSets", resumptionToken="anything")
    assert error_codes(root) == ["badResumptionToken"]


def test_a_network_without_libraries_has_no_set_hierarchy(client, db):
    root = request(client, verb="ListSets")
    assert error_codes(root) == ["noSetHierarchy"]


# ----------------------------------------------------------------------------- GetRecord


def test_get_record_in_dublin_core_and_marcxml(client, catalogue):
    record = Record.objects.filter(library=catalogue.library_a, source__format="iso2709").first()
    root = request(client, verb="GetRecord", identifier=oai_id(record), metadataPrefix="oai_dc")
    header = root.find(".//o:header", NS)
    assert header.findtext("o:identifier", namespaces=NS) == oai_id(record)
    assert header.findtext("o:datestamp", namespaces=NS) == oai.datestamp(record.updated_at)
    assert header.findtext("o:setSpec", namespaces=NS) == "bron"
    assert root.findtext(".//dc:title", namespaces=NS).startswith(record.title)
    assert root.find("o:request", NS).attrib == {
        "verb": "GetRecord",
        "identifier": oai_id(record),
        "metadataPrefix": "oai_dc",
    }
    root = request(client, verb="GetRecord", identifier=oai_id(record), metadataPrefix="marcxml")
    marc = root.find(".//o:metadata/m:record", NS)
    assert marc.find("m:datafield[@tag='200']", NS) is not None  # UNIMARC as catalogued


def test_get_record_errors(client, catalogue):
    record = Record.objects.filter(library=catalogue.library_b).first()
    dc_only = oai_id(catalogue.dc[0])
    cases = [
        ({"identifier": dc_only, "metadataPrefix": "marcxml"}, "cannotDisseminateFormat"),
        ({"identifier": oai_id(record), "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"identifier": "oai:metrobib.example:999999999", "metadataPrefix": "oai_dc"},
         "idDoesNotExist"),
        ({"identifier": f"oai:elsewhere.example:{record.pk}", "metadataPrefix": "oai_dc"},
         "idDoesNotExist"),
        ({"identifier": "oai:metrobib.example:12abc", "metadataPrefix": "oai_dc"},
         "idDoesNotExist"),
    ]  # fmt: skip
    for params, code in cases:
        root = request(client, verb="GetRecord", **params)
        assert error_codes(root) == [code], params
        # Not badVerb nor badArgument: the request element echoes the arguments.
        assert root.find("o:request", NS).get("identifier") == params["identifier"]


# ----------------------------------------------------------------------------- bad requests

LIST_DC = "verb=ListRecords&metadataPrefix=oai_dc"
GET_ONE = "verb=GetRecord&identifier=oai:metrobib.example:1"
BAD_REQUESTS = [
    ("", "badVerb"),
    ("verb=", "badVerb"),
    ("verb=Nonsense", "badVerb"),
    ("verb=identify", "badVerb"),
    ("verb=Identify&verb=Identify", "badVerb"),
    ("verb=Identify&verb=ListSets", "badVerb"),
    ("metadataPrefix=oai_dc", "badVerb"),
    ("verb=Identify&metadataPrefix=oai_dc", "badArgument"),
    ("verb=Identify&foo=bar", "badArgument"),
    ("verb=ListSets&set=bron", "badArgument"),
    ("verb=ListMetadataFormats&metadataPrefix=oai_dc", "badArgument"),
    ("verb=ListMetadataFormats&identifier=a&identifier=b", "badArgument"),
    ("verb=GetRecord&identifier=oai:metrobib.example:1", "badArgument"),
    ("verb=GetRecord&metadataPrefix=oai_dc", "badArgument"),
    ("verb=GetRecord", "badArgument"),
    (f"{GET_ONE}&metadataPrefix=oai_dc&set=bron", "badArgument"),
    ("verb=ListRecords", "badArgument"),
    ("verb=ListIdentifiers", "badArgument"),
    ("verb=ListRecords&from=2020-01-01", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=marcxml", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-13-01", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-02-30", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=20200101", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00:00", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00:00%2B01:00", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00Z", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&until=yesterday", "badArgument"),
    (f"{LIST_DC}&from=2020-01-01&until=2020-01-02T00:00:00Z", "badArgument"),
    ("verb=ListIdentifiers&metadataPrefix=oai_dc&from=2020-01-02&until=2020-01-01", "badArgument"),
    (f"{LIST_DC}&from=2020-01-01T00:00:01Z&until=2020-01-01T00:00:00Z", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=not%20a%20set", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai%20dc", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=x", "badArgument"),
    ("verb=ListIdentifiers&resumptionToken=x&from=2020-01-01", "badArgument"),
    ("verb=ListRecords&resumptionToken=x&resumptionToken=y", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&page=2", "badArgument"),
    ("verb=ListRecords&resumptionToken=forged", "badResumptionToken"),
    ("verb=ListIdentifiers&resumptionToken=forged", "badResumptionToken"),
    ("verb=ListSets&resumptionToken=forged", "badResumptionToken"),
    ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
    ("verb=ListIdentifiers&metadataPrefix=unimarc", "cannotDisseminateFormat"),
    (f"{GET_ONE}&metadataPrefix=mods", "cannotDisseminateFormat"),
    ("verb=GetRecord&identifier=nonsense&metadataPrefix=oai_dc", "idDoesNotExist"),
    ("verb=ListMetadataFormats&identifier=oai:metrobib.example:0", "idDoesNotExist"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=no-such-library", "noRecordsMatch"),
    ("verb=ListRecords&metadataPrefix=oai_dc&until=1990-01-01", "noRecordsMatch"),
    ("verb=ListIdentifiers&metadataPrefix=oai_dc&from=2999-01-01", "noRecordsMatch"),
    ("verb=ListIdentifiers&metadataPrefix=oai_dc&until=1990-01-01T00:00:00Z", "noRecordsMatch"),
]  # fmt: skip


@pytest.mark.parametrize("query, code", BAD_REQUESTS)
def test_bad_requests_get_the_error_the_specification_names(client, catalogue, query, code):
    root = request_raw(client, query)
    assert set(error_codes(root)) == {code}
    request_element = root.find("o:request", NS)
    assert request_element.text == "https://metrobib.example/oai"
    if code in ("badVerb", "badArgument"):
        assert request_element.attrib == {}  # section 3.2: the base URL only
    else:
        assert request_element.get("verb")
    assert root.findtext("o:responseDate", namespaces=NS).endswith("Z")


def test_every_argument_problem_is_reported(client, catalogue):
    root = request_raw(
        client, "verb=ListRecords&metadataPrefix=oai_dc&from=bad&until=2020-01-01T00:00Z"
    )
    assert error_codes(root) == ["badArgument", "badArgument"]


# ----------------------------------------------------------------------------- lists


def test_list_records_pages_through_the_whole_catalogue(client, catalogue):
    headers, tokens = harvest_all(client, "ListRecords", metadataPrefix="oai_dc")
    ids = [h.findtext("o:identifier", namespaces=NS) for h in headers]
    assert len(ids) == len(set(ids)) == Record.objects.count() > 400
    assert set(ids) == {oai_id(r) for r in Record.objects.all()}
    stamps = [h.findtext("o:datestamp", namespaces=NS) for h in headers]
    assert stamps == sorted(stamps)
    assert [t.get("cursor") for t in tokens] == [str(PAGE * n) for n in range(len(tokens))]
    assert {t.get("completeListSize") for t in tokens} == {str(len(ids))}
    assert tokens[-1].text is None  # the last page: an empty token
    assert tokens[0].get("expirationDate").endswith("Z")


def test_a_list_that_fits_one_page_has_no_token(client, catalogue, settings):
    settings.OAI_PAGE_SIZE = 1000
    root = request(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(identifiers(root)) == Record.objects.count()
    assert token_of(root) is None


def test_sets_select_one_librarys_records(client, catalogue):
    headers, _ = harvest_all(client, "ListIdentifiers", metadataPrefix="oai_dc", set="bron")
    assert len(headers) == Record.objects.filter(library=catalogue.library_a).count() > 50
    assert {h.findtext("o:setSpec", namespaces=NS) for h in headers} == {"bron"}


def test_dublin_core_records_are_not_in_marcxml_lists(client, catalogue):
    dc_ids = {oai_id(r) for r in catalogue.dc}
    marc, _ = harvest_all(client, "ListIdentifiers", metadataPrefix="marcxml", set="bron")
    marc_ids = {h.findtext("o:identifier", namespaces=NS) for h in marc}
    marc_records = Record.objects.filter(library=catalogue.library_a, source__format="iso2709")
    assert len(marc_ids) == marc_records.count() > 50 and not marc_ids & dc_ids
    root = request(client, verb="ListRecords", metadataPrefix="marcxml", set="bron")
    assert len(root.findall(".//o:metadata/m:record", NS)) == PAGE
    dc, _ = harvest_all(client, "ListIdentifiers", metadataPrefix="oai_dc", set="bron")
    assert dc_ids <= {h.findtext("o:identifier", namespaces=NS) for h in dc}


def test_from_and_until_in_days_and_seconds(client, catalogue):
    records = list(Record.objects.order_by("updated_at", "pk"))
    middle = records[len(records) // 2]
    # Give a slice of records datestamps of their own, a day and a second apart.
    base = timezone.now().replace(microsecond=0) - timedelta(days=10)
    Record.objects.filter(pk__in=[r.pk for r in records[:5]]).update(updated_at=base)
    Record.objects.filter(pk=middle.pk).update(updated_at=base + timedelta(days=1, seconds=30))
    day = base.strftime("%Y-%m-%d")
    next_day = (base + timedelta(days=1)).strftime("%Y-%m-%d")
    second = oai.datestamp(base + timedelta(days=1, seconds=30))
    cases = [
        ({"from": day, "until": day}, 5),
        ({"until": day}, 5),
        ({"from": next_day, "until": next_day}, 1),
        ({"from": second, "until": second}, 1),
        ({"from": oai.datestamp(base), "until": oai.datestamp(base)}, 5),
        ({"until": oai.datestamp(base - timedelta(seconds=1))}, 0),
    ]
    for params, count in cases:
        root = request(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **params)
        if count:
            assert len(identifiers(root)) == count, params
            assert root.find("o:request", NS).get("from") == params.get("from")
        else:
            assert error_codes(root) == ["noRecordsMatch"]
    everything, _ = harvest_all(client, "ListIdentifiers", metadataPrefix="oai_dc", **{"from": day})
    assert len(everything) == Record.objects.count()


def test_resumption_tokens_cannot_be_forged_nor_reused_for_another_verb(client, catalogue):
    root = request(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = token_of(root).text
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert error_codes(request(client, verb="ListIdentifiers", resumptionToken=tampered)) == [
        "badResumptionToken"
    ]
    assert error_codes(request(client, verb="ListRecords", resumptionToken=token)) == [
        "badResumptionToken"
    ]
    # The same token asked twice gives the same page (idempotent, section 3.5.1).
    first = identifiers(request(client, verb="ListIdentifiers", resumptionToken=token))
    again = identifiers(request(client, verb="ListIdentifiers", resumptionToken=token))
    assert first == again and len(first) == PAGE


def test_an_expired_resumption_token_is_refused(client, catalogue, monkeypatch, settings):
    root = request(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = token_of(root).text
    later = signing.time.time() + settings.OAI_TOKEN_LIFETIME + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    root = request(client, verb="ListIdentifiers", resumptionToken=token)
    assert error_codes(root) == ["badResumptionToken"]
    assert "expired" in root.findtext("o:error", namespaces=NS)


def redescribe(record: Record) -> None:
    """Describe a record again through the ingest, as a re-harvest of a changed source."""
    source = SourceRecord.objects.get(pk=record.source_id)
    batch = [
        HarvestedRecord(
            payload=bytes(source.payload),
            format=source.format,
            local_id=source.local_id,
            datestamp=source.datestamp,
        )
    ]
    Ingest(None, connector=source.connector, force=True).store(batch, {})


def test_a_record_changed_during_a_harvest_is_neither_lost_nor_duplicated(client, catalogue):
    order = list(Record.objects.order_by("updated_at", "pk").values_list("pk", flat=True))
    root = request(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    seen = identifiers(root)
    assert seen == [f"oai:metrobib.example:{pk}" for pk in order[:PAGE]]
    ahead = Record.objects.get(pk=order[PAGE + 5])  # not sent yet
    behind = Record.objects.get(pk=order[3])  # already sent
    before = ahead.updated_at
    redescribe(ahead)
    redescribe(behind)
    ahead.refresh_from_db()
    assert ahead.updated_at > before  # the ingest gives a re-described record a datestamp
    token = token_of(root).text
    while token:
        root = request(client, verb="ListIdentifiers", resumptionToken=token)
        seen += identifiers(root)
        token = token_of(root).text
    assert set(seen) == {f"oai:metrobib.example:{pk}" for pk in order}
    assert seen.count(oai_id(ahead)) == 1  # moved past the cursor, sent once
    assert seen.count(oai_id(behind)) == 2  # changed after it was sent: sent again, later
    assert seen[-2:] == [oai_id(ahead), oai_id(behind)]
    assert len(seen) == len(order) + 1


def rewrite_without(src, dst, drop: set[int]) -> None:
    with open(src, "rb") as f:
        records = list(pymarc.MARCReader(f, to_unicode=True, force_utf8=True))
    out = io.BytesIO()
    for position, record in enumerate(records, start=1):
        if position not in drop:
            out.write(record.as_marc())
    dst.write_bytes(out.getvalue())


def test_records_dropped_by_a_reharvest_are_listed_as_deleted(client, cast, tmp_path):
    export = tmp_path / "cotes8.mrc"
    rewrite_without(MARC / "cotes8.mrc", export, set())
    connector = Connector.objects.create(
        library=cast.library_b,
        name="Export",
        driver="marc_file",
        settings={"path": str(export)},
        item_mapping={"preset": "koha_unimarc_995"},
    )
    harvest_connector(connector, full=True)
    first, second = Record.objects.order_by("pk")[:2]
    rewrite_without(MARC / "cotes8.mrc", export, {1, 2})
    run = harvest_connector(connector, full=True)
    assert run.missing == 2
    assert not Record.objects.filter(pk__in=[first.pk, second.pk]).exists()
    tombstone = DeletedRecord.objects.get(record_id=first.pk)
    assert (tombstone.library_id, tombstone.formats) == (cast.library_b.pk, ["oai_dc", "marcxml"])

    headers, _ = harvest_all(client, "ListIdentifiers", metadataPrefix="marcxml")
    deleted = [h for h in headers if h.get("status") == "deleted"]
    assert [h.findtext("o:identifier", namespaces=NS) for h in deleted] == [
        oai_id(first),
        oai_id(second),
    ]
    assert {h.findtext("o:setSpec", namespaces=NS) for h in deleted} == {"venissieux"}
    assert len(headers) == 35  # 33 records and 2 deleted
    root = request(client, verb="ListRecords", metadataPrefix="oai_dc", set="venissieux")
    gone = [r for r in root.iterfind(".//o:record", NS) if r.find("o:header", NS).get("status")]
    assert len(gone) == 2 and all(r.find("o:metadata", NS) is None for r in gone)
    root = request(client, verb="GetRecord", identifier=oai_id(first), metadataPrefix="marcxml")
    assert root.find(".//o:header", NS).get("status") == "deleted"
    assert root.find(".//o:metadata", NS) is None
    root = request(client, verb="ListMetadataFormats", identifier=oai_id(first))
    assert [e.text for e in root.iterfind(".//o:metadataPrefix", NS)] == ["oai_dc", "marcxml"]


def test_a_tombstone_is_listed_only_in_the_formats_the_record_had(client, catalogue):
    record = catalogue.dc[0]
    from connectors.ingest import remove_records

    remove_records([record.source_id])
    root = request(client, verb="GetRecord", identifier=oai_id(record), metadataPrefix="oai_dc")
    assert root.find(".//o:header", NS).get("status") == "deleted"
    root = request(client, verb="GetRecord", identifier=oai_id(record), metadataPrefix="marcxml")
    assert error_codes(root) == ["cannotDisseminateFormat"]
    marc, _ = harvest_all(client, "ListIdentifiers", metadataPrefix="marcxml", set="bron")
    assert oai_id(record) not in {h.findtext("o:identifier", namespaces=NS) for h in marc}


def test_a_record_deleted_in_its_source_leaves_a_tombstone(cast):
    (record,) = oai_dc_records(cast.library_a, 1)
    source = record.source
    deleted = HarvestedRecord(payload=b"", format="oai_dc", local_id=source.local_id, deleted=True)
    Ingest(None, connector=source.connector).store([deleted], {})
    assert not Record.objects.filter(pk=record.pk).exists()
    assert DeletedRecord.objects.get(record_id=record.pk).formats == ["oai_dc"]


def test_deleting_a_connector_leaves_the_tombstones_of_its_records(client, catalogue):
    ids = set(
        Record.objects.filter(source__connector=catalogue.unimarc).values_list("pk", flat=True)
    )
    catalogue.unimarc.delete()
    assert set(DeletedRecord.objects.values_list("record_id", flat=True)) == ids
    headers, _ = harvest_all(client, "ListIdentifiers", metadataPrefix="marcxml", set="bron")
    assert {h.get("status") for h in headers} == {"deleted"} and len(headers) == len(ids)


def test_deleting_a_library_leaves_the_tombstones_of_its_records(client, catalogue):
    """A library leaving the network takes its records; full harvests learn of it."""
    from connectors.ingest import remove_records

    remove_records([catalogue.dc[0].source_id])
    ids = set(Record.objects.filter(library=catalogue.library_a).values_list("pk", flat=True))
    ids.add(catalogue.dc[0].pk)
    catalogue.library_a.sites.all().delete()
    catalogue.admin_a.delete()
    catalogue.editor_a.delete()
    catalogue.library_a.delete()
    assert not Record.objects.filter(library_id=catalogue.library_a.pk).exists()
    assert set(DeletedRecord.objects.values_list("record_id", flat=True)) == ids
    headers, _ = harvest_all(client, "ListIdentifiers", metadataPrefix="oai_dc")
    gone = [h for h in headers if h.get("status") == "deleted"]
    assert len(gone) == len(ids)
    assert {h.findtext("o:setSpec", namespaces=NS) for h in gone} == {"bron"}


def test_lists_merge_records_and_tombstones_in_datestamp_order(client, catalogue, settings):
    settings.OAI_PAGE_SIZE = 7
    from connectors.ingest import remove_records

    victims = list(Record.objects.filter(library=catalogue.library_a).order_by("pk")[:10])
    remove_records([r.source_id for r in victims])
    redescribe(Record.objects.filter(library=catalogue.library_a).first())
    headers, _ = harvest_all(client, "ListIdentifiers", metadataPrefix="oai_dc", set="bron")
    keys = [
        (
            h.findtext("o:datestamp", namespaces=NS),
            int(h.findtext("o:identifier", namespaces=NS).rsplit(":", 1)[1]),
        )
        for h in headers
    ]
    expected = Record.objects.filter(library=catalogue.library_a).count() + 10
    assert len(headers) == len(set(keys)) == expected
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    assert sum(h.get("status") == "deleted" for h in headers) == 10


# ----------------------------------------------------------------------------- cost


@pytest.mark.parametrize("prefix", ["oai_dc", "marcxml"])
@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_a_page_costs_a_bounded_number_of_queries(
    client, catalogue, django_assert_max_num_queries, verb, prefix
):
    with django_assert_max_num_queries(6):  # libraries, 2 counts, records, tombstones
        root = request(client, verb=verb, metadataPrefix=prefix)
    assert len(root.findall(".//o:header", NS)) == PAGE
    token = token_of(root).text
    for _ in range(3):
        with django_assert_max_num_queries(3):  # libraries, records, tombstones
            root = request(client, verb=verb, resumptionToken=token)
        assert len(root.findall(".//o:header", NS)) == PAGE
        token = token_of(root).text


def test_queries_do_not_grow_with_the_page_size(
    client, catalogue, settings, django_assert_max_num_queries
):
    settings.OAI_PAGE_SIZE = 400
    with django_assert_max_num_queries(6):
        root = request(client, verb="ListRecords", metadataPrefix="oai_dc")
    assert len(root.findall(".//o:record", NS)) == 400


def test_the_request_query_string_may_be_url_encoded(client, catalogue):
    record = catalogue.dc[0]
    query = urlencode(
        {"verb": "GetRecord", "identifier": oai_id(record), "metadataPrefix": "oai_dc"}
    )
    root = request_raw(client, query)
    assert not error_codes(root)
