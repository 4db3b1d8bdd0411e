"""Patrons log in with their library card, checked by their library's system (here the
demo driver's system, demo/patrons/demo-patrons.json), and see their account."""

import html
import time

from axes.models import AccessAttempt
from django.urls import reverse

from accounts.models import LibraryCard, LoginEvent, Patron, Role
from accounts.patrons import card_ref
from connectors.models import Connector
from tests.accounts.stored import assert_pins_stored_nowhere
from tests.connectors.sip2_peers import RawPeer, hangs

LOGIN = reverse("accounts:login")
ACCOUNT = reverse("accounts:account")
BRON_CARD, BRON_PIN = "2902000101", "1234"  # Camille Martin, 4 loans (1 overdue), 2 holds
EXPIRED_CARD, EXPIRED_PIN = "2902000102", "5678"
BLOCKED_CARD, BLOCKED_PIN = "2925000202", "0000"
CALUIRE_CARD, CALUIRE_PIN = "2903000301", "4321"


def log_in(client, card=BRON_CARD, pin=BRON_PIN, **extra):
    return client.post(LOGIN, {"card_number": card, "pin": pin, **extra})


def test_patron_logs_in_with_card_and_pin_and_gets_a_new_session(client, systems, cast):
    client.get(LOGIN)
    before = client.cookies.get("sessionid")
    response = log_in(client, card="2902 0001-01")  # spaces and dashes as typed
    assert response.status_code == 302 and response.url == ACCOUNT
    assert client.cookies["sessionid"].value != (before.value if before else "")
    card = LibraryCard.objects.get()
    assert card.card_number == BRON_CARD and card.library == cast.library_a
    patron = Patron.objects.get()
    assert patron.user.role == Role.PATRON and not patron.user.has_usable_password()
    assert (patron.user.first_name, patron.user.last_name) == ("Camille", "Martin")
    assert patron.home_library == cast.library_a and patron.commune == cast.commune_a
    assert patron.age_band == "26-64"
    event = LoginEvent.objects.get()
    assert event.kind == "success" and event.library == cast.library_a
    assert event.login_digest and BRON_CARD not in event.login_digest
    assert event.network == "127.0.0.0/24"


def test_second_login_with_the_same_card_is_the_same_person(client, systems):
    log_in(client)
    client.post(reverse("accounts:logout"))
    log_in(client)
    assert Patron.objects.count() == 1 and LibraryCard.objects.count() == 1


def test_wrong_pin_and_unknown_card_get_the_same_message(client, systems):
    wrong_pin = log_in(client, pin="9999")
    unknown = log_in(client, card="2902999999", pin="1234")
    for response in (wrong_pin, unknown):
        assert response.status_code == 400
        assert "Numéro de carte ou code confidentiel incorrect." in html.unescape(
            response.content.decode()
        )
    assert not Patron.objects.exists()
    assert list(LoginEvent.objects.values_list("kind", flat=True)) == ["failure", "failure"]


def test_the_pin_is_stored_nowhere(client, systems):
    log_in(client, pin="8642")  # refused: axes records the attempt
    attempt = AccessAttempt.objects.get()
    assert BRON_CARD not in attempt.username and BRON_CARD not in attempt.post_data
    assert "8642" not in attempt.post_data
    log_in(client)
    assert_pins_stored_nowhere(("8642", BRON_PIN))


def test_card_number_without_pattern_asks_for_the_library(client, systems, cast):
    response = log_in(client, card="12345678")
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "Nous n'avons pas reconnu la bibliothèque de cette carte." in page
    assert "Choisissez votre bibliothèque." in page
    assert not LoginEvent.objects.exists()  # not a failure: nothing was checked
    chosen = log_in(client, card=BRON_CARD, library=cast.library_a.pk)
    assert chosen.status_code == 302


