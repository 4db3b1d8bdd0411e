"""What the issue's "done" asks, through the portal's own pages: a patron of a Koha library
(ILS-DI replayed on 127.0.0.1, tests/connectors/ilsdi_server.py) and a patron of a
SIP2-only library (pysip2's server over TCP, tests/connectors/sip2_peers.py) each log in
with their card and PIN, see their loans in "mon compte" and renew one. The PIN is in no
log line, no database row and no page."""

import html
import logging
from datetime import date

import pytest
from django.urls import reverse

from accounts.models import LibraryCard, LoginEvent, Patron
from connectors.models import Connector
from tests.accounts.stored import assert_pins_stored_nowhere
from tests.connectors.ilsdi_server import BORROWERNUMBER, replay_koha
from tests.connectors.ilsdi_server import CARD as KOHA_CARD
from tests.connectors.ilsdi_server import PIN as KOHA_PIN
from tests.connectors.sip2_peers import Copy, Sip2Peer, sip_date
from tests.connectors.sip2_peers import Patron as SipPatron

LOGIN = reverse("accounts:login")
ACCOUNT = reverse("accounts:account")
RENEW = reverse("accounts:renew")
SIP_CARD, SIP_PIN = "2925000777", "8642"
LOANS = {
    "3700000000550": Copy("04", "Les Misérables", "20261220    235900"),
    "3700000000567": Copy("04", "Le Petit Prince", "20261222    235900"),
}


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def pin_is_nowhere(pin: str, caplog, *pages) -> None:
    assert all(pin not in record.getMessage() for record in caplog.records)
    assert all(pin not in page_text(page) for page in pages)
    assert_pins_stored_nowhere((pin,))


@pytest.fixture(name="koha")
def koha_fixture(cast):
    """Library A runs Koha, reached through ILS-DI; Laurent's card matches its pattern."""
    with replay_koha() as server:
        # A patron whose card runs until 2027 (the synthetic answer of today's Koha), at
        # login as in the account: the real recording is of a card that ended in 2012.
        server.route(
            "synthetic_GetPatronInfo_loans.xml",
            service="GetPatronInfo",
            patron_id=BORROWERNUMBER,
            show_contact="1",
        )
        Connector.objects.create(
            library=cast.library_a,
            name="Koha",
            driver="ilsdi",
            schedule="manual",
            card_pattern=r"1000\d{4}",
            settings={"base_url": server.url},
        )
        yield server


@pytest.fixture(name="sip2")
def sip2_fixture(cast):
    """Library B runs a system that speaks only SIP2; one patron with two loans, the
    second of which the system refuses to renew (another patron holds it)."""
    patron = SipPatron(
        card=SIP_CARD,
        pin=SIP_PIN,
        name="DURAND, Inès",
        email="ines.durand@example.org",
        address="3 rue Émile Zola 69200 Vénissieux",
        expiry=sip_date(date(2027, 9, 30)),
        charged=list(LOANS),
        refuse_renewal={"3700000000567": "Item unavailable due to outstanding holds"},
    )
    with Sip2Peer(items=dict(LOANS), patrons={SIP_CARD: patron}) as peer:
        Connector.objects.create(
            library=cast.library_b,
            name="SIP2",
            driver="sip2",
            schedule="manual",
            card_pattern=r"2925\d{6}",
            settings={"host": "127.0.0.1", "port": peer.port, "institution_id": "VEN"},
        )
        yield peer


