"""Patrons through Koha's ILS-DI, against an ``ilsdi.pl`` replayed on 127.0.0.1
(``tests/connectors/ilsdi_server.py``): login (AuthenticatePatron then GetPatronInfo),
account (loans and holds), renewal, holds placed and cancelled, with Koha's real recorded
answers where they exist, BiblixNet's and Nanook's, and a Koha that hangs, fails or
answers garbage. The PIN never reaches a log line nor an error."""

import logging
import time
from datetime import date

import pytest
from django.utils import timezone

from connectors.base import (
    ActionResult,
    ConnectorError,
    Hold,
    InvalidCredentials,
    Loan,
    PatronIdentity,
    PatronRef,
)
from connectors.ilsdi.driver import IlsdiDriver
from connectors.ilsdi.patrons import (
    parse_authentication,
    parse_hold_cancelled,
    parse_hold_placed,
    parse_patron_info,
    parse_renewal,
)
from connectors.registry import get_driver
from tests.connectors.ilsdi_server import (  # noqa: F401
    BORROWERNUMBER,
    CARD,
    DATA,
    PIN,
    ilsdi_server_fixture,
)

pytestmark = pytest.mark.ilsdi

LAURENT = PatronRef(CARD, BORROWERNUMBER)
MEUSE = "Bibliothèque Départementale de la Meuse"
TODAY = date(2026, 12, 3)  # the synthetic account's loans and holds are dated around it


def driver(server, **settings) -> IlsdiDriver:
    return IlsdiDriver({"base_url": server.url, **settings})


