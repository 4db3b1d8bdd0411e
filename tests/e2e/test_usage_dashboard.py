"""Journey: a network administrator opens the digital library's usage dashboard (demo
usage from stats/demo.py), chooses last year's March with the keyboard alone, and
downloads a table; axe-core finds nothing on the way."""

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.agenda_pages import sign_in_to_back_office, tab_to
from tests.e2e.browsing import assert_accessible

pytestmark = pytest.mark.e2e


def test_network_admin_reads_the_usage_dashboard_with_the_keyboard(
    page: Page, browsing, live_url, staff_credentials, screenshot_dir
):
    sign_in_to_back_office(page, *staff_credentials)
    page.get_by_role("button", name="Statistiques", exact=True).click()
    page.get_by_role("link", name="Usages de la bibliothèque numérique").click()
    expect(page).to_have_url(f"{live_url}/admin/statistiques/usages/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Usages de la bibliothèque numérique")
    this_year = date.today().year
    expect(page.get_by_role("heading", name=f"{this_year} : l'essentiel")).to_be_visible()
    resources = page.get_by_role("table", name=re.compile(r"^Par ressource"))
    expect(resources.get_by_role("rowheader", name="Europresse")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"part des inscrits actifs .* \d+,\d\u00a0%"))
    ).to_be_visible()
    assert_accessible(page, "dashboard of this year")
    page.screenshot(path=screenshot_dir / "tableau-usages-1280.png", full_page=True)

    last_year = this_year - 1
    year = page.get_by_label("Année")
    tab_to(page, year)
    for _ in range(5):
        if year.input_value() == str(last_year):
            break
        page.keyboard.press("ArrowDown")
    expect(year).to_have_value(str(last_year))
    month = page.get_by_label("Mois", exact=True)
    tab_to(page, month)
    for _ in range(3):  # « Toute l'année », janvier, février, mars
        page.keyboard.press("ArrowDown")
    expect(month).to_have_value("3")
    tab_to(page, page.get_by_role("button", name="Afficher", exact=True))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"\?annee={last_year}&mois=3$"))
    expect(page.get_by_role("heading", name=f"Mars {last_year} : l'essentiel")).to_be_visible()
    expect(page.get_by_role("table", name=f"Par ressource, mars {last_year}")).to_be_visible()
    assert_accessible(page, f"dashboard of March {last_year}")

    with page.expect_download() as download:
        page.get_by_role(
            "link", name=f"Exporter « Par ressource » en CSV (mars {last_year})"
        ).click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeffRessource;Accès;Utilisateurs distincts;")
    browsing.assert_clean_console()
