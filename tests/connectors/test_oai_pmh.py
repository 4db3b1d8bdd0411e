"""The OAI-PMH driver against a real HTTP peer replaying recorded responses
(``tests/connectors/oai_server.py``; what is real and what synthetic: tests/data/SOURCES.md)."""

import io
import socket
from datetime import UTC, datetime

import pytest
from lxml import etree

from catalogue.marc import MarcRecord, read_marcxml
from connectors.base import MARCXML, OAI_DC, Checkpoint, ConnectorError, HarvestedRecord
from connectors.http import USER_AGENT, HttpClient, parse_retry_after
from connectors.oai_pmh.driver import OaiPmhDriver
from tests.connectors.oai_server import oai_server_fixture  # noqa: F401 (the fixture)

pytestmark = pytest.mark.oaipmh

MARCXML_IDS = [
    "oai:replay.metrobib.example:5637241",
    "oai:replay.metrobib.example:12149120",
    "oai:replay.metrobib.example:retire-2023-117",
    "oai:replay.metrobib.example:121564",
    "oai:replay.metrobib.example:1/1188528",
    "oai:replay.metrobib.example:1/306661",
    "oai:replay.metrobib.example:1/428946",
    "oai:replay.metrobib.example:1/428983",
    "oai:replay.metrobib.example:054273242",
    "oai:replay.metrobib.example:007521960",
    "oai:replay.metrobib.example:064929205",
]
DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"


@pytest.fixture
def waits():
    """The pauses the HTTP client asked for (recorded, not slept)."""
    return []


@pytest.fixture
def driver(oai_server, waits):
    def make(timeout: float = 5.0, **settings) -> OaiPmhDriver:
        http = HttpClient(timeout=timeout, connect_timeout=timeout, sleep=waits.append)
        settings = {"base_url": oai_server.url, "metadata_prefix": "marcxml", **settings}
        return OaiPmhDriver(settings, http=http)

    return make


def split(items) -> tuple[list[HarvestedRecord], list[Checkpoint]]:
    items = list(items)
    return (
        [i for i in items if isinstance(i, HarvestedRecord)],
        [i for i in items if isinstance(i, Checkpoint)],
    )


def harvest_until_error(harvest) -> tuple[list, ConnectorError]:
    seen = []
    with pytest.raises(ConnectorError) as error:
        for item in harvest:
            seen.append(item)
    return seen, error.value


# ----------------------------------------------------------------------------- harvesting


def test_full_harvest_follows_resumption_tokens_to_the_empty_one(oai_server, driver):
    records, checkpoints = split(driver().harvest())

    assert [r.local_id for r in records] == MARCXML_IDS
    assert [r.local_id for r in records if r.deleted] == [
        "oai:replay.metrobib.example:retire-2023-117"
    ]
    assert {r.format for r in records} == {MARCXML}
    assert not any(r.rejected for r in records)
    assert len(checkpoints) == 3 and [c.done for c in checkpoints] == [False, False, True]
    assert [p.get("resumptionToken") for p in oai_server.requests("ListRecords")] == [
        None,
        "marcxml-page-2",
        "marcxml-page-3",
    ]
    assert len(oai_server.requests("Identify")) == 1


def test_every_harvested_marc_payload_is_a_standalone_marcxml_record(driver):
    records, _ = split(driver().harvest())

    flavours = []
    for record in records:
        if record.deleted:
            assert record.payload == b""
            continue
        [parsed] = list(read_marcxml(io.BytesIO(record.payload)))
        assert isinstance(parsed, MarcRecord), parsed
        assert record.local_id.endswith(":" + parsed.control("001"))
        assert b"http://www.openarchives.org/OAI/2.0/" not in record.payload
        flavours.append(parsed.flavour)
    assert flavours == ["marc21"] * 3 + ["unimarc"] * 7


def test_record_datestamps_come_from_the_headers(driver):
    records, _ = split(driver().harvest())

    assert records[0].datestamp == "2024-02-01T08:00:00Z"
    assert records[2].datestamp == "2024-02-02T09:30:00Z"