def answer(service: str, body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n<{service}>{body}</{service}>'.encode()


@pytest.fixture(name="today")
def today_fixture(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


# ---------------------------------------------------------------- login


def test_a_patron_logs_in_with_card_and_pin_and_koha_says_who_they_are(ilsdi_server):
    patron = driver(ilsdi_server).authenticate(CARD, PIN, timeout=2)
    assert patron == PatronIdentity(  # the real Koha 3 answer
        card_number="10002000",
        system_id="572",
        first_name="laurent",
        last_name="llaffont",
        birth_date=date(1978, 2, 17),
        expires_on=date(2012, 4, 12),
    )
    assert patron.ref == LAURENT
    assert ilsdi_server.requests() == [
        {"service": "AuthenticatePatron", "username": CARD, "password": PIN},
        {"service": "GetPatronInfo", "patron_id": "572", "show_contact": "1"},
    ]


def test_an_unknown_card_and_a_wrong_pin_get_the_same_refusal(ilsdi_server):
    with pytest.raises(InvalidCredentials) as unknown:
        driver(ilsdi_server).authenticate("10009999", PIN, timeout=2)
    with pytest.raises(InvalidCredentials) as wrong_pin:
        driver(ilsdi_server).authenticate(CARD, "0000", timeout=2)
    assert unknown.value.message == wrong_pin.value.message == InvalidCredentials.MESSAGE
    assert not wrong_pin.value.retryable
    assert [r["service"] for r in ilsdi_server.requests()] == ["AuthenticatePatron"] * 2


def test_an_expired_pin_is_refused_saying_so(ilsdi_server):
    ilsdi_server.then(body=answer("AuthenticatePatron", "<code>PasswordExpired</code>"))
    with pytest.raises(InvalidCredentials) as expired:
        driver(ilsdi_server).authenticate(CARD, PIN, timeout=2)
    assert "code confidentiel a expiré" in expired.value.message


def test_an_empty_pin_is_refused_without_asking_koha(ilsdi_server):
    with pytest.raises(InvalidCredentials):
        driver(ilsdi_server).authenticate(CARD, "", timeout=2)
    assert ilsdi_server.received == []


def test_nanooks_login_answer_names_the_patron_patronid():
    answer = (DATA / "NanookFixtures_xmlAuthenticatePatronChristelDelpeyroux.xml").read_bytes()
    assert parse_authentication(answer) == "1"


def test_restrictions_lost_cards_and_bad_addresses_block_the_card():
    def identity(fields: str) -> PatronIdentity:
        info = answer("GetPatronInfo", f"<borrowernumber>9</borrowernumber>{fields}")
        return parse_patron_info(info, today=TODAY, card_number="123").patron

    assert identity("<debarred>2027-01-31</debarred>").block_reason == (
        "Carte suspendue jusqu'au 31/01/2027"
    )
    assert identity("<debarred>9999-12-31</debarred>").block_reason == "Carte suspendue"
    assert identity("<debarred>1</debarred>").block_reason == "Carte suspendue"  # Koha 3
    assert not identity("<debarred>2026-12-02</debarred><lost>0</lost>").blocked  # ended
    both = identity("<lost>1</lost><gonenoaddress>1</gonenoaddress>")
    assert both.blocked and both.block_reason == (
        "Carte signalée perdue ; Adresse à mettre à jour auprès de la bibliothèque"
    )
    assert both.card_number == "123" and both.system_id == "9"


# ---------------------------------------------------------------- account


def test_the_account_lists_loans_and_holds_as_koha_gives_them(ilsdi_server, today):
    account = driver(ilsdi_server).account(LAURENT, timeout=2)
    assert account.loans == (
        Loan(
            item_id="33028",
            title="Harry Potter à l'école des sorciers",
            due_date=date(2026, 10, 6),
            barcode="2661690090",
            author="J. K. Rowling",
            overdue=True,
            renewals=2,  # this loan's (renewals_count), not the copy's 9
            record_id="33233",
        ),
        Loan(
            item_id="24431",
            title="Le petit prince",  # without the ISBD " /"
            due_date=date(2026, 12, 29),
            barcode="3512150090",
            author="Antoine de Saint-Exupéry",
            renewals=0,
            record_id="27140",
        ),
    )
    waiting, queued, in_transit = account.holds
    assert waiting == Hold(
        hold_id="4101",
        title="Harry Potter et la chambre des secrets",
        status="Disponible au retrait",
        ready=True,
        pickup_location=MEUSE,
        placed_on=date(2026, 11, 16),
        expires_on=date(2026, 12, 9),
        cancellable=False,
        record_id="27136",
        item_id="24426",
    )
    assert (queued.status, queued.position, queued.cancellable) == ("En attente", 2, True)
    assert (queued.hold_id, queued.item_id, queued.title) == ("4102", "", "Le Seigneur des anneaux")
    assert (in_transit.status, in_transit.ready, in_transit.cancellable) == (
        "En transit",
        False,
        False,
    )
    assert in_transit.pickup_location == "Médiathèque Jean Prévost"
    assert account.fines == "2,50\u00a0€"
    assert account.messages == ("Votre abonnement est à renouveler en avril.",)
    assert account.patron.email == "laurent.llaffont@example.org"
    assert (account.patron.postal_code, account.patron.city) == ("55000", "Bar-le-Duc")
    assert ilsdi_server.requests() == [
        {
            "service": "GetPatronInfo",
            "patron_id": "572",
            "show_contact": "1",
            "show_loans": "1",
            "show_holds": "1",
        }
    ]


def test_the_real_koha_3_account_gives_its_hold_with_its_rank_and_library():
    info = (DATA / "KohaFixtures_xmlGetPatronInfoLaurent.xml").read_bytes()
    account = parse_patron_info(info, today=TODAY)
    assert account.loans == () and account.fines == ""
    assert account.holds == (
        Hold(
            hold_id="234",  # reservenumber, BibLibre's Koha 3
            title="Harry Potter et la chambre des secrets",
            status="En attente",
            position=2,
            pickup_location=MEUSE,  # written "BibliothÃ¨que DÃ©partementale", mended
            placed_on=date(2011, 4, 13),
            record_id="27136",
            item_id="24426",
        ),
    )


def test_a_card_without_its_borrowernumber_is_looked_up_first(ilsdi_server, today):
    account = driver(ilsdi_server).account(PatronRef(CARD), timeout=2)
    assert account.patron.system_id == "572" and len(account.loans) == 2
    assert ilsdi_server.requests()[0] == {
        "service": "LookupPatron",
        "id": CARD,
        "id_type": "cardnumber",
    }
    assert ilsdi_server.requests()[1]["patron_id"] == "572"


def test_a_patron_koha_no_longer_knows_is_an_error(ilsdi_server):
    with pytest.raises(ConnectorError) as gone:
        driver(ilsdi_server).account(PatronRef(CARD, "999"), timeout=2)
    assert "PatronNotFound" in gone.value.message and not gone.value.retryable


# ---------------------------------------------------------------- renewals


def test_a_renewal_gives_the_new_due_date(ilsdi_server):
    result = driver(ilsdi_server).renew(LAURENT, "24431", timeout=2)
    assert result == ActionResult(ok=True, due_date=date(2027, 1, 19))
    assert ilsdi_server.requests() == [
        {"service": "RenewLoan", "patron_id": "572", "item_id": "24431"}
    ]


def test_the_empty_answers_of_biblixnet_and_nanook_are_renewals(ilsdi_server):
    ilsdi_server.then(file="BiblixNetFixtures_xmlRenewLoanSuccess.xml")
    ilsdi_server.then(file="NanookFixtures_xmlRenewLoanSucces.xml")
    ilsdi = driver(ilsdi_server)
    assert ilsdi.renew(LAURENT, "24431", timeout=2) == ActionResult(ok=True)
    assert ilsdi.renew(LAURENT, "24431", timeout=2) == ActionResult(ok=True)


def test_a_refused_renewal_says_why_in_french(ilsdi_server):
    ilsdi_server.then(file="synthetic_RenewLoan_too_many.xml")
    ilsdi_server.then(file="BiblixNetFixtures_xmlRenewLoanError.xml")  # NotAuthorized
    ilsdi_server.then(body=answer("RenewLoan", "<success>0</success>"))
    ilsdi = driver(ilsdi_server)
    assert ilsdi.renew(LAURENT, "33028", timeout=2) == ActionResult(
        ok=False, message="Nombre maximum de renouvellements atteint."
    )
    refused = "Le renouvellement a été refusé par la bibliothèque."
    assert ilsdi.renew(LAURENT, "33028", timeout=2) == ActionResult(ok=False, message=refused)
    assert ilsdi.renew(LAURENT, "33028", timeout=2) == ActionResult(ok=False, message=refused)


@pytest.mark.parametrize(
    "error, reason",
    [
        ("on_reserve", "Un autre lecteur l'a réservé."),
        ("too_soon", "Trop tôt pour renouveler."),
        ("overdue", "Carte ou document en retard : renouvellement impossible."),
        ("restriction", "Carte ou document en retard : renouvellement impossible."),
        ("debarred", "Carte ou document en retard : renouvellement impossible."),
        ("something_new", "Le renouvellement a été refusé par la bibliothèque."),
    ],
)
def test_kohas_renewal_refusals_read_in_french(error, reason):
    refusal = answer("RenewLoan", f"<success>0</success><error>{error}</error>")
    assert parse_renewal(refusal) == ActionResult(ok=False, message=reason)


# ---------------------------------------------------------------- holds


def test_a_title_hold_and_an_item_hold_carry_exactly_kohas_parameters(ilsdi_server):
    ilsdi = driver(ilsdi_server)
    record = "oai:bdm.example.org:27140"
    assert ilsdi.place_hold(LAURENT, record_id=record, pickup_location="BDM", timeout=2).ok
    placed = ilsdi.place_hold(LAURENT, record_id=record, item_id="24431", timeout=2)
    assert placed == ActionResult(ok=True, message=f"À retirer à : {MEUSE}.")
    assert ilsdi_server.requests() == [
        {
            "service": "HoldTitle",
            "patron_id": "572",
            "bib_id": "27140",
            "request_location": "127.0.0.1",  # required by ilsdi.pl, read by no Koha
            "pickup_location": "BDM",
        },
        # ilsdi.pl refuses request_location for HoldItem (IllegalParameter)
        {"service": "HoldItem", "patron_id": "572", "bib_id": "27140", "item_id": "24431"},
    ]


def test_nanooks_empty_answer_is_a_hold_placed(ilsdi_server):
    ilsdi_server.then(file="NanookFixtures_xmlHoldTitleSuccess.xml")
    placed = driver(ilsdi_server).place_hold(LAURENT, record_id="27140", timeout=2)
    assert placed == ActionResult(ok=True)


def test_a_refused_hold_says_why_in_french(ilsdi_server):
    # BiblixNet answers its own "Deja Reserve" and Koha's NotHoldable: the known one wins.
    ilsdi_server.then(file="BiblixNetFixtures_xmlHoldTitleError.xml")
    refused = driver(ilsdi_server).place_hold(LAURENT, record_id="27140", timeout=2)
    assert refused == ActionResult(ok=False, message="Ce document ne peut pas être réservé.")
    recent = answer("HoldItem", "<code>tooManyReserves</code>")
    assert parse_hold_placed(recent, "HoldItem").message == (
        "Vous avez atteint le nombre maximal de réservations."
    )
    for code, reason in [
        ("PatronNotFound", "Votre carte n'est plus reconnue"),
        ("RecordNotFound", "Ce document n'a pas été trouvé"),
        ("ItemNotFound", "Cet exemplaire n'a pas été trouvé"),
        ("NoPickupLocation", "Aucune bibliothèque de retrait"),
    ]:
        refused = parse_hold_placed(answer("HoldItem", f"<code>{code}</code>"), "HoldItem")
        assert not refused.ok and refused.message.startswith(reason), code
    unknown = answer("HoldTitle", "<code>SomethingNew</code>")
    assert parse_hold_placed(unknown, "HoldTitle") == ActionResult(
        ok=False, message="La réservation a été refusée par la bibliothèque."
    )


def test_a_record_without_a_biblionumber_is_not_sent_to_koha(ilsdi_server):
    refused = driver(ilsdi_server).place_hold(LAURENT, record_id="frBN000123X", timeout=2)
    assert not refused.ok and "en ligne" in refused.message
    assert ilsdi_server.received == []


def test_a_hold_is_cancelled_by_its_reserve_id(ilsdi_server):
    ilsdi = driver(ilsdi_server)
    assert ilsdi.cancel_hold(LAURENT, "4102", timeout=2) == ActionResult(ok=True)
    ilsdi_server.then(file="BiblixNetFixtures_xmlCancelHoldSuccess.xml")  # empty
    assert ilsdi.cancel_hold(LAURENT, "4102", timeout=2) == ActionResult(ok=True)
    assert ilsdi_server.requests()[0] == {
        "service": "CancelHold",
        "patron_id": "572",
        "item_id": "4102",
    }


def test_a_refused_cancellation_says_so(ilsdi_server):
    ilsdi_server.then(file="NanookFixtures_xmlCancelHoldError.xml")  # <error>NotCanceled
    refused = driver(ilsdi_server).cancel_hold(LAURENT, "4101", timeout=2)
    assert refused == ActionResult(ok=False, message="La réservation n'a pas pu être annulée.")
    waiting = answer("CancelHold", "<code>BorrowerCannotCancelHold</code>")
    assert "ne peut plus être annulée en ligne" in parse_hold_cancelled(waiting).message


# ---------------------------------------------------------------- a Koha that fails


def test_a_koha_that_hangs_times_out_within_the_deadline(ilsdi_server):
    ilsdi_server.then(stall=5)
    started = time.monotonic()
    with pytest.raises(ConnectorError) as silent:
        driver(ilsdi_server).authenticate(CARD, PIN, timeout=0.5)
    elapsed = time.monotonic() - started
    assert "ne répond pas" in silent.value.message and silent.value.retryable
    assert elapsed < 0.9, elapsed


def test_both_login_requests_share_one_timeout(ilsdi_server):
    ilsdi_server.then(stall=0.4)  # AuthenticatePatron answers late
    ilsdi_server.then(stall=5)  # GetPatronInfo does not answer
    started = time.monotonic()
    with pytest.raises(ConnectorError) as silent:
        driver(ilsdi_server).authenticate(CARD, PIN, timeout=0.7)
    elapsed = time.monotonic() - started
    assert silent.value.retryable and not isinstance(silent.value, InvalidCredentials)
    assert elapsed < 1.0, elapsed
    assert [r["service"] for r in ilsdi_server.requests()] == [
        "AuthenticatePatron",
        "GetPatronInfo",
    ]


def test_a_server_error_is_retryable(ilsdi_server):
    ilsdi_server.then(status=500, body=b"Internal Server Error")
    with pytest.raises(ConnectorError) as failed:
        driver(ilsdi_server).renew(LAURENT, "24431", timeout=2)
    assert "HTTP 500" in failed.value.message and failed.value.retryable
    assert len(ilsdi_server.received) == 1


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"Software error: DBI connect failed", "n'est pas du XML lisible"),
        (b"", "n'est pas du XML lisible"),
        (b"<html><body>Koha</body></html>", "<html> au lieu de <RenewLoan>"),
    ],
)
def test_an_answer_that_is_not_kohas_is_an_error_not_worth_retrying(ilsdi_server, body, problem):
    ilsdi_server.then(body=body)
    with pytest.raises(ConnectorError) as broken:
        driver(ilsdi_server).renew(LAURENT, "24431", timeout=2)
    assert problem in broken.value.message and not broken.value.retryable


