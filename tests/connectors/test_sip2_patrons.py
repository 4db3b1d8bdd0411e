"""Patrons through SIP2: login (63 with the PIN), account (63 lists, then 17 per copy),
renewal (29) and holds (15), against pysip2's server answering as Koha's SIPServer does,
and against peers that hang, answer garbage or drop the connection."""

import logging
import time
from datetime import date, timedelta

import pytest
from pysip2 import HoldRequest, PatronInformationRequest, RenewRequest

from connectors.base import ConnectorError, InvalidCredentials, PatronRef
from connectors.registry import get_driver
from connectors.sip2.client import Sip2Client, raw_field
from connectors.sip2.driver import Sip2Driver, postal_code_and_city, split_name
from tests.connectors.sip2_peers import (
    INSTITUTION,
    STORE,
    Copy,
    Patron,
    RawPeer,
    Sip2Peer,
    hangs,
    sip_date,
)

pytestmark = pytest.mark.sip2

ON_LOAN, IN_TRANSIT = "3700000000024", "3700000000031"
LATE, ON_HOLD_SHELF = "3700000000055", "3700000000062"
CARD, PIN = "29020001", "8361"
LOST_CARD, EXPIRED_CARD, UNKNOWN_CARD = "29020002", "29020003", "29029999"
TODAY = date.today()
NEXT_YEAR = TODAY + timedelta(days=365)


def patrons() -> dict[str, Patron]:
    return {
        CARD: Patron(
            CARD,
            PIN,
            "MARTIN, Camille",
            email="camille.martin@example.org",
            address="12 rue de la République 69500 Bron",
            expiry=sip_date(NEXT_YEAR),  # Koha's 18-character date
            birth="19850214",  # and a bare one
            charged=[ON_LOAN, LATE],
            overdue=[LATE],
            holds=[ON_HOLD_SHELF, IN_TRANSIT],
            fee="2.50",
            refuse_renewal={LATE: "Item unavailable due to outstanding holds"},
        ),
        LOST_CARD: Patron(LOST_CARD, "0000", "Dominique Petit", status="    Y         "),
        EXPIRED_CARD: Patron(
            EXPIRED_CARD, "1111", "DURAND, Léa", status="YY Y          ", expiry="20240131"
        ),
    }


def copies() -> dict[str, Copy]:
    return {
        **STORE,
        LATE: Copy("04", "Le Rouge et le Noir", "20250110    235900"),
        ON_HOLD_SHELF: Copy("08", "Vendredi ou la vie sauvage"),
    }


@pytest.fixture(name="peer")
def peer_fixture():
    with Sip2Peer(items=copies(), patrons=patrons()) as peer:
        yield peer


def driver(port: int, **settings) -> Sip2Driver:
    return Sip2Driver(
        {"host": "127.0.0.1", "port": port, "institution_id": INSTITUTION, **settings}
    )


def test_the_sip2_driver_offers_the_patron_capabilities():
    assert get_driver("sip2").capabilities == {"availability", "authenticate", "account", "hold"}


# ---------------------------------------------------------------- login


def test_a_patron_logs_in_and_their_identity_is_mapped(peer):
    patron = driver(peer.port).authenticate(CARD, PIN, timeout=2)
    assert (patron.card_number, patron.first_name, patron.last_name) == (
        CARD,
        "Camille",
        "MARTIN",
    )
    assert patron.email == "camille.martin@example.org"
    assert (patron.postal_code, patron.city) == ("69500", "Bron")
    assert (patron.expires_on, patron.birth_date) == (NEXT_YEAR, date(1985, 2, 14))
    assert not patron.blocked and patron.messages == ("Greetings from Koha.",)
    (request,) = peer.requests(PatronInformationRequest)
    assert (request.patron_identifier, request.patron_password) == (CARD, PIN)


def test_a_wrong_pin_and_an_unknown_card_get_the_same_answer(peer):
    with pytest.raises(InvalidCredentials) as wrong_pin:
        driver(peer.port).authenticate(CARD, "0000", timeout=2)
    with pytest.raises(InvalidCredentials) as unknown:
        driver(peer.port).authenticate(UNKNOWN_CARD, PIN, timeout=2)
    assert wrong_pin.value.message == unknown.value.message == InvalidCredentials.MESSAGE
    assert not wrong_pin.value.retryable


def test_a_server_that_does_not_say_the_pin_was_checked_lets_nobody_in():
    peer = Sip2Peer(patrons=patrons(), checks_pin=False)
    with peer, pytest.raises(InvalidCredentials):
        driver(peer.port).authenticate(CARD, PIN, timeout=2)