def test_checkpoints_carry_the_next_token_and_the_first_response_date(driver):
    _, checkpoints = split(driver().harvest(since="2024-01-15"))

    assert checkpoints[0].resume == {
        "token": "marcxml-page-2",
        "since": "2024-01-15",
        "until": "2024-03-01T10:00:00Z",
        "granularity": "YYYY-MM-DD",
    }
    assert checkpoints[1].resume["token"] == "marcxml-page-3"
    # the first page's date, not the last one's (10:00:09): the safe high-water mark
    assert checkpoints[1].resume["until"] == "2024-03-01T10:00:00Z"
    assert checkpoints[-1].done and checkpoints[-1].next_since == "2024-03-01"


def test_harvest_resumes_from_a_checkpoint_token_without_identify(oai_server, driver):
    _, checkpoints = split(driver().harvest())
    oai_server.received.clear()

    records, rest = split(driver().harvest(resume=checkpoints[0].resume))

    assert [r.local_id for r in records] == MARCXML_IDS[4:]
    assert oai_server.requests() == [
        {"verb": "ListRecords", "resumptionToken": "marcxml-page-2"},
        {"verb": "ListRecords", "resumptionToken": "marcxml-page-3"},
    ]
    assert rest[-1].done and rest[-1].next_since == "2024-03-01"


def test_set_spec_is_sent_with_the_first_request_only(oai_server, driver):
    split(driver(set_spec="bibliotheques").harvest())

    first, *following = oai_server.requests("ListRecords")
    assert first == {"verb": "ListRecords", "metadataPrefix": "marcxml", "set": "bibliotheques"}
    assert all(set(p) == {"verb", "resumptionToken"} for p in following)


def test_client_says_who_it_is(oai_server, driver):
    split(driver().harvest())

    assert {r.headers["user-agent"] for r in oai_server.received} == {USER_AGENT}


def test_unusable_records_are_rejected_with_a_reason_and_the_harvest_goes_on(oai_server, driver):
    oai_server.route(
        "synthetic_ListRecords_marcxml_odd.xml", verb="ListRecords", metadataPrefix="marcxml"
    )

    records, checkpoints = split(driver().harvest())

    assert [(r.local_id, r.rejected) for r in records] == [
        ("oai:replay.metrobib.example:5637241", ""),
        ("", "Notice sans identifiant OAI dans son en-tête."),
        (
            "oai:replay.metrobib.example:sans-metadonnees",
            "Notice sans métadonnées alors qu'elle n'est pas marquée supprimée.",
        ),
        ("oai:replay.metrobib.example:121564", ""),
    ]
    rejected = etree.fromstring(records[1].payload)
    assert etree.QName(rejected).localname == "record"  # the whole <record>, kept for staff
    assert checkpoints == [Checkpoint(done=True, next_since="2024-03-02")]


# ----------------------------------------------------------------------------- incremental


def test_since_is_trimmed_to_a_day_for_a_day_granularity_repository(oai_server, driver):
    _, checkpoints = split(driver().harvest(since="2024-01-01T23:59:59Z"))

    assert oai_server.requests("ListRecords")[0]["from"] == "2024-01-01"
    assert checkpoints[-1].next_since == "2024-03-01"