def test_koha_refusing_the_service_is_an_error_not_wrong_credentials(ilsdi_server):
    ilsdi_server.then(
        body=answer(
            "AuthenticatePatron",
            "<code>NotAllowed</code><message>Unauthorized IP address: 10.0.0.1.</message>",
        )
    )
    with pytest.raises(ConnectorError) as refused:
        driver(ilsdi_server).authenticate(CARD, PIN, timeout=2)
    assert not isinstance(refused.value, InvalidCredentials)
    assert "ILS-DI:AuthorizedIPs" in refused.value.message and not refused.value.retryable


def test_neither_the_pin_nor_the_card_is_logged_or_put_in_an_error(ilsdi_server, caplog):
    caplog.set_level(logging.DEBUG)
    ilsdi = driver(ilsdi_server)
    errors: list[ConnectorError] = []
    ilsdi.authenticate(CARD, PIN, timeout=2)
    with pytest.raises(InvalidCredentials) as refused:
        ilsdi.authenticate(CARD, PIN + "0", timeout=2)
    errors.append(refused.value)
    ilsdi_server.then(stall=5)
    with pytest.raises(ConnectorError) as silent:
        ilsdi.authenticate(CARD, PIN, timeout=0.3)
    errors.append(silent.value)
    assert "service=AuthenticatePatron&username=***&password=***" in caplog.text  # httpx's
    assert PIN not in caplog.text and CARD not in caplog.text
    for error in errors:
        assert PIN not in f"{error} {error.message} {error.__cause__!r}"
        assert CARD not in f"{error} {error.message} {error.__cause__!r}"


def test_the_driver_offers_logins_accounts_and_holds():
    ilsdi = get_driver("ilsdi")
    assert all(ilsdi.supports(c) for c in ("availability", "authenticate", "account", "hold"))
    assert not ilsdi.supports("harvest")
