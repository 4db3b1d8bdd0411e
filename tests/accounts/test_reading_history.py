"""No reading history unless the patron turns it on: then the loans seen in "mon compte"
are kept for them (shown, exported), and turning it off erases them."""

import html
import json

from django.urls import reverse

from accounts.models import Patron, ReadingHistoryEntry
from tests.accounts.test_patron_login import ACCOUNT, CALUIRE_CARD, CALUIRE_PIN, log_in

PRIVACY = reverse("accounts:privacy")
TOGGLE = reverse("accounts:reading_history")


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_nothing_is_kept_by_default(client, systems):
    log_in(client)
    client.get(ACCOUNT)
    assert not Patron.objects.get().keeps_reading_history
    assert not ReadingHistoryEntry.objects.exists()
    page = text(client.get(PRIVACY))
    assert "Aucun historique de vos lectures" in page
    assert "Activer l'historique de mes prêts" in page
    exported = client.get(reverse("accounts:privacy_export")).json()
    assert exported["historique_de_lecture"] == {"active": False, "prets": []}


def test_turned_on_it_keeps_the_loans_seen_shows_and_exports_them(client, systems, cast):
    log_in(client)
    turned_on = client.post(TOGGLE, {"garder": "oui"}, follow=True)
    assert "L'historique de vos prêts est activé" in text(turned_on)
    loans = client.get(ACCOUNT).context["accounts"][0].account.loans
    client.get(ACCOUNT)  # seen twice: still one entry per copy
    kept = ReadingHistoryEntry.objects.all()
    assert sorted(e.item_id for e in kept) == sorted(loan.item_id for loan in loans)
    assert {e.library for e in kept} == {cast.library_a}
    page = text(client.get(PRIVACY))
    assert f"L'historique de vos prêts ({len(loans)})" in page
    assert all(loan.title in page for loan in loans)
    exported = json.loads(client.get(reverse("accounts:privacy_export")).content)
    assert exported["historique_de_lecture"]["active"] is True
    assert {p["titre"] for p in exported["historique_de_lecture"]["prets"]} == {
        loan.title for loan in loans
    }


def test_turned_off_it_is_erased_and_nothing_more_is_kept(client, systems):
    log_in(client)
    client.post(TOGGLE, {"garder": "oui"})
    client.get(ACCOUNT)
    assert ReadingHistoryEntry.objects.exists()
    turned_off = client.post(TOGGLE, {"garder": "non"}, follow=True)
    assert "désactivé et effacé" in text(turned_off)
    client.get(ACCOUNT)
    assert not ReadingHistoryEntry.objects.exists()


def test_a_patrons_history_is_theirs_alone(client, systems):
    log_in(client)
    client.post(TOGGLE, {"garder": "oui"})
    client.get(ACCOUNT)
    client.post(reverse("accounts:logout"))
    log_in(client, card=CALUIRE_CARD, pin=CALUIRE_PIN)
    page = text(client.get(PRIVACY))
    assert "Aucun historique de vos lectures" in page
    assert client.get(reverse("accounts:privacy_export")).json()["historique_de_lecture"] == {
        "active": False,
        "prets": [],
    }


def test_only_a_logged_in_patron_can_turn_it_on(client, systems):
    response = client.post(TOGGLE, {"garder": "oui"})
    assert response.status_code == 302 and "connexion" in response.url
    assert client.get(TOGGLE).status_code == 405  # a change is a POST
