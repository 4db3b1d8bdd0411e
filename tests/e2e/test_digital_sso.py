"""Journey: a patron of Bron logs in, and opens the demo press service (CAS) in two
clicks from the list of digital resources, landing on the vendor's page already
identified by a pseudonym; then the demo course (OpenID Connect) the same way. A patron
of Vénissieux, where the course is not offered, sees why and gets no button. axe-core on
the portal's pages of the journey; the vendor's pages are not ours."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible
from tests.e2e.test_patron_account import type_card

pytestmark = pytest.mark.e2e

# demo/patrons/demo-patrons.json: Camille Martin (Bron) and Inès Haddad (Vénissieux).
BRON_CARD, BRON_PIN = "2902000101", "1234"
VENISSIEUX_CARD, VENISSIEUX_PIN = "2925000201", "1234"
PRESS = "Le Kiosque (démonstration CAS)"
COURSE = "Cours en ligne (démonstration OpenID Connect)"


def log_in(page: Page, card: str, pin: str) -> None:
    page.goto("/compte/connexion/")
    type_card(page, card, pin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")


def access_button(page: Page, name: str):
    return page.get_by_role("button", name=f"Accéder à {name}")


def test_patron_opens_press_and_course_through_single_sign_on(
    page: Page, sso_vendor, screenshot_dir
):
    log_in(page, BRON_CARD, BRON_PIN)
    page.goto("/ressources-numeriques/")
    assert_accessible(page, "resources, logged in")
    page.screenshot(path=screenshot_dir / "ressources-connecte-1280.png", full_page=True)

    access_button(page, PRESS).click()  # click 1 from the list; the vendor asks the portal
    expect(page).to_have_url(re.compile(rf"^{sso_vendor}/kiosque/\?ticket=ST-"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PRESS)
    identified = page.locator(".identified code")
    expect(identified).to_have_text(re.compile(r"^[0-9a-f]{32}$"))
    press_pseudonym = identified.inner_text()
    expect(page.locator("dl")).to_contain_text("age_band")  # the one attribute it shares
    expect(page.locator("body")).not_to_contain_text("Camille")
    page.screenshot(path=screenshot_dir / "fournisseur-cas-1280.png")

    page.goto("/ressources-numeriques/")
    access_button(page, COURSE).click()
    expect(page).to_have_url(re.compile(rf"^{sso_vendor}/apprendre/callback\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    course_pseudonym = page.locator(".identified code").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", course_pseudonym)
    assert course_pseudonym != press_pseudonym  # vendors cannot match their users
    expect(page.locator("dl")).to_contain_text("aucune")


def test_patron_where_the_course_is_not_offered_sees_why(page: Page, sso_vendor):
    log_in(page, VENISSIEUX_CARD, VENISSIEUX_PIN)
    page.goto("/ressources-numeriques/")
    card = page.locator(".content-card", has=page.get_by_role("link", name=COURSE))
    expect(card).to_contain_text("n'est pas proposée dans votre commune ni par votre bibliothèque")
    expect(access_button(page, COURSE)).to_have_count(0)
    card.get_by_role("link", name=COURSE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    expect(page.locator(".access-refused")).to_contain_text("n'est pas proposée dans votre commune")
    assert_accessible(page, "resource refused")

    # Coming from the vendor's side does not help: the provider refuses too.
    page.goto(f"{sso_vendor}/apprendre/")
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    expect(page.locator(".access-refused")).to_contain_text("n'est pas proposée dans votre commune")
    assert_accessible(page, "single sign-on refused")
