"""Journey: a patron of a small library whose patron list is imported into the portal
(Poleymieux-au-Mont-d'Or, demo/patrons/demo-poleymieux.csv) is told at login to choose a
password, asks for the link, opens it from the e-mail, chooses a password and logs in;
the link then no longer serves. Keyboard only; axe-core on every page and state."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible
from tests.e2e.test_patron_account import type_card

pytestmark = pytest.mark.e2e

# Made-up patrons of the demo list: Paul Girard has not chosen a password yet; Jeanne
# Lefèvre's is set by load_demo (README, demo cards).
CARD, EMAIL = "2915000402", "paul.girard@example.org"
PASSWORD = "Des-livres-au-Mont-d-Or-69"
DEMO_CARD, DEMO_PASSWORD = "2915000401", "Lire-au-Mont-d-Or"


def link_sent_to(sent_mail, address: str) -> str:
    """The path of the last password link e-mailed to ``address``."""
    messages = [m for m in sent_mail() if address in m["To"]]
    assert messages, f"no e-mail to {address}"
    body = messages[-1].get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"https?://[^/\s]+(/compte/mot-de-passe/\S+/)", body)
    assert found, body
    return found.group(1)


def test_a_patron_chooses_a_password_by_e_mail_and_logs_in(page: Page, sent_mail):
    page.goto("/compte/connexion/")
    type_card(page, CARD, "je-ne-sais-pas")
    expect(page.get_by_role("alert")).to_contain_text(
        "Vous n'avez pas encore de mot de passe pour cette carte"
    )
    assert_accessible(page, "login: no password yet")

    page.get_by_role("link", name="Créer ou changer mon mot de passe").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer ou changer mon mot de passe")
    expect(page.locator("main")).to_contain_text("Bibliothèque de Poleymieux-au-Mont-d'Or")
    assert_accessible(page, "asking for the link")
    page.get_by_label("Numéro de carte").focus()
    page.keyboard.type(CARD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
    expect(page.locator("main .notice")).to_contain_text("valable 3 jours")
    assert_accessible(page, "link sent")

    link = link_sent_to(sent_mail, EMAIL)
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/compte/mot-de-passe/nouveau/$"))  # token not kept
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir mon mot de passe")
    assert_accessible(page, "choosing a password")

    new, again = (
        page.get_by_label("Nouveau mot de passe", exact=True),
        page.get_by_label("Nouveau mot de passe, une seconde fois"),
    )
    new.focus()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD + "?")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient une erreur.")
    expect(again).to_have_attribute("aria-describedby", re.compile(r"id_password2_error"))
    expect(again).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "passwords that differ")

    new.focus()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/compte/connexion/$"))
    expect(page.locator(".messages")).to_contain_text("Votre mot de passe est enregistré.")
    assert_accessible(page, "password chosen")

    type_card(page, CARD, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.locator("section.account-part")).to_contain_text(
        "Cette bibliothèque ne permet pas encore de consulter son compte ici."
    )
    assert_accessible(page, "account of a patron of an imported list")

    page.goto(link)  # the same link, once more
    expect(page.get_by_role("alert")).to_contain_text("Ce lien a déjà servi")
    assert_accessible(page, "link already used")


def test_the_demo_patron_of_the_imported_list_logs_in(page: Page):
    page.goto("/compte/connexion/")
    type_card(page, DEMO_CARD, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.locator("section.account-part h2")).to_contain_text(
        "Bibliothèque de Poleymieux-au-Mont-d'Or"
    )