def test_since_is_extended_to_seconds_for_a_seconds_granularity_repository(oai_server, driver):
    oai_server.route("synthetic_Identify_seconds.xml", verb="Identify")

    _, checkpoints = split(driver().harvest(since="2024-01-01"))

    assert oai_server.requests("ListRecords")[0]["from"] == "2024-01-01T00:00:00Z"
    assert checkpoints[0].resume["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    assert checkpoints[-1].next_since == "2024-03-01T10:00:00Z"


def test_since_with_an_offset_is_sent_in_utc(oai_server, driver):
    oai_server.route("synthetic_Identify_seconds.xml", verb="Identify")

    split(driver().harvest(since="2024-06-01T02:30:00+02:00"))

    assert oai_server.requests("ListRecords")[0]["from"] == "2024-06-01T00:30:00Z"


def test_since_before_the_earliest_datestamp_harvests_everything(oai_server, driver):
    oai_server.route("afiopac_OAIIdentify.xml", verb="Identify")  # earliest 2010-06-09

    split(driver().harvest(since="2009-12-31"))

    assert "from" not in oai_server.requests("ListRecords")[0]


def test_bnf_identify_values_wrapped_in_whitespace_are_read(oai_server, driver):
    oai_server.route("afiopac_OAIIdentify.xml", verb="Identify")

    split(driver().harvest(since="2012-04-19T09:00:37Z"))

    assert oai_server.requests("ListRecords")[0]["from"] == "2012-04-19"


def test_unreadable_since_is_refused(driver):
    with pytest.raises(ConnectorError, match="Date de début de moisson illisible"):
        list(driver().harvest(since="19/04/2012"))


def test_no_records_match_is_an_empty_successful_harvest(oai_server, driver):
    oai_server.route(
        "sickle_noRecordsMatch.xml",
        verb="ListRecords",
        metadataPrefix="marcxml",
        **{"from": "2099-01-01"},
    )

    items = list(driver().harvest(since="2099-01-01"))

    # the high-water mark is the date of that (recorded) answer
    assert items == [Checkpoint(done=True, next_since="2002-02-08")]


# ----------------------------------------------------------------------------- oai_dc


def test_oai_dc_records_from_a_french_repository(oai_server, driver):
    oai_server.route("medialab_oaipmh_oai_dc.xml", verb="ListRecords", metadataPrefix="oai_dc")
    harvest = driver(metadata_prefix="oai_dc").harvest()

    records = []
    for item in harvest:
        if isinstance(item, Checkpoint):
            checkpoint = item
            break
        records.append(item)
    harvest.close()

    assert len(records) == 100
    assert {r.format for r in records} == {OAI_DC}
    assert all(r.local_id.startswith("oai:spire.sciences-po.fr:2441/") for r in records)
    first = etree.fromstring(records[0].payload)
    assert first.tag == DC
    assert first.nsmap["dc"] == "http://purl.org/dc/elements/1.1/"
    assert "oai-pmh" not in first.nsmap  # the envelope's prefix is not carried along
    assert first.findtext("{http://purl.org/dc/elements/1.1/}title") == (
        "Penser l'Union européenne en tant que Tiers statégique "
    )
    assert checkpoint.resume["token"] == "1365334816997"
    assert checkpoint.resume["until"] == "2013-04-07T11:40:00Z"


def test_bnf_token_wrapped_in_whitespace_is_sent_back_trimmed(oai_server, driver):
    oai_server.route("afiopac_OAIListRecords.xml", verb="ListRecords", metadataPrefix="oai_dc")
    token = "2!2!2758354!158!100!980266!oai_dc"
    oai_server.route("sickle_badResumptionToken.xml", verb="ListRecords", resumptionToken=token)

    seen, error = harvest_until_error(driver(metadata_prefix="oai_dc").harvest())

    records, checkpoints = split(seen)
    assert len(records) == 100
    assert records[0].local_id == "oai:bnf.fr:gallica/ark:/12148/bpt6k852111"
    assert records[0].datestamp == "2009-01-08"
    assert checkpoints[0].resume["token"] == token
    assert oai_server.requests()[-1]["resumptionToken"] == token
    assert "badResumptionToken" in error.message


# ----------------------------------------------------------------------------- OAI-PMH errors


def test_bad_resumption_token_stops_the_harvest_for_a_full_restart(oai_server, driver):
    seen, error = harvest_until_error(driver(metadata_prefix="oai_dc").harvest())

    records, checkpoints = split(seen)
    assert [r.deleted for r in records] == [True, False, True, False]
    assert [c.resume["token"] for c in checkpoints] == ["ListRecords2.xml", "ListRecords3.xml"]
    assert error.retryable is False
    assert error.message == (
        "L'entrepôt n'accepte plus le jeton de reprise (badResumptionToken) "
        "(« This resumptionToken is invalid ») : la moisson doit reprendre depuis le début."
    )


def test_format_the_repository_does_not_offer_is_reported(driver):
    with pytest.raises(ConnectorError) as error:
        list(driver(metadata_prefix="marc21").harvest())

    assert error.value.retryable is False
    assert error.value.message == (
        "Erreur OAI-PMH cannotDisseminateFormat : l'entrepôt ne propose pas le format « marc21 »."
    )


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (
            "sickle_noSetHierarchy.xml",
            "Erreur OAI-PMH noSetHierarchy : l'entrepôt ne gère pas les ensembles (set) : "
            "laissez le champ vide (« This repository does not support sets »).",
        ),
        (
            "sickle_badArgument.xml",
            "Erreur OAI-PMH badArgument : l'entrepôt refuse un paramètre de la requête.",
        ),
    ],
)
def test_other_oai_errors_are_reported_with_their_code(oai_server, driver, file, expected):
    oai_server.route(file, verb="ListRecords", set="musique")

    with pytest.raises(ConnectorError) as error:
        list(driver(set_spec="musique").harvest())

    assert error.value.message == expected and error.value.retryable is False


