"""Journey: a network administrator signs in to the back-office and reaches the sites."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_network_admin_signs_in_and_opens_the_sites(page: Page, live_url, staff_credentials):
    username, password = staff_credentials
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))

    page.get_by_label("Nom d’utilisateur").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="S'identifier").click()
    expect(page).to_have_url(f"{live_url}/admin/")
    expect(page).to_have_title(re.compile(r"^Tableau de bord"))
    expect(page.get_by_role("link", name="Tableau de bord")).to_be_visible()

    page.get_by_role("button", name="Réseau").click()
    page.get_by_role("link", name="Sites", exact=True).click()
    expect(page).to_have_url(f"{live_url}/admin/lieux/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sites")
    expect(page.locator("table tbody tr").first).to_be_visible()

    page.get_by_role("textbox", name="Terme de recherche").fill("Rize")
    expect(page.get_by_role("link", name="Médiathèque du Rize")).to_be_visible()
