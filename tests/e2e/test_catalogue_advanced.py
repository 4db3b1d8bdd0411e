"""Journey: a patron fills the advanced search form (title, author, type of document) and
gets only what matches every field; the form comes back filled to refine it."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible
from tests.e2e.catalogue_pages import api_search, assert_rows_match, count_heading, result_rows

pytestmark = pytest.mark.e2e

TITLE = "pride and prejudice"
AUTHOR = "Austen"
DOC_TYPE, DOC_TYPE_LABEL = "book", "Livre"


def test_advanced_search_by_title_author_and_type(page: Page, browsing):
    page.goto("/catalogue/")
    page.get_by_role("link", name="Recherche avancée").click()
    expect(page).to_have_url(re.compile(r"/catalogue/avancee/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Recherche avancée")
    assert_accessible(page, "empty form")

    page.get_by_label("Titre", exact=True).fill(TITLE)
    page.get_by_label("Auteur", exact=True).fill(AUTHOR)
    types = page.get_by_role("group", name="Type de document")
    types.get_by_label(DOC_TYPE_LABEL, exact=True).check()
    assert_accessible(page, "filled form")
    page.get_by_role("button", name="Rechercher").click()

    expect(page).to_have_url(re.compile(r"/catalogue/\?"))
    params = parse_qs(urlsplit(page.url).query)
    # Empty fields and the default sort are sent empty, which parse_qs leaves out.
    wanted = {"titre": [TITLE], "auteur": [AUTHOR], "type": [DOC_TYPE]}
    assert params == wanted, params
    expected = api_search(page, titre=TITLE, auteur=AUTHOR, type=DOC_TYPE)
    assert expected["total"], "the demo holds Austen's novel as a book"
    expect(page.locator("#resultats-titre")).to_have_text(count_heading(expected))
    assert_rows_match(page, expected)
    rows = result_rows(page)
    assert all(row["meta"][-1] == DOC_TYPE_LABEL for row in rows), rows
    assert any(row["meta"][0].startswith(f"{AUTHOR},") for row in rows), rows
    # Each field narrows: fewer works than the title alone, or the title as a book.
    assert expected["total"] <= api_search(page, titre=TITLE, type=DOC_TYPE)["total"]
    assert expected["total"] <= api_search(page, titre=TITLE, auteur=AUTHOR)["total"]
    expect(page.locator(".search-links")).to_contain_text(
        f"critères : titre « {TITLE} » auteur « {AUTHOR} »"
    )
    type_facet = page.get_by_role("navigation", name="Affiner").get_by_role(
        "link", name=re.compile(rf"^{DOC_TYPE_LABEL} \(")
    )
    expect(type_facet).to_have_attribute("aria-current", "true")
    assert_accessible(page, "advanced results")

    page.get_by_role("link", name="Recherche avancée").click()
    expect(page).to_have_url(re.compile(r"/catalogue/avancee/\?"))
    expect(page.get_by_label("Titre", exact=True)).to_have_value(TITLE)
    expect(page.get_by_label("Auteur", exact=True)).to_have_value(AUTHOR)
    expect(types.get_by_label(DOC_TYPE_LABEL, exact=True)).to_be_checked()
    expect(types.get_by_label("Livre audio", exact=True)).not_to_be_checked()
    assert_accessible(page, "form filled again")
    browsing.assert_clean_console()