def test_malformed_page_is_a_retryable_error(oai_server, driver):
    oai_server.route(
        "sickle_ListRecordsBroken.xml", verb="ListRecords", resumptionToken="marcxml-page-2"
    )

    seen, error = harvest_until_error(driver().harvest())

    assert len(split(seen)[0]) == 4  # the first page was delivered, its checkpoint too
    assert error.retryable is True
    assert error.message.startswith("Réponse XML mal formée de l'entrepôt (ListRecords)")


def test_an_html_page_is_not_taken_for_a_repository(oai_server, driver):
    oai_server.then(body=b"<html><body><h1>Catalogue</h1></body></html>")

    with pytest.raises(ConnectorError, match="n'est pas une réponse OAI-PMH") as error:
        list(driver().harvest())

    assert error.value.retryable is False


def test_a_token_that_never_changes_stops_the_harvest(oai_server, driver):
    oai_server.route(
        "sickle_ListRecords.xml", verb="ListRecords", resumptionToken="ListRecords2.xml"
    )

    seen, error = harvest_until_error(driver(metadata_prefix="oai_dc").harvest())

    assert "même jeton de reprise" in error.message and error.retryable is False
    assert len(oai_server.requests("ListRecords")) == 2


def test_wrong_base_url_is_not_retried(oai_server, driver):
    with pytest.raises(ConnectorError, match=r"HTTP 404") as error:
        list(driver(base_url=oai_server.url + "/nope").harvest())

    assert error.value.retryable is False
    assert len(oai_server.received) == 1


# ----------------------------------------------------------------------------- HTTP


def test_503_with_retry_after_is_waited_for_then_retried(oai_server, driver, waits):
    oai_server.then(status=503, headers={"Retry-After": "7"})

    records, _ = split(driver().harvest())

    assert waits == [7.0]
    assert len(records) == 11
    assert [p["verb"] for p in oai_server.requests()][:2] == ["Identify", "Identify"]


def test_429_without_retry_after_backs_off_exponentially(oai_server, driver, waits):
    oai_server.then(status=429, times=2)

    split(driver().harvest())

    assert waits == [1.0, 2.0]


def test_unavailable_server_gives_up_after_bounded_retries(oai_server, driver, waits):
    oai_server.then(status=503, headers={"Retry-After": "5"}, times=10)

    with pytest.raises(ConnectorError) as error:
        list(driver().harvest())

    assert error.value.retryable is True
    assert waits == [5.0, 5.0, 5.0]
    assert len(oai_server.received) == 4
    assert "HTTP 503" in error.value.message and "4 essais" in error.value.message


