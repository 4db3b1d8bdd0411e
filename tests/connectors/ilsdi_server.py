"""A Koha ILS-DI peer for the tests: ``ilsdi.pl`` on 127.0.0.1 replaying answers from
``tests/data/ilsdi/`` (the replay server of ``oai_server.py``, routed by the query's
``service`` and its parameters). The GetAvailability answers are SYNTHETIC, written from
Koha's ``C4::ILSDI::Services::GetAvailability`` (no real recording exists); the patron
services mix real answers recorded by AFI-OPAC (Koha's GetPatronInfo and LookupPatron,
BiblixNet's and Nanook's) with synthetic ones: see ``tests/data/SOURCES.md``.

::

    def test_something(ilsdi_server):
        ilsdi_server.then(stall=5)  # the next request hangs
        IlsdiDriver({"base_url": ilsdi_server.url}).availability(...)
"""

from pathlib import Path

import pytest
from lxml import etree

from catalogue.marc import MarcRecord, parse_marcxml_record
from tests.connectors.oai_server import OaiReplayServer

DATA = Path(__file__).resolve().parent.parent / "data" / "ilsdi"
PATH = "/cgi-bin/koha/ilsdi.pl"
GET_RECORDS = DATA / "KohaFixtures_xmlGetRecordHarryPotter.xml"  # real, Koha 3.x
# Laurent, the patron of the real GetPatronInfo answer; the PIN is invented.
CARD, PIN, BORROWERNUMBER = "10002000", "7319", "572"


def koha_record() -> MarcRecord:
    """The MARCXML record (UNIMARC, biblionumber 33233, three 995 copies with $9) that the
    real GetRecords answer carries, escaped, in ``<marcxml>``."""
    root = etree.parse(str(GET_RECORDS)).getroot()
    return parse_marcxml_record(root.findtext("record/marcxml").strip().encode("utf-8"))


def replay_koha() -> OaiReplayServer:
    """A Koha whose GetAvailability knows biblionumber 33233 (the Harry Potter record of
    the real GetRecords answer), records 501-503 (every status Koha gives), both at once,
    and answers ``NotAllowed`` to ``id=403``.

    Its one patron is Laurent (:data:`CARD`, :data:`PIN`, borrowernumber 572): any other
    card or PIN is ``PatronNotFound``; GetPatronInfo gives the real answer, or with
    ``show_loans=1`` the synthetic one with two loans and three holds; LookupPatron of his
    card gives 572 (real); RenewLoan, HoldTitle, HoldItem and CancelHold succeed (Koha's
    synthetic answers, BiblixNet's real empty one for HoldTitle). A test scripts refusals
    with ``then(file=...)``."""
    server = OaiReplayServer(DATA, path=PATH)
    service = {"service": "GetAvailability", "id_type": "bib"}
    server.route("synthetic_GetAvailability_33233.xml", **service, id="33233")
    server.route("synthetic_GetAvailability_statuses.xml", **service, id="501 502 503")
    server.route("synthetic_GetAvailability_NotAllowed.xml", **service, id="403")
    login = {"service": "AuthenticatePatron"}
    server.route("synthetic_AuthenticatePatron_PatronNotFound.xml", **login)
    server.route("synthetic_AuthenticatePatron_572.xml", **login, username=CARD, password=PIN)
    info = {"service": "GetPatronInfo", "patron_id": BORROWERNUMBER}
    server.route("NanookFixtures_xmlGetPatronError.xml", service="GetPatronInfo")
    server.route("KohaFixtures_xmlGetPatronInfoLaurent.xml", **info)
    server.route("synthetic_GetPatronInfo_loans.xml", **info, show_loans="1")
    server.route("KohaFixtures_xmlLookupPatronLaurent.xml", service="LookupPatron", id=CARD)
    server.route("synthetic_RenewLoan_success.xml", service="RenewLoan")
    server.route("BiblixNetFixtures_xmlHoldTitleSuccess.xml", service="HoldTitle")
    server.route("synthetic_HoldItem_success.xml", service="HoldItem")
    server.route("synthetic_CancelHold_Canceled.xml", service="CancelHold")
    return server


@pytest.fixture(name="ilsdi_server")
def ilsdi_server_fixture():
    with replay_koha() as server:
        yield server