def test_too_many_failures_lock_the_card_out_with_a_clear_message(client, systems, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        log_in(client, pin="0000")
    locked = log_in(client)  # even the right PIN, during the lockout
    assert locked.status_code == 429
    assert "Connexion suspendue pour 15 minutes" in locked.content.decode()
    assert not Patron.objects.exists()
    assert LoginEvent.objects.filter(kind="lockout").exists()


def test_a_library_system_that_does_not_answer_is_not_a_failed_login(
    client, systems, cast, settings
):
    settings.PATRON_SYSTEM_TIMEOUT = 0.5
    with RawPeer(hangs) as peer:
        Connector.objects.filter(pk=systems["reseau-bron"].pk).update(
            driver="sip2",
            settings={"host": "127.0.0.1", "port": peer.port, "institution_id": "BRON"},
        )
        started = time.monotonic()
        response = log_in(client)
        elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert "ne répond pas pour le moment" in html.unescape(response.content.decode())
    assert elapsed < 2.0
    assert not AccessAttempt.objects.exists()
    event = LoginEvent.objects.get()
    assert event.kind == "unavailable" and event.library == cast.library_a


def test_an_expired_card_logs_in_and_is_told_what_to_do(client, systems):
    log_in(client, card=EXPIRED_CARD, pin=EXPIRED_PIN)
    page = html.unescape(client.get(ACCOUNT).content.decode())
    assert "Votre abonnement a pris fin le" in page
    assert "Renouvelez-le à l'accueil de votre bibliothèque" in page


def test_a_blocked_card_shows_why(client, systems):
    log_in(client, card=BLOCKED_CARD, pin=BLOCKED_PIN)
    page = html.unescape(client.get(ACCOUNT).content.decode())
    assert "Votre carte est bloquée : Trop de documents en retard." in page


def test_account_lists_loans_and_holds(client, systems):
    log_in(client)
    response = client.get(ACCOUNT)
    assert response.status_code == 200
    account = response.context["accounts"][0].account
    assert len(account.loans) == 4 and len(account.holds) == 2
    assert sum(loan.overdue for loan in account.loans) == 1
    assert all(loan.title for loan in account.loans)
    page = html.unescape(response.content.decode())
    assert "Prêts (4)" in page and "Réservations (2)" in page and "en retard" in page
    assert "Disponible au retrait" in page


def test_renew_one_loan_and_see_the_new_due_date(client, systems):
    log_in(client)
    account = client.get(ACCOUNT).context["accounts"][0]
    loan = next(loan for loan in account.account.loans if loan.renewable)
    response = client.post(
        reverse("accounts:renew"),
        {"card": account.card.pk, "item": loan.item_id, f"title-{loan.item_id}": loan.title},
        follow=True,
    )
    page = html.unescape(response.content.decode())
    assert f"« {loan.title} » est renouvelé jusqu'au" in page
    after = response.context["accounts"][0].account
    renewed = next(item for item in after.loans if item.item_id == loan.item_id)
    assert renewed.due_date > loan.due_date and renewed.renewals == 1


def test_renew_all_reports_each_refusal_with_its_reason(client, systems):
    log_in(client, card=BLOCKED_CARD, pin=BLOCKED_PIN)
    account = client.get(ACCOUNT).context["accounts"][0]
    every = [loan.item_id for loan in account.account.loans]
    response = client.post(
        reverse("accounts:renew"),
        {"card": account.card.pk, "tout": "1", "every": every},
        follow=True,
    )
    page = html.unescape(response.content.decode())
    assert page.count("n'a pas été renouvelé : Votre carte est bloquée.") == len(every)


def test_cancel_a_hold(client, systems):
    log_in(client)
    account = client.get(ACCOUNT).context["accounts"][0]
    hold = account.account.holds[0]
    response = client.post(
        reverse("accounts:cancel_hold"),
        {"card": account.card.pk, "hold": hold.hold_id, "title": hold.title},
        follow=True,
    )
    assert f"Votre réservation de « {hold.title} » est annulée." in html.unescape(
        response.content.decode()
    )
    assert len(response.context["accounts"][0].account.holds) == 1


def test_a_patron_cannot_act_on_another_patrons_card(client, systems):
    log_in(client, card=CALUIRE_CARD, pin=CALUIRE_PIN)
    client.post(reverse("accounts:logout"))
    log_in(client)
    other = LibraryCard.objects.get(card_number=CALUIRE_CARD)
    response = client.post(reverse("accounts:renew"), {"card": other.pk, "item": "x"})
    assert response.status_code == 404


def test_link_a_second_card_and_see_both_accounts(client, systems):
    log_in(client)
    response = client.post(
        reverse("accounts:cards"),
        {"card_number": CALUIRE_CARD, "pin": CALUIRE_PIN},
        follow=True,
    )
    assert "La carte de Bibliothèque de Caluire-et-Cuire est ajoutée" in html.unescape(
        response.content.decode()
    )
    assert Patron.objects.count() == 1 and LibraryCard.objects.count() == 2
    parts = client.get(ACCOUNT).context["accounts"]
    assert [len(part.account.loans) for part in parts] == [4, 2]
    assert LoginEvent.objects.filter(kind="card_linked").count() == 1


def test_linking_a_card_needs_its_pin(client, systems):
    log_in(client)
    response = client.post(reverse("accounts:cards"), {"card_number": CALUIRE_CARD, "pin": "1"})
    assert response.status_code == 400
    assert "Numéro de carte ou code confidentiel incorrect." in html.unescape(
        response.content.decode()
    )
    assert LibraryCard.objects.count() == 1


def test_a_system_that_hangs_leaves_a_notice_and_the_rest_shows(client, systems, settings):
    settings.PATRON_SYSTEM_TIMEOUT = 0.5
    log_in(client)
    client.post(reverse("accounts:cards"), {"card_number": CALUIRE_CARD, "pin": CALUIRE_PIN})
    with RawPeer(hangs) as peer:
        Connector.objects.filter(pk=systems["reseau-caluire"].pk).update(
            driver="sip2",
            settings={"host": "127.0.0.1", "port": peer.port, "institution_id": "CAL"},
        )
        started = time.monotonic()
        response = client.get(ACCOUNT)
        elapsed = time.monotonic() - started
    parts = response.context["accounts"]
    assert len(parts[0].account.loans) == 4
    assert parts[1].account is None and "n'a pas répondu à temps" in parts[1].notice
    assert elapsed < 1.5


def test_staff_have_no_patron_account_page(client, systems, cast):
    client.force_login(cast.admin_a)
    assert client.get(ACCOUNT).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, systems):
    response = client.get(ACCOUNT)
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_place_a_hold_from_a_works_page(client, systems, cast):
    from catalogue.models import Record
    from connectors.services import harvest_connector

    harvest_connector(systems["reseau-bron"])
    record = Record.objects.filter(library=cast.library_a).select_related("work").first()
    work_url = reverse("catalogue:work", args=[record.work_id])
    assert "Connectez-vous" in client.get(work_url).content.decode()
    log_in(client)
    page = client.get(work_url).content.decode()
    assert "Avec ma carte de Bibliothèques de Bron, retrait à" in page
    card = LibraryCard.objects.get()
    response = client.post(
        reverse("accounts:hold", args=[record.work_id]),
        {"card": card.pk, "retrait": cast.site_a.pk},
        follow=True,
    )
    assert "est réservé" in html.unescape(response.content.decode())
    holds = response.context["accounts"][0].account.holds
    assert len(holds) == 3 and holds[-1].record_id == record.source.local_id
    assert holds[-1].pickup_location == cast.site_a.name
    again = client.post(
        reverse("accounts:hold", args=[record.work_id]), {"card": card.pk}, follow=True
    )
    assert "Vous avez déjà réservé ce document." in html.unescape(again.content.decode())


