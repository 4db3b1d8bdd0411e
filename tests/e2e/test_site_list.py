"""Journey: find a library in the list, filter it with and without JavaScript, see the map follow.

The public API is the oracle for what each filter should list: it shares the list page's
selector, so a disagreement means the page shows something else than what it computed.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible

pytestmark = pytest.mark.e2e

VILLEURBANNE = "69266"
EMPTY_RESULT = "Aucun lieu ne correspond à ces critères."


def api_sites(page: Page, **params) -> list[dict]:
    response = page.request.get("/api/v1/sites", params=params)
    assert response.ok, response.status
    return response.json()


def count_heading(count: int, filtered: bool = True) -> str:
    text = f"{count} lieu{'x' if count > 1 else ''}"
    if filtered:
        text += f" correspond{'ent' if count > 1 else ''} à vos critères"
    return text


def listed_names(page: Page) -> list[str]:
    return sorted(page.locator(".site-card h3 a").all_inner_texts())


def expect_map_matches_list(page: Page, located_urls: set[str]) -> None:
    """One marker per listed site that has coordinates, named like its card."""
    links = page.locator(".site-card h3 a")
    expected = sorted(
        link.inner_text() for link in links.all() if link.get_attribute("href") in located_urls
    )
    markers = page.locator("#carte .leaflet-marker-icon")
    expect(markers).to_have_count(len(expected))
    assert sorted(m.get_attribute("alt") for m in markers.all()) == expected


def wait_for_results(page: Page, query_part: str):
    """Context manager: the htmx request whose URL contains ``query_part`` answered."""
    return page.expect_response(
        lambda r: query_part in r.url and r.request.headers.get("hx-request") == "true"
    )


def test_list_shows_every_site_with_its_marker(page: Page, browsing):
    everything = api_sites(page)
    located = {site["url"] for site in everything if site["latitude"] is not None}
    assert 85 <= len(everything) <= 100

    page.goto("/bibliotheques/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trouver une bibliothèque")
    expect(page.locator(".site-card")).to_have_count(len(everything))
    expect(
        page.get_by_role("heading", level=2, name=count_heading(len(everything), False))
    ).to_be_visible()
    expect_map_matches_list(page, located)
    assert_accessible(page, "all sites")
    assert browsing.blocked, "the map should have asked for (blocked) tiles"
    assert all(url.startswith("https://tile.openstreetmap.org/") for url in browsing.blocked)


def test_filters_update_results_without_reload(page: Page):
    page.goto("/bibliotheques/")
    page.evaluate("window.e2eSameDocument = true")

    villeurbanne = api_sites(page, commune=VILLEURBANNE)
    assert villeurbanne
    with wait_for_results(page, f"commune={VILLEURBANNE}"):
        page.get_by_label("Commune").select_option(label="Villeurbanne")
    expect(page).to_have_url(re.compile(rf"/bibliotheques/\?(.*&)?commune={VILLEURBANNE}"))
    expect(page.locator("#resultats-titre")).to_have_text(count_heading(len(villeurbanne)))
    expect(page.locator("#resultats-annonce")).to_have_text(count_heading(len(villeurbanne)))
    assert listed_names(page) == sorted(site["name"] for site in villeurbanne)
    for meta in page.locator(".site-card .site-meta").all_inner_texts():
        assert meta.endswith("— Villeurbanne"), meta
    assert_accessible(page, "filtered by commune")

    with_computers = api_sites(page, commune=VILLEURBANNE, service="ordinateurs")
    with wait_for_results(page, "service=ordinateurs"):
        page.get_by_label("Ordinateurs publics").check()
    expect(page).to_have_url(re.compile(rf"commune={VILLEURBANNE}.*service=ordinateurs"))
    expect(page.locator("#resultats-titre")).to_have_text(count_heading(len(with_computers)))
    expect(page.locator("#resultats-annonce")).to_have_text(count_heading(len(with_computers)))
    assert listed_names(page) == sorted(site["name"] for site in with_computers)
    assert_accessible(page, "filtered by commune and service")

    assert page.evaluate("window.e2eSameDocument") is True, "the page reloaded"
    assert page.get_by_label("Commune").input_value() == VILLEURBANNE


def test_map_follows_the_filters(page: Page):
    located = {site["url"] for site in api_sites(page) if site["latitude"] is not None}
    page.goto("/bibliotheques/")
    expect_map_matches_list(page, located)

    with wait_for_results(page, f"commune={VILLEURBANNE}"):
        page.get_by_label("Commune").select_option(label="Villeurbanne")
    expect(page.locator("#resultats-titre")).to_contain_text("à vos critères")
    expect_map_matches_list(page, located)


def test_filtering_raises_no_csp_report(page: Page, browsing):
    page.goto("/bibliotheques/")
    expect(page.locator("#carte .leaflet-marker-icon").first).to_be_visible()
    with wait_for_results(page, f"commune={VILLEURBANNE}"):
        page.get_by_label("Commune").select_option(label="Villeurbanne")
    expect(page.locator("#resultats-titre")).to_contain_text("à vos critères")
    browsing.assert_clean_console()


def test_open_now_lists_only_open_sites(page: Page):
    page.goto("/bibliotheques/")
    expect(page.locator("#carte .leaflet-marker-icon").first).to_be_visible()

    with wait_for_results(page, "ouvert=on"):
        page.get_by_label("Ouvert maintenant").check()
    expect(page.locator("#resultats-titre")).to_contain_text("à vos critères")
    statuses = page.locator(".site-card .status").all_inner_texts()
    for status in statuses:
        assert status.startswith("Ouvert maintenant"), status
    if not statuses:
        expect(page.locator("#resultats")).to_contain_text(EMPTY_RESULT)
    assert_accessible(page, "open now")


def test_filter_form_works_without_javascript(open_browsing):
    browsing = open_browsing(java_script_enabled=False)
    page = browsing.new_page()
    villeurbanne = api_sites(page, commune=VILLEURBANNE)

    page.goto("/bibliotheques/")
    page.get_by_label("Commune").select_option(label="Villeurbanne")
    page.get_by_role("button", name="Afficher les résultats").click()
    page.wait_for_url(re.compile(rf"commune={VILLEURBANNE}"))
    expect(page.locator("#resultats-titre")).to_have_text(count_heading(len(villeurbanne)))
    assert listed_names(page) == sorted(site["name"] for site in villeurbanne)
    expect(page.get_by_label("Commune")).to_have_value(VILLEURBANNE)
    expect(page.locator("#carte .leaflet-marker-icon")).to_have_count(0)
    expect(page.get_by_role("link", name="Effacer les filtres")).to_be_visible()
    assert not browsing.blocked, "without JavaScript no map tile is requested"

    # axe-core needs JavaScript: audit the same result in a page whose own scripts are
    # refused, which renders exactly what the script-less browser got.
    audit = open_browsing().new_page()
    audit.route("**/*.js", lambda route: route.abort())
    audit.goto(page.url)
    expect(audit.locator(".site-card")).to_have_count(len(villeurbanne))
    assert_accessible(audit, "without JavaScript")
