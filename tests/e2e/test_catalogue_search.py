"""Journey: a patron searches the catalogue, narrows the results with the facets, sorts
them, turns the page and opens a work.

The JSON API is the oracle for every results page: it reads the URL as the page does, so
the page's rows must be the API's hits (tests/e2e/catalogue_pages.py).
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible
from tests.e2e.catalogue_pages import (
    BOX_LABEL,
    FACET_COUNT,
    PER_PAGE,
    api_search,
    assert_rows_match,
    biggest_value,
    count_heading,
    result_rows,
)

pytestmark = pytest.mark.e2e

QUERY = "pride and prejudice"
MISSPELT = "prid and prejudise"
# A word of the demo's subjects, not of its titles: found, but "america" finds more.
RARE_REAL_WORD = "american"  # in two works' subjects; "america" is more common


def url_params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def facet_link(page: Page, facet_label: str, value_label: str):
    group = page.get_by_role("navigation", name="Affiner").get_by_role("region", name=facet_label)
    return group.get_by_role("link", name=re.compile(rf"^{re.escape(value_label)} \("))


def applied_filter(page: Page, value_label: str):
    return page.locator(".active-filters").get_by_role(
        "link", name=re.compile(rf"^{re.escape(value_label)}\s+— retirer ce filtre$")
    )


def expect_filter_applied(page: Page, facet_label: str, value_label: str) -> None:
    link = facet_link(page, facet_label, value_label)
    expect(link).to_have_attribute("aria-current", "true")
    expect(link).to_have_accessible_name(re.compile(r"filtre appliqué : retirer\s*\)$"))
    expect(applied_filter(page, value_label)).to_be_visible()
    expect(page.get_by_role("link", name="Retirer tous les filtres")).to_be_visible()


def expect_results(page: Page, expected: dict) -> None:
    expect(page.locator("#resultats-titre")).to_have_text(count_heading(expected))
    expect(page.locator("#resultats .result")).to_have_count(len(expected["hits"]))
    assert_rows_match(page, expected)


def test_patron_searches_filters_pages_and_opens_a_work(page: Page, browsing):
    page.goto("/catalogue/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue des bibliothèques")
    expect(
        page.get_by_role("heading", name="Un seul catalogue pour toutes les bibliothèques")
    ).to_be_visible()
    assert_accessible(page, "no search yet")

    box = page.get_by_role("combobox", name=BOX_LABEL)
    box.fill(QUERY)
    page.get_by_role("search", name="Catalogue").get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(r"/catalogue/\?q=pride\+and\+prejudice$"))
    expect(page).to_have_title(f"« {QUERY} » — Catalogue — Métrobib")
    expect(box).to_have_value(QUERY)
    everything = api_search(page, q=QUERY)
    assert everything["total"] > PER_PAGE, everything["total"]
    expect_results(page, everything)
    assert result_rows(page)[0]["title"].casefold() == QUERY, "the exact title ranks first"
    assert_accessible(page, "results")

    # The library holding the most of them: a plain link that adds ?bibliotheque=.
    library = biggest_value(everything, "bibliotheque")
    link = facet_link(page, "Bibliothèque", library["label"])
    # The count's hidden words are a separate box: Chromium adds a space before ")".
    expect(link).to_have_accessible_name(
        re.compile(rf"^{re.escape(library['label'])} \({library['count']} œuvres\s*\)$")
    )
    link.click()
    expect(page).to_have_url(re.compile(rf"[?&]bibliotheque={library['value']}(&|$)"))
    assert url_params(page) == {"q": [QUERY], "bibliotheque": [library["value"]]}
    at_library = api_search(page, q=QUERY, bibliotheque=library["value"])
    expect_results(page, at_library)
    expect_filter_applied(page, "Bibliothèque", library["label"])
    assert_accessible(page, "filtered by library")

    # Then the commonest type of document there, with more than a page of works.
    doc_type = biggest_value(at_library, "type")
    assert doc_type["count"] > PER_PAGE, f"{doc_type}: the demo should give a second page"
    type_link = facet_link(page, "Type de document", doc_type["label"])
    assert int(FACET_COUNT.search(type_link.inner_text()).group(1)) == doc_type["count"]
    type_link.click()
    expect(page).to_have_url(re.compile(rf"[?&]type={doc_type['value']}(&|$)"))
    filters = {"bibliotheque": [library["value"]], "type": [doc_type["value"]]}
    assert url_params(page) == {"q": [QUERY], **filters}
    filtered = api_search(page, q=QUERY, bibliotheque=library["value"], type=doc_type["value"])
    assert filtered["total"] == doc_type["count"], "the facet said how many works it gives"
    expect_results(page, filtered)
    for row in result_rows(page):
        assert row["meta"][-1] == doc_type["label"], row
    expect_filter_applied(page, "Bibliothèque", library["label"])
    expect_filter_applied(page, "Type de document", doc_type["label"])
    assert_accessible(page, "filtered by library and type")

    pages = page.get_by_role("navigation", name="Pages de résultats")
    expect(pages.get_by_role("link", name="1 (page actuelle)")).to_have_attribute(
        "aria-current", "page"
    )
    pages.get_by_role("link", name="Page 2", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    assert url_params(page) == {"q": [QUERY], **filters, "page": ["2"]}
    expect(page).to_have_title(f"« {QUERY} » — Catalogue (page 2) — Métrobib")
    second = api_search(page, q=QUERY, page=2, **filters)
    expect_results(page, second)
    expect(page.locator("ol.result-list")).to_have_attribute("start", str(PER_PAGE + 1))
    expect(pages.get_by_role("link", name="2 (page actuelle)")).to_have_attribute(
        "aria-current", "page"
    )
    expect_filter_applied(page, "Bibliothèque", library["label"])
    expect_filter_applied(page, "Type de document", doc_type["label"])
    assert_accessible(page, "page 2")

    # Sorting keeps the filters and starts again from the first page.
    page.get_by_label("Trier par").select_option(label="Les plus récents")
    page.get_by_role("button", name="Trier").click()
    expect(page).to_have_url(re.compile(r"[?&]tri=recent(&|$)"))
    assert url_params(page) == {"q": [QUERY], **filters, "tri": ["recent"]}
    newest = api_search(page, q=QUERY, tri="recent", **filters)
    expect_results(page, newest)
    years = [hit["year"] for hit in newest["hits"] if hit["year"]]
    assert years == sorted(years, reverse=True), years
    expect(page.get_by_label("Trier par")).to_have_value("recent")
    assert_accessible(page, "newest first")

    # An applied filter is removed from the list of filters shown above the results.
    applied_filter(page, doc_type["label"]).click()
    expect(page).not_to_have_url(re.compile(r"[?&]type="))
    assert url_params(page) == {"q": [QUERY], "bibliotheque": [library["value"]], "tri": ["recent"]}
    expect_results(page, api_search(page, q=QUERY, tri="recent", bibliotheque=library["value"]))
    expect(facet_link(page, "Type de document", doc_type["label"])).not_to_have_attribute(
        "aria-current", "true"
    )
    assert_accessible(page, "type filter removed")

    first = result_rows(page)[0]
    page.locator("#resultats .result-title a").first.click()
    expect(page).to_have_url(re.compile(rf"{re.escape(first['url'])}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(first["title"])
    breadcrumb = page.get_by_role("navigation", name="Fil d'Ariane")
    expect(breadcrumb.get_by_role("link", name="Catalogue")).to_be_visible()
    for name in (
        "Où le trouver ouvert maintenant",
        "Exemplaires dans les bibliothèques",
        "Description",
    ):
        expect(page.get_by_role("heading", level=2, name=name)).to_be_visible()
    expect(
        page.get_by_role("heading", level=2, name=re.compile(r"^Éditions \(\d+\)$"))
    ).to_be_visible()
    expect(page.locator(".library-holdings h3").filter(has_text=library["label"])).to_be_visible()
    expect(page.locator("table.editions tbody tr").first).to_be_visible()
    expect(page.get_by_text("Adresse permanente de cette page")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "work")
    browsing.assert_clean_console()


def test_misspelt_search_shows_the_corrected_results(page: Page, browsing):
    corrected = api_search(page, q=MISSPELT)
    assert corrected["corrected"] == QUERY, corrected["corrected"]

    page.goto("/catalogue/")
    page.get_by_role("combobox", name=BOX_LABEL).fill(MISSPELT)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=prid\+and\+prejudise$"))
    expect(page.locator("#resultats-titre")).to_have_text(
        f"{count_heading(corrected)} pour « {QUERY} »"
    )
    notice = page.get_by_role("note")
    expect(notice).to_have_text(
        f"Aucun résultat pour « {MISSPELT} » : voici les résultats pour « {QUERY} »."
    )
    assert_rows_match(page, corrected)
    assert_accessible(page, "corrected search")

    notice.get_by_role("link", name=QUERY).click()
    expect(page).to_have_url(re.compile(r"\?q=pride\+and\+prejudice$"))
    expect(page.get_by_role("note")).to_have_count(0)
    expect(page.locator("#resultats-titre")).to_have_text(count_heading(corrected))
    browsing.assert_clean_console()


def test_a_rare_real_word_is_not_corrected_into_another(page: Page, browsing):
    """A word the catalogue holds, even in two works, is searched as typed: no
    "Vouliez-vous dire" towards a merely similar, more common word."""
    few = api_search(page, q=RARE_REAL_WORD)
    assert 0 < few["total"] < 3 and not few["suggestion"] and not few["corrected"], few
    page.goto(f"/catalogue/?q={RARE_REAL_WORD}")
    expect(page.locator("#resultats-titre")).to_have_text(count_heading(few))
    expect(page.get_by_role("note")).to_have_count(0)
    assert_rows_match(page, few)
    assert_accessible(page, "a rare word's results")
    browsing.assert_clean_console()