def test_retry_after_beyond_the_cap_is_left_to_a_later_run(oai_server, driver, waits):
    oai_server.then(status=503, headers={"Retry-After": "3600"})

    with pytest.raises(ConnectorError, match="revenir dans 3600 s") as error:
        list(driver().harvest())

    assert error.value.retryable is True and waits == []


def test_timeout_then_success(oai_server, driver, waits):
    oai_server.then(stall=1.5)

    records, checkpoints = split(driver(timeout=0.3).harvest())

    assert len(records) == 11 and checkpoints[-1].done
    assert waits == [1.0]
    assert len(oai_server.requests("Identify")) == 2


def test_timeout_forever_is_a_retryable_error(oai_server, driver, waits):
    oai_server.then(stall=1.5, times=4)

    with pytest.raises(ConnectorError, match="ne répond pas") as error:
        list(driver(timeout=0.3).harvest())

    assert error.value.retryable is True
    assert waits == [1.0, 2.0, 4.0]
    assert len(oai_server.received) == 4


def test_server_that_is_not_there_is_a_retryable_error(waits):
    with socket.socket() as probe:  # a free port, released: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = HttpClient(timeout=1, sleep=waits.append, max_retries=1)
    driver = OaiPmhDriver({"base_url": f"http://127.0.0.1:{port}/oai"}, http=http)

    with pytest.raises(ConnectorError, match="Impossible de joindre le serveur 127.0.0.1") as error:
        list(driver.harvest())

    assert error.value.retryable is True and waits == [1.0]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # in the past
        ("demain", None),
        ("", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_http_date(header, seconds):
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)

    assert parse_retry_after(header, now=now) == seconds


# ----------------------------------------------------------------------------- settings, registry


def test_settings_are_validated_with_defaults():
    settings = OaiPmhDriver.validate_settings(
        {"base_url": "https://catalogue.example.org/oai", "metadata_prefix": "unimarc"}
    )

    assert settings == {
        "base_url": "https://catalogue.example.org/oai",
        "metadata_prefix": "unimarc",
        "timeout": 30,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"base_url": "ftp://catalogue.example.org/oai"},
            "Adresse de l'entrepôt : L'adresse doit commencer par http:// ou https://.",
        ),
        (
            {"base_url": "https://catalogue.example.org/oai?verb=Identify"},
            "Adresse de l'entrepôt : Indiquez l'adresse de base de l'entrepôt, sans « ?verb=… »",
        ),
        (
            {"base_url": "https://bib:secret@catalogue.example.org/oai"},
            "Adresse de l'entrepôt : L'adresse ne doit pas contenir d'identifiant",
        ),
        ({"metadata_prefix": "mods"}, "Format des notices : Sélectionnez un choix valide."),
        ({"set_spec": "fonds anciens"}, "Ensemble (set) : Nom d'ensemble invalide"),
        ({"timeout": "0"}, "Délai d'attente (secondes) : Assurez-vous que cette valeur est"),
    ],
)
def test_invalid_settings_are_explained_in_french(data, message):
    data = {"base_url": "https://catalogue.example.org/oai", "metadata_prefix": "marcxml", **data}

    with pytest.raises(ConnectorError) as error:
        OaiPmhDriver.validate_settings(data)

    assert error.value.message.startswith("Réglages invalides : ")
    assert message in error.value.message


def test_missing_base_url_is_explained():
    with pytest.raises(ConnectorError, match="Adresse de l'entrepôt : Champ requis."):
        OaiPmhDriver.validate_settings({"metadata_prefix": "oai_dc"})


def test_driver_is_registered_as_an_incremental_harvester():
    from connectors import registry

    found = registry.get_driver("oai_pmh")
    assert found is OaiPmhDriver
    assert found.label == "Entrepôt OAI-PMH"
    assert found.supports("harvest") and not found.supports("availability")
    assert found.incremental is True
