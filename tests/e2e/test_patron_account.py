"""Journey: a patron logs in with the card and PIN of their library (a demo system), sees
their loans and holds, renews a loan, cancels a hold, links a second card, and logs out;
axe-core on each page and state, the forms used with the keyboard alone."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible
from tests.e2e.catalogue_pages import api_search, api_work

pytestmark = pytest.mark.e2e

# demo/patrons/demo-patrons.json: Inès Haddad (Vénissieux), 3 loans and 1 hold; and a
# card of Caluire-et-Cuire.
CARD, PIN = "2925000201", "1234"
SECOND_CARD, SECOND_PIN = "2903000301", "4321"


def type_card(page: Page, card: str, pin: str) -> None:
    page.get_by_label("Numéro de carte").focus()
    page.keyboard.type(card)
    page.keyboard.press("Tab")
    page.keyboard.type(pin)
    page.keyboard.press("Enter")


def test_patron_logs_in_renews_cancels_links_a_card_and_logs_out(page: Page, screenshot_dir):
    page.goto("/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Se connecter"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    assert_accessible(page, "login form")

    type_card(page, CARD, "9999")
    expect(page.get_by_role("alert")).to_contain_text(
        "Numéro de carte ou code confidentiel incorrect."
    )
    expect(page.get_by_label("Code confidentiel")).to_have_value("")  # never sent back
    assert_accessible(page, "login refused")

    page.get_by_label("Numéro de carte").fill("")
    type_card(page, CARD, PIN)
    expect(page).to_have_url(re.compile(r"/compte/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_role("heading", level=3, name="Prêts (3)")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name="Réservations (1)")).to_be_visible()
    assert_accessible(page, "account")

    renew = page.get_by_role("button", name=re.compile(r"^Renouveler « ")).first
    title = renew.get_attribute("aria-label").removeprefix("Renouveler « ").removesuffix(" »")
    renew.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text(f"« {title} » est renouvelé jusqu'au")
    assert_accessible(page, "after renewal")

    page.get_by_role("button", name=re.compile(r"^Annuler la réservation de ")).click()
    expect(page.locator(".messages")).to_contain_text("est annulée")
    expect(page.get_by_role("heading", level=3, name="Réservations (0)")).to_be_visible()

    page.get_by_role("link", name="Mes cartes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes cartes")
    assert_accessible(page, "cards")
    type_card(page, SECOND_CARD, SECOND_PIN)
    expect(page.locator(".messages")).to_contain_text("est ajoutée à votre compte")
    expect(page.locator(".card-item")).to_have_count(2)

    page.get_by_role("link", name="Mes prêts et réservations").click()
    expect(page.locator("section.account-part")).to_have_count(2)
    assert_accessible(page, "two cards")
    page.screenshot(path=screenshot_dir / "compte-1280.png", full_page=True)

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("navigation", name="Menu principal")).to_contain_text("Se connecter")
    page.goto("/compte/")
    expect(page).to_have_url(re.compile(r"/compte/connexion/\?next=/compte/$"))


# A title of the demo export of Vénissieux (demo/catalogue/demo-reseau-venissieux.mrc).
HOLD_QUERY = "Traité de la science des finances"


def test_patron_places_a_hold_from_a_work_page_and_cancels_it(page: Page):
    page.goto("/compte/connexion/")
    type_card(page, CARD, PIN)
    expect(page).to_have_url(re.compile(r"/compte/$"))
    holds = page.locator("section.account-part", has_text="Vénissieux").get_by_role(
        "heading", name=re.compile(r"^Réservations \(")
    )
    before = holds.inner_text()

    # A work the patron's library (Vénissieux) holds, found as a patron would.
    hits = api_search(page, q=HOLD_QUERY)["hits"]
    url = next(
        hit["url"]
        for hit in hits
        if any("Vénissieux" in copy["library"] for copy in api_work(page, hit["url"])["copies"])
    )
    page.goto(url)
    title = page.get_by_role("heading", level=1).inner_text()
    hold = page.get_by_role("region", name="Réserver")
    pickup = hold.get_by_label(re.compile(r"^Avec ma carte de .*Vénissieux.*, retrait à$"))
    expect(pickup).to_be_visible()
    assert_accessible(page, "work page, patron logged in")

    pickup.focus()  # keyboard only: choose the second site, then the button
    page.keyboard.press("ArrowDown")
    site = pickup.evaluate("select => select.selectedOptions[0].textContent")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/compte/$"))
    expect(page.locator(".messages")).to_contain_text("est réservé. Réservation enregistrée.")
    row = page.locator(
        "tr", has=page.get_by_role("button", name=f"Annuler la réservation de « {title} »")
    )
    expect(row).to_contain_text(site)
    assert_accessible(page, "after placing a hold")
    assert holds.inner_text() != before

    page.get_by_role("button", name=f"Annuler la réservation de « {title} »").click()
    expect(page.locator(".messages")).to_contain_text("est annulée")
    expect(holds).to_have_text(before)


def test_login_works_without_javascript(open_browsing):
    browsing = open_browsing(java_script_enabled=False)
    page = browsing.new_page()
    page.goto("/compte/connexion/")
    page.get_by_label("Numéro de carte").fill("2902000101")
    page.get_by_label("Code confidentiel").fill("1234")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_role("heading", level=3, name=re.compile(r"^Prêts \("))).to_be_visible()


def test_an_inhabitant_gets_a_metropolitan_card_with_the_keyboard_alone(page: Page, screenshot_dir):
    page.goto("/compte/connexion/")
    page.get_by_role("link", name="Obtenir ma carte métropolitaine").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Obtenir ma carte métropolitaine")
    assert_accessible(page, "registration form")

    page.get_by_label("Prénom").focus()
    for value in (
        "Lina",  # prénom
        "Moreau",  # nom
        "03/02/1995",  # date de naissance
        "lina.moreau@example.org",
        "5 place Jean Jaurès",
        "69310",
        "Pierre-Bénite",  # a former commune, now part of Oullins-Pierre-Bénite
        "",  # parent (not needed)
    ):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the parent's consent
    for value in ("Des-livres-pour-tous-95", "Des-livres-pour-tous-95"):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the privacy notice
    expect(page.get_by_label(re.compile("J'ai lu la notice"))).to_be_checked()
    page.keyboard.press("Tab")  # the link to the notice
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Ma carte métropolitaine")
    number = page.locator(".metro-card-number").inner_text()
    assert re.fullmatch(r"2690\d{8}", number)
    expect(page.locator(".metro-card")).to_contain_text("Oullins-Pierre-Bénite")
    expect(page.get_by_role("img", name=f"Code-barres : Carte métropolitaine numéro {number}"))
    expect(page.get_by_role("img", name=f"QR code : Carte métropolitaine numéro {number}"))
    assert_accessible(page, "card")
    page.screenshot(path=screenshot_dir / "carte-metropolitaine-1280.png", full_page=True)

    page.get_by_role("button", name="Se déconnecter").click()
    page.goto("/compte/connexion/")
    type_card(page, number, "Des-livres-pour-tous-95")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    page.get_by_role("link", name="Mes données").click()
    assert_accessible(page, "personal data")


def test_a_patron_keeps_a_reading_history_then_erases_it(page: Page):
    page.goto("/compte/connexion/")
    type_card(page, "2925000202", "0000")  # Vénissieux, blocked: loans, no new ones
    page.get_by_role("link", name="Mes données").click()
    activate = page.get_by_role("button", name="Activer l'historique de mes prêts")
    activate.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("L'historique de vos prêts est activé")

    page.get_by_role("link", name="Mes prêts et réservations").click()
    first_loan = page.locator("table.loans tbody th").first.inner_text().split("\n")[0]
    page.get_by_role("link", name="Mes données").click()
    history = page.get_by_role("table", name="Historique de mes prêts")
    expect(history).to_contain_text(first_loan)
    assert_accessible(page, "personal data with a reading history")

    page.get_by_role("button", name="Désactiver et effacer mon historique").click()
    expect(page.locator(".messages")).to_contain_text("désactivé et effacé")
    expect(history).to_have_count(0)


def test_the_account_fits_a_phone(open_browsing, screenshot_dir):
    page = open_browsing(viewport={"width": 320, "height": 720}).new_page()
    page.goto("/compte/connexion/")
    type_card(page, "2902000101", "1234")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    page.screenshot(path=screenshot_dir / "compte-320.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
