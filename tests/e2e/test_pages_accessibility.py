"""Every public page type passes axe-core and loads without console errors or CSP reports."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import assert_accessible

pytestmark = pytest.mark.e2e

PAGES = [
    "/",
    "/reseau/",
    "/reseau/bibliotheques-de-villeurbanne/",
    "/bibliotheques/",
    "/accessibilite/",
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/plan-du-site/",
    # News and selections (demo content from editorial/demo.py).
    "/actualites/",
    "/actualites/agenda-des-bibliotheques/",
    "/reseau/bibliotheques-de-villeurbanne/heure-du-conte-en-ligne/",
    "/selections/",
    "/selections/jane-austen-sous-toutes-ses-formes/",
    "/reseau/bibliotheques-de-villeurbanne/michael-chabon/",
    # The digital library (demo resources from digital/demo.py).
    "/ressources-numeriques/",
    "/ressources-numeriques/?type=patrimoine&libre=on",
    "/ressources-numeriques/europresse/",
    "/ressources-numeriques/gallica/",
]


@pytest.mark.parametrize("path", PAGES)
def test_public_page_is_accessible_and_clean(browsing, path):
    page = browsing.new_page()
    response = page.goto(path)
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_title(re.compile(r".+ — Métrobib$"))
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    page.wait_for_load_state("networkidle")
    assert_accessible(page)
    browsing.assert_clean_console()


def test_not_found_page_is_accessible_and_clean(open_browsing, production_url):
    """With DEBUG off, as visitors get it: the portal's 404 page, not Django's debug page."""
    browsing = open_browsing(base_url=production_url)
    page = browsing.new_page()
    response = page.goto("/cette-page-n-existe-pas/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page).to_have_title("Page introuvable — Métrobib")
    expect(page.get_by_role("link", name="Trouver une bibliothèque").last).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert_accessible(page)
    browsing.assert_clean_console(expected_urls=[response.url])