@pytest.mark.ilsdi
def test_a_koha_patron_logs_in_sees_the_loans_and_renews_one(client, koha, cast, caplog):
    caplog.set_level(logging.DEBUG)
    login = client.post(LOGIN, {"card_number": KOHA_CARD, "pin": KOHA_PIN})
    assert login.status_code == 302 and login.url == ACCOUNT
    card = LibraryCard.objects.get()
    assert (card.card_number, card.system_id) == (KOHA_CARD, BORROWERNUMBER)
    assert card.library == cast.library_a and str(card.expires_on) == "2027-04-12"
    assert Patron.objects.get().home_library == cast.library_a

    account = client.get(ACCOUNT)
    text = page_text(account)
    assert "Prêts (2)" in text and "Harry Potter à l'école des sorciers" in text
    assert "Le Seigneur des anneaux" in text  # a hold, second in the queue

    renewed = client.post(
        RENEW,
        {"card": card.pk, "item": "24431", "title-24431": "Le Petit Prince"},
        follow=True,
    )
    assert "« Le Petit Prince » est renouvelé jusqu'au 19/01/2027." in page_text(renewed)
    asked = [r for r in koha.requests() if r.get("service") == "RenewLoan"]
    assert asked == [{"service": "RenewLoan", "patron_id": BORROWERNUMBER, "item_id": "24431"}]
    assert LoginEvent.objects.get().kind == "success"
    pin_is_nowhere(KOHA_PIN, caplog, login, account, renewed)


@pytest.mark.ilsdi
def test_a_koha_card_that_has_ended_logs_in_and_says_what_to_do(client, koha):
    """Koha's real answer for Laurent: a card that ended on 12 April 2012."""
    koha.route(
        "KohaFixtures_xmlGetPatronInfoLaurent.xml",
        service="GetPatronInfo",
        patron_id=BORROWERNUMBER,
        show_contact="1",
    )
    client.post(LOGIN, {"card_number": KOHA_CARD, "pin": KOHA_PIN})
    text = page_text(client.get(ACCOUNT))
    assert "Votre abonnement a pris fin le 12/04/2012." in text
    assert "Renouvelez-le à l'accueil de votre bibliothèque" in text


@pytest.mark.ilsdi
def test_a_wrong_koha_pin_is_refused_and_not_kept(client, koha, caplog):
    caplog.set_level(logging.DEBUG)
    refused = client.post(LOGIN, {"card_number": KOHA_CARD, "pin": "9313"})
    assert refused.status_code == 400
    assert "Numéro de carte ou code confidentiel incorrect." in page_text(refused)
    assert not LibraryCard.objects.exists()
    assert LoginEvent.objects.get().kind == "failure"
    pin_is_nowhere("9313", caplog, refused)


@pytest.mark.sip2
def test_a_sip2_patron_logs_in_sees_the_loans_and_renews_one(client, sip2, cast, caplog):
    caplog.set_level(logging.DEBUG)
    login = client.post(LOGIN, {"card_number": SIP_CARD, "pin": SIP_PIN})
    assert login.status_code == 302 and login.url == ACCOUNT
    card = LibraryCard.objects.get()
    assert card.library == cast.library_b and str(card.expires_on) == "2027-09-30"
    patron = Patron.objects.get()
    assert (patron.user.first_name, patron.user.last_name) == ("Inès", "DURAND")
    assert patron.user.email == "ines.durand@example.org"

    account = client.get(ACCOUNT)
    text = page_text(account)
    assert "Prêts (2)" in text
    assert "Les Misérables" in text and "20/12/2026" in text

    renewed = client.post(
        RENEW,
        {
            "card": card.pk,
            "tout": "1",
            "every": list(LOANS),
            "title-3700000000550": "Les Misérables",
            "title-3700000000567": "Le Petit Prince",
        },
        follow=True,
    )
    text = page_text(renewed)
    assert "« Les Misérables » est renouvelé jusqu'au" in text
    assert (
        "« Le Petit Prince » n'a pas été renouvelé : Ce document est réservé par un autre "
        "lecteur." in text
    )
    assert sip2.items["3700000000550"].due_date != LOANS["3700000000550"].due_date
    pin_is_nowhere(SIP_PIN, caplog, login, account, renewed)


@pytest.mark.sip2
@pytest.mark.ilsdi
def test_one_person_with_a_koha_card_and_a_sip2_card_sees_both(client, koha, sip2):
    client.post(LOGIN, {"card_number": KOHA_CARD, "pin": KOHA_PIN})
    linked = client.post(reverse("accounts:cards"), {"card_number": SIP_CARD, "pin": SIP_PIN})
    assert linked.status_code == 302
    parts = client.get(ACCOUNT).context["accounts"]
    assert [len(part.account.loans) for part in parts] == [2, 2]
    assert Patron.objects.count() == 1 and LibraryCard.objects.count() == 2
