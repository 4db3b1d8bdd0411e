"""Journey: a visitor reads a site's page (hours, status, map) and goes on to its library."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible

pytestmark = pytest.mark.e2e

VILLEURBANNE = "69266"
STATUS = re.compile(r"^(Ouvert maintenant|Fermé|Horaires non renseignés)")


def test_site_page_shows_hours_status_map_and_leads_to_library(page: Page):
    sites = page.request.get("/api/v1/sites", params={"commune": VILLEURBANNE}).json()
    site = next(s for s in sorted(sites, key=lambda s: s["name"]) if s["latitude"] is not None)

    response = page.goto(site["url"])
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(site["name"])
    expect(page).to_have_title(f"{site['name']} (Villeurbanne) — Métrobib")

    rows = page.locator("table.hours tbody tr")
    expect(rows).to_have_count(7)
    expect(rows.first).to_have_class(re.compile(r"\btoday\b"))
    expect(rows.first.locator("th")).to_contain_text("(aujourd'hui)")
    expect(page.locator("p.status-large")).to_have_text(STATUS)

    blocks = page.locator('script[type="application/ld+json"]')
    expect(blocks).to_have_count(1)
    data = json.loads(blocks.text_content())
    assert data["@type"] == "Library"
    assert data["name"] == site["name"]
    assert data["address"]["addressLocality"] == "Villeurbanne"
    assert data["geo"]["latitude"] == pytest.approx(site["latitude"])
    assert data["geo"]["longitude"] == pytest.approx(site["longitude"])

    marker = page.locator("#carte.map-small .leaflet-marker-icon")
    expect(marker).to_have_count(1)
    expect(marker).to_have_attribute("alt", site["name"])
    assert_accessible(page)

    library_link = page.locator("p.lead a")
    library_name, library_url = library_link.inner_text(), library_link.get_attribute("href")
    with page.expect_response(lambda r: r.url.endswith(library_url)) as info:
        library_link.click()
    assert info.value.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(library_name)
    expect(page.locator(".site-card h3 a", has_text=site["name"])).to_have_attribute(
        "href", site["url"]
    )
    assert_accessible(page)