def test_a_pin_holding_a_sip2_delimiter_is_refused_without_asking_the_server(peer):
    with pytest.raises(InvalidCredentials):
        driver(peer.port).authenticate(CARD, "12|AD34", timeout=2)
    assert not peer.received


def test_a_lost_card_logs_in_blocked(peer):
    patron = driver(peer.port).authenticate(LOST_CARD, "0000", timeout=2)
    assert (patron.blocked, patron.block_reason) == (True, "Carte signalée perdue")
    assert (patron.full_name, patron.display_name) == ("Dominique Petit", "Dominique Petit")


def test_an_expired_card_logs_in_with_its_end_date_and_is_blocked(peer):
    patron = driver(peer.port).authenticate(EXPIRED_CARD, "1111", timeout=2)
    assert patron.expires_on == date(2024, 1, 31)
    assert (patron.blocked, patron.block_reason) == (True, "Carte expirée depuis le 31/01/2024")


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("              ", ""),
        ("YYYY      Y   ", "Amendes à régler"),
        ("Y     Y       ", "Trop de documents en retard"),
        ("YYYY          ", "Prêts suspendus par la bibliothèque"),
        ("   Y          ", "Réservations suspendues par la bibliothèque"),
        ("          YY Y", "Amendes à régler"),
    ],
)
def test_the_patron_status_says_why_service_is_refused(peer, status, reason):
    peer.patrons[CARD].status = status
    patron = driver(peer.port).authenticate(CARD, PIN, timeout=2)
    assert (patron.blocked, patron.block_reason) == (bool(reason), reason)


def test_the_login_goes_through_the_portals_sip2_account_when_configured():
    with Sip2Peer(patrons=patrons(), accounts={"metrobib": "s3cret"}, login_required=True) as peer:
        patron = driver(peer.port, login_user="metrobib", login_password="s3cret").authenticate(
            CARD, PIN, timeout=2
        )
    assert patron.last_name == "MARTIN"


@pytest.mark.parametrize(
    ("personal_name", "expected"),
    [
        (
            "MARTIN, Camille",
            {"full_name": "MARTIN, Camille", "first_name": "Camille", "last_name": "MARTIN"},
        ),
        ("Camille  Martin", {"full_name": "Camille Martin"}),
        ("MARTIN,", {"full_name": "MARTIN"}),
    ],
)
def test_names_are_split_on_the_comma(personal_name, expected):
    assert split_name(personal_name) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("12 rue de la République 69500 Bron", ("69500", "Bron")),
        ("3 place Bellecour, 69002, Lyon", ("69002", "Lyon")),
        ("BP 12345, 69802 Saint-Priest Cedex", ("69802", "Saint-Priest Cedex")),
        ("1 Main Street", ("", "")),
    ],
)
def test_the_postal_code_and_city_are_read_from_the_address(address, expected):
    assert postal_code_and_city(address) == expected


def test_fields_pysip2_drops_are_read_from_the_raw_frame():
    fixed = "64" + " " * 14 + "000" + "20261201    120000" + "0000" * 6
    koha = fixed + "AOBRON|AA1|AEX|PB19850214|PCADULT|AY1AZF00D"
    assert (raw_field(koha, "PB"), raw_field(koha, "PC"), raw_field(koha, "PA")) == (
        "19850214",
        "ADULT",
        None,
    )
    # Evergreen starts with AE (no "|" before it); Polaris' PA is no date.
    evergreen = fixed + "PA20270101|AEX|AA1|AOBRON|"
    assert raw_field(evergreen, "PA") == "20270101"
    assert raw_field(fixed + "AOBRON|AA1|AEX|PA1|", "PA") == "1"
    assert raw_field(fixed + "AOBRON|AA1|AEX|PA20270101", "PA") is None  # no terminator


def test_the_client_asks_the_patron_status(peer):
    with Sip2Client("127.0.0.1", peer.port, timeout=2) as client:
        right = client.patron_status(CARD, PIN, INSTITUTION)
        wrong = client.patron_status(CARD, "0000", INSTITUTION)
        unknown = client.patron_status(UNKNOWN_CARD, PIN, INSTITUTION)
    assert (right.valid_patron, right.valid_patron_password) == ("Y", "Y")
    assert right.personal_name == "MARTIN, Camille"
    assert wrong.valid_patron_password == "N"
    assert (unknown.valid_patron, unknown.patron_status) == ("N", "YYYY" + " " * 10)


