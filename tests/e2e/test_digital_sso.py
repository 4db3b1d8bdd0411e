"""Journey: a patron of a small town's library (Poleymieux-au-Mont-d'Or, a patron list
without a library system) logs in and reads the demo press service in two clicks from
the home page, through CAS, landing on the vendor's page identified by a pseudonym only.
The demo course (OpenID Connect) is offered in Villeurbanne and Bron: the same patron
sees why not, even coming from the vendor's side; a patron of Bron opens it. axe-core on
the portal's pages of the journey; the vendor's pages are not ours."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible
from tests.e2e.test_patron_account import type_card

pytestmark = pytest.mark.e2e

# demo/patrons: Poleymieux's imported patron list, and Camille Martin (Bron, demo system).
POLEYMIEUX_CARD, POLEYMIEUX_PASSWORD = "2915000401", "Lire-au-Mont-d-Or"
BRON_CARD, BRON_PIN = "2902000101", "1234"
PRESS = "Le Kiosque (démonstration CAS)"
COURSE = "Cours en ligne (démonstration OpenID Connect)"
REFUSED = "n'est pas proposée dans votre commune ni par votre bibliothèque"


def log_in(page: Page, card: str, pin: str) -> None:
    page.goto("/compte/connexion/")
    type_card(page, card, pin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")


def access_button(page: Page, name: str):
    return page.get_by_role("button", name=f"Accéder à {name}")


def test_small_town_patron_reads_the_press_in_two_clicks_and_is_told_why_not_the_course(
    page: Page, sso_vendor, screenshot_dir
):
    log_in(page, POLEYMIEUX_CARD, POLEYMIEUX_PASSWORD)
    page.goto("/")
    menu = page.get_by_role("navigation", name="Menu principal")
    menu.get_by_role("link", name="Ressources numériques").click()  # click 1
    expect(page.get_by_role("heading", level=1)).to_have_text("Ressources numériques")
    assert_accessible(page, "resources, logged in")
    page.screenshot(path=screenshot_dir / "ressources-connecte-1280.png", full_page=True)

    access_button(page, PRESS).click()  # click 2; the vendor asks the portal who it is
    expect(page).to_have_url(re.compile(rf"^{sso_vendor}/kiosque/\?ticket=ST-"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PRESS)
    expect(page.locator(".identified code")).to_have_text(re.compile(r"^[0-9a-f]{32}$"))
    # The press shares the age band, which a patron list does not give: nothing more goes.
    expect(page.locator("dl")).not_to_contain_text("age_band")
    expect(page.locator("body")).not_to_contain_text("Lefèvre")
    page.screenshot(path=screenshot_dir / "fournisseur-cas-1280.png")

    page.goto("/ressources-numeriques/")
    card = page.locator(".content-card", has=page.get_by_role("link", name=COURSE))
    expect(card).to_contain_text(REFUSED)
    expect(access_button(page, COURSE)).to_have_count(0)
    card.get_by_role("link", name=COURSE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    expect(page.locator(".access-refused")).to_contain_text(REFUSED)
    assert_accessible(page, "resource refused")

    # Coming from the vendor's side does not help: the provider refuses too.
    page.goto(f"{sso_vendor}/apprendre/")
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    expect(page.locator(".access-refused")).to_contain_text(REFUSED)
    assert_accessible(page, "single sign-on refused")


def test_bron_patron_opens_the_course_with_another_pseudonym(page: Page, sso_vendor):
    log_in(page, BRON_CARD, BRON_PIN)
    page.goto("/ressources-numeriques/")
    access_button(page, PRESS).click()
    expect(page).to_have_url(re.compile(rf"^{sso_vendor}/kiosque/"))
    press_pseudonym = page.locator(".identified code").inner_text()
    expect(page.locator("dl")).to_contain_text("age_band")  # known here, and shared

    page.goto("/ressources-numeriques/")
    access_button(page, COURSE).click()
    expect(page).to_have_url(re.compile(rf"^{sso_vendor}/apprendre/callback\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    course_pseudonym = page.locator(".identified code").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", course_pseudonym)
    assert course_pseudonym != press_pseudonym  # vendors cannot match their users
    expect(page.locator("dl")).to_contain_text("aucune")
    expect(page.locator("body")).not_to_contain_text("Camille")