def test_a_pickup_place_given_by_its_code_is_shown_by_the_sites_name(client, systems, cast):
    """The system is told the pickup site by the code staff mapped to it, and its answer
    (the code) reads as the network names the site."""
    from catalogue.models import Record
    from connectors.models import SiteCode
    from connectors.services import harvest_connector

    harvest_connector(systems["reseau-bron"])
    SiteCode.objects.get_or_create(
        connector=systems["reseau-bron"], code="BRON-CENTRE", defaults={"site": cast.site_a}
    )
    log_in(client)
    card = LibraryCard.objects.get()
    system = card.connector.get_driver()
    on_loan = {loan.barcode for loan in system.account(card_ref(card), timeout=1).loans}
    record = (
        Record.objects.filter(library=cast.library_a, items__barcode__gt="")
        .exclude(items__barcode__in=on_loan)
        .order_by("pk")
        .last()
    )
    response = client.post(
        reverse("accounts:hold", args=[record.work_id]),
        {"card": card.pk, "retrait": cast.site_a.pk},
        follow=True,
    )
    assert "est réservé" in html.unescape(response.content.decode())
    hold = response.context["accounts"][0].account.holds[-1]
    assert hold.record_id == record.source.local_id
    assert hold.pickup_location == cast.site_a.name
    told = system.account(card_ref(card), timeout=1).holds[-1]
    codes = SiteCode.objects.filter(connector=card.connector, site=cast.site_a)
    assert told.pickup_location in codes.values_list("code", flat=True)


def test_a_successful_login_forgets_the_cards_failures_wherever_they_came_from(client, systems):
    """Three wrong PINs on a phone, then the right one at home: the card starts again from
    zero (django-axes' own reset keyed it on the account's internal name and missed it),
    and so does the home address."""

    def attempt(card, pin, address):
        return client.post(LOGIN, {"card_number": card, "pin": pin}, REMOTE_ADDR=address)

    for _ in range(3):
        assert attempt(BRON_CARD, "0000", "192.0.2.7").status_code == 400
    assert attempt(CALUIRE_CARD, "0000", "198.51.100.9").status_code == 400
    assert AccessAttempt.objects.count() == 2
    assert attempt(BRON_CARD, BRON_PIN, "198.51.100.9").status_code == 302
    assert not AccessAttempt.objects.exists()


def test_a_login_queues_no_reference_index_task():
    """The audit trail is shown in the back-office, but is not content: Wagtail would
    otherwise queue a task per login (measured with bench/login.py)."""
    from wagtail.models import ReferenceIndex

    assert not ReferenceIndex.model_is_indexable(LoginEvent)


def test_a_repeat_login_asks_the_database_little(client, systems, django_assert_max_num_queries):
    """What a login costs is mostly its SQL (bench/login.py): the throttle's checks, the
    card, the session, the audit trail; nothing rewritten that did not change."""
    log_in(client)
    client.post(reverse("accounts:logout"))
    with django_assert_max_num_queries(19):
        assert log_in(client).status_code == 302