# ---------------------------------------------------------------- account


def test_the_account_lists_loans_and_holds_with_titles_and_due_dates(peer):
    account = driver(peer.port).account(PatronRef(CARD), timeout=2)
    loans = {loan.item_id: loan for loan in account.loans}
    assert list(loans) == [ON_LOAN, LATE]
    assert loans[ON_LOAN].title == "Harry Potter à l'école des sorciers"
    assert (loans[ON_LOAN].due_date, loans[ON_LOAN].overdue) == (date(2026, 12, 12), False)
    assert (loans[LATE].title, loans[LATE].barcode) == ("Le Rouge et le Noir", LATE)
    assert (loans[LATE].due_date, loans[LATE].overdue) == (date(2025, 1, 10), True)
    assert all(loan.renewable is None for loan in account.loans)
    holds = {hold.hold_id: hold for hold in account.holds}
    assert holds[ON_HOLD_SHELF].title == "Vendredi ou la vie sauvage"
    assert (holds[ON_HOLD_SHELF].ready, holds[ON_HOLD_SHELF].status) == (
        True,
        "Disponible au retrait",
    )
    assert (holds[IN_TRANSIT].ready, holds[IN_TRANSIT].status) == (False, "En transit")
    assert all(hold.position is None for hold in account.holds)  # SIP2 does not say
    assert account.fines == "2.50 EUR"
    assert account.patron.last_name == "MARTIN"
    assert account.messages == ("Greetings from Koha.",)
    asked = peer.requests(PatronInformationRequest)
    assert [r.summary for r in asked] == ["  Y       ", " Y        ", "Y         "]
    # No AD at all: Koha would check an empty one, and add "Invalid password" to AF.
    assert all(r.patron_password is None for r in asked)


def test_an_account_with_nothing_asks_one_list(peer):
    peer.patrons[CARD].charged, peer.patrons[CARD].overdue = [], []
    peer.patrons[CARD].holds, peer.patrons[CARD].fee = [], "0.00"
    account = driver(peer.port).account(PatronRef(CARD), timeout=2)
    assert (account.loans, account.holds, account.fines) == ((), (), "")
    assert len(peer.requests(PatronInformationRequest)) == 1


def test_a_hold_on_a_title_without_a_copy_yet_is_left_out(peer):
    peer.patrons[CARD].holds = ["", ON_HOLD_SHELF]  # Koha: AS with no barcode
    account = driver(peer.port).account(PatronRef(CARD), timeout=2)
    assert [hold.hold_id for hold in account.holds] == [ON_HOLD_SHELF]


def test_when_time_runs_out_the_account_comes_without_the_titles_left():
    with Sip2Peer(items=copies(), patrons=patrons(), delay=0.3) as peer:
        started = time.monotonic()
        account = driver(peer.port).account(PatronRef(CARD), timeout=1.0)
        elapsed = time.monotonic() - started
    # Three 63 at once, then a 17 every 0.3 s: the fourth would come at 1.2 s, too late.
    titles = [loan.title for loan in account.loans] + [hold.title for hold in account.holds]
    assert titles[:3] == [
        "Harry Potter à l'école des sorciers",
        "Le Rouge et le Noir",
        "Vendredi ou la vie sauvage",
    ]
    assert titles[3] == "" and account.holds[1].status == "En attente"
    assert elapsed < 1.0 + 0.2, elapsed


def test_a_card_the_server_no_longer_knows_has_no_account(peer):
    with pytest.raises(ConnectorError) as failed:
        driver(peer.port).account(PatronRef(UNKNOWN_CARD), timeout=2)
    assert not failed.value.retryable


# ---------------------------------------------------------------- renewals and holds


def test_a_renewal_gives_the_new_due_date(peer):
    result = driver(peer.port).renew(PatronRef(CARD), ON_LOAN, timeout=2)
    assert (result.ok, result.due_date) == (True, TODAY + timedelta(days=28))
    (request,) = peer.requests(RenewRequest)
    assert (request.patron_identifier, request.item_identifier) == (CARD, ON_LOAN)


def test_a_refused_renewal_says_why_in_french(peer):
    result = driver(peer.port).renew(PatronRef(CARD), LATE, timeout=2)
    assert (result.ok, result.message) == (False, "Ce document est réservé par un autre lecteur.")
    assert result.due_date is None


