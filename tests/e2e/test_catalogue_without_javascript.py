"""Journey: a patron whose browser runs no JavaScript searches, filters, sorts and turns
the page: the box is a plain search form, filters and pages are plain links."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.catalogue_pages import (
    BOX_LABEL,
    PER_PAGE,
    api_search,
    assert_accessible_without_javascript,
    assert_rows_match,
    biggest_value,
    count_heading,
)

pytestmark = pytest.mark.e2e

QUERY = "pride and prejudice"


def test_search_filters_and_pages_work_without_javascript(open_browsing):
    browsing = open_browsing(java_script_enabled=False)
    page = browsing.new_page()
    page.goto("/catalogue/")
    box = page.get_by_role("searchbox", name=BOX_LABEL)
    expect(box).not_to_have_attribute("aria-expanded", re.compile(".*"))
    expect(page.get_by_text("Des suggestions s'affichent pendant la saisie")).to_be_hidden()
    assert_accessible_without_javascript(open_browsing, page.url, "empty search")

    box.fill(QUERY)
    page.get_by_role("search", name="Catalogue").get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(r"/catalogue/\?q=pride\+and\+prejudice$"))
    everything = api_search(page, q=QUERY)
    expect(page.locator("#resultats-titre")).to_have_text(count_heading(everything))
    assert_rows_match(page, everything)
    assert_accessible_without_javascript(open_browsing, page.url, "results")

    library = biggest_value(everything, "bibliotheque")
    assert library["count"] > PER_PAGE, library
    page.get_by_role("navigation", name="Affiner").get_by_role(
        "link", name=re.compile(rf"^{re.escape(library['label'])} \(")
    ).click()
    expect(page).to_have_url(re.compile(rf"[?&]bibliotheque={library['value']}(&|$)"))
    filtered = api_search(page, q=QUERY, bibliotheque=library["value"])
    expect(page.locator("#resultats-titre")).to_have_text(count_heading(filtered))
    assert_rows_match(page, filtered)
    expect(page.locator(".active-filters")).to_contain_text(library["label"])
    assert_accessible_without_javascript(open_browsing, page.url, "filtered")

    page.get_by_role("navigation", name="Pages de résultats").get_by_role(
        "link", name="Page 2", exact=True
    ).click()
    assert parse_qs(urlsplit(page.url).query) == {
        "q": [QUERY],
        "bibliotheque": [library["value"]],
        "page": ["2"],
    }
    assert_rows_match(page, api_search(page, q=QUERY, bibliotheque=library["value"], page=2))
    assert_accessible_without_javascript(open_browsing, page.url, "page 2")

    page.get_by_label("Trier par").select_option(label="Titre (A → Z)")
    page.get_by_role("button", name="Trier").click()
    assert parse_qs(urlsplit(page.url).query) == {
        "q": [QUERY],
        "bibliotheque": [library["value"]],
        "tri": ["titre"],
    }
    assert_rows_match(page, api_search(page, q=QUERY, bibliotheque=library["value"], tri="titre"))
    assert_accessible_without_javascript(open_browsing, page.url, "sorted by title")

    page.get_by_role("link", name="Retirer tous les filtres").click()
    assert parse_qs(urlsplit(page.url).query) == {"q": [QUERY], "tri": ["titre"]}
    assert_rows_match(page, api_search(page, q=QUERY, tri="titre"))
    browsing.assert_clean_console()