@pytest.mark.parametrize(
    ("screen_message", "reason"),
    [
        ("too_soon", "Ce document ne peut pas encore être renouvelé."),
        (
            "Prolongation impossible : document en retard.",
            "Prolongation impossible : document en retard.",
        ),
        ("", "Le renouvellement a été refusé par la bibliothèque."),
    ],
)
def test_a_refusal_koha_does_not_explain_keeps_the_servers_words_or_a_general_reason(
    peer, screen_message, reason
):
    peer.patrons[CARD].refuse_renewal = {ON_LOAN: screen_message}
    result = driver(peer.port).renew(PatronRef(CARD), ON_LOAN, timeout=2)
    assert (result.ok, result.message) == (False, reason)


def test_a_hold_is_placed_on_a_copy_then_cancelled(peer):
    sip2 = driver(peer.port)
    placed = sip2.place_hold(
        PatronRef(CARD), record_id="42", item_id=ON_LOAN, pickup_location="BRON-JP", timeout=2
    )
    assert placed.ok and ON_LOAN in peer.patrons[CARD].holds
    cancelled = sip2.cancel_hold(PatronRef(CARD), ON_LOAN, timeout=2)
    assert cancelled.ok and ON_LOAN not in peer.patrons[CARD].holds
    place, cancel = peer.requests(HoldRequest)
    assert (place.hold_mode, place.item_identifier, place.title_identifier) == ("+", ON_LOAN, None)
    assert place.pickup_location == "BRON-JP"
    assert (cancel.hold_mode, cancel.item_identifier) == ("-", ON_LOAN)


def test_a_hold_without_a_copy_is_placed_on_the_title(peer):
    assert driver(peer.port).place_hold(PatronRef(CARD), record_id="42", timeout=2).ok
    (request,) = peer.requests(HoldRequest)
    assert (request.item_identifier, request.title_identifier) == (None, "42")


def test_cancelling_a_hold_the_server_does_not_know_is_refused_with_its_reason(peer):
    result = driver(peer.port).cancel_hold(PatronRef(CARD), "9999", timeout=2)
    assert (result.ok, result.message) == (False, "Aucune réservation de ce document.")


# ---------------------------------------------------------------- broken servers


@pytest.mark.parametrize(
    "call",
    [
        lambda sip2: sip2.authenticate(CARD, PIN, timeout=0.5),
        lambda sip2: sip2.account(PatronRef(CARD), timeout=0.5),
        lambda sip2: sip2.renew(PatronRef(CARD), ON_LOAN, timeout=0.5),
        lambda sip2: sip2.place_hold(PatronRef(CARD), record_id="42", timeout=0.5),
        lambda sip2: sip2.cancel_hold(PatronRef(CARD), ON_LOAN, timeout=0.5),
    ],
    ids=["authenticate", "account", "renew", "place_hold", "cancel_hold"],
)
def test_a_server_that_hangs_is_a_retryable_error_within_the_timeout(call):
    with RawPeer(hangs) as peer:
        started = time.monotonic()
        with pytest.raises(ConnectorError) as failed:
            call(driver(peer.port))
        elapsed = time.monotonic() - started
    assert failed.value.retryable and "ne répond pas" in failed.value.message
    assert 0.45 <= elapsed < 0.5 + 0.3, elapsed


def test_a_garbage_answer_is_an_error_retrying_will_not_fix():
    peer = RawPeer(lambda frame: b"HTTP/1.1 400 Bad Request\r")
    with peer, pytest.raises(ConnectorError) as failed:
        driver(peer.port).authenticate(CARD, PIN, timeout=2)
    assert not failed.value.retryable and not isinstance(failed.value, InvalidCredentials)


def test_a_connection_dropped_in_the_middle_of_an_answer_is_retryable():
    peer = RawPeer(lambda frame: b"64              00020261201", close_after=True)
    with peer, pytest.raises(ConnectorError) as failed:
        driver(peer.port).authenticate(CARD, PIN, timeout=2)
    assert failed.value.retryable and "au milieu d'un message" in failed.value.message


def test_neither_the_pin_nor_the_card_is_logged_or_put_in_an_error(peer, caplog):
    caplog.set_level(logging.DEBUG)
    errors = []
    with pytest.raises(InvalidCredentials) as wrong_pin:
        driver(peer.port).authenticate(CARD, "7319", timeout=2)
    errors.append(wrong_pin.value)
    with RawPeer(hangs) as hanging, pytest.raises(ConnectorError) as timed_out:
        driver(hanging.port).authenticate(CARD, "7319", timeout=0.3)
    errors.append(timed_out.value)
    seen = caplog.text + " ".join(f"{e} {e.message}" for e in errors)
    assert "7319" not in seen and CARD not in seen
