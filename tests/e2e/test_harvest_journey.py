"""Journey: a librarian adds a connector for a MARC export, harvests a real file, and
reads the run's counts and the records put in quarantine."""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.browsing import assert_accessible

pytestmark = pytest.mark.e2e

# A real export (pymarc's test data): some of its records are broken, some repeated.
EXPORT = Path(__file__).resolve().parents[1] / "data/marc/pride-and-prejudice-with-many-errors.mrc"
EXPORT_RECORDS = 383
CONNECTOR_NAME = "Export de test (parcours e2e)"
HARVEST_TIMEOUT = 60


def _sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="S'identifier").click()
    expect(page).to_have_title(re.compile(r"^Tableau de bord"))


def _row_by_header(table: Locator, row: Locator) -> dict[str, str]:
    headers = [text.strip() for text in table.locator("thead th").all_inner_texts()]
    cells = [text.strip() for text in row.locator("td").all_inner_texts()]
    return dict(zip(headers, cells, strict=True))


def _wait_for_run(page: Page, worker_log: Path) -> dict[str, str]:
    """Reload the harvest page (it does not refresh itself) until the last run ends."""
    runs = page.get_by_role("table", name=re.compile("^Dernières moissons"))
    deadline = time.monotonic() + HARVEST_TIMEOUT
    while True:
        run = _row_by_header(runs, runs.locator("tbody tr").first)
        if run["État"] in {"Terminée", "En échec"}:
            return run
        if time.monotonic() > deadline:
            pytest.fail(f"Harvest still « {run['État']} »:\n{worker_log.read_text()}")
        page.wait_for_timeout(500)
        page.reload()


def test_librarian_harvests_an_export_and_finds_rejected_records_in_quarantine(
    page: Page, browsing, live_url, staff_credentials, worker, screenshot_dir
):
    _sign_in(page, *staff_credentials)

    page.get_by_role("button", name="Catalogue").click()
    page.get_by_role("link", name="Connecteurs", exact=True).click()
    expect(page).to_have_url(f"{live_url}/admin/connecteurs/")
    assert_accessible(page, "connectors")
    page.get_by_role("link", name=re.compile(r"^Ajouter")).first.click()
    expect(page.get_by_role("heading", name="Quel système relier ?")).to_be_visible()
    assert_accessible(page, "choice of driver")
    page.get_by_role("link", name="Fichier d'export MARC (ISO 2709 ou MARCXML)").click()
    expect(page).to_have_url(f"{live_url}/admin/connecteurs/new/?driver=marc_file")

    library = page.get_by_role("combobox", name=re.compile(r"^Bibliothèque"))
    expect(library).to_be_visible()
    options = library.locator("option").all_text_contents()
    villeurbanne = [option for option in options if option.endswith("de Villeurbanne")]
    assert villeurbanne, options
    assert_accessible(page, "new connector")
    library.select_option(label=villeurbanne[0])
    page.get_by_role("textbox", name=re.compile(r"^Nom")).fill(CONNECTOR_NAME)
    page.get_by_role("combobox", name="Lecture des exemplaires").select_option(
        label="Koha (UNIMARC, zone 995)"
    )
    page.get_by_role("combobox", name=re.compile(r"^Fréquence")).select_option(
        label="À la demande seulement"
    )
    page.get_by_role("button", name="Créer").click()
    expect(page).to_have_url(re.compile(r"/admin/connecteurs/(\?.*)?$"))
    expect(page.get_by_role("status")).to_contain_text(CONNECTOR_NAME)

    row = page.locator("tbody tr").filter(has_text=CONNECTOR_NAME)
    row.get_by_role("link", name="Moissonner, voir les moissons").click()
    expect(page).to_have_url(re.compile(r"/admin/connecteurs/\d+/moissonner/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Moissons")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CONNECTOR_NAME)
    expect(page.get_by_role("button", name="Moissonner maintenant")).to_have_count(0)
    assert_accessible(page, "no harvest yet")

    page.get_by_label("Fichier d'export").set_input_files(EXPORT)
    expect(page.get_by_label("Le fichier contient tout le catalogue")).to_be_checked()
    page.get_by_role("button", name="Téléverser et moissonner").click()
    expect(page.get_by_text("Moisson demandée")).to_be_visible()

    run = _wait_for_run(page, worker)
    assert run["État"] == "Terminée", run
    assert int(run["Lues"]) == EXPORT_RECORDS, run
    assert int(run["Rejetées"]) > 0, run
    outcomes = ("Créées", "Modifiées", "Inchangées", "Rejetées")
    assert sum(int(run[outcome]) for outcome in outcomes) == EXPORT_RECORDS, run
    assert_accessible(page, "harvest finished")
    page.screenshot(path=screenshot_dir / "harvest-page.png", full_page=True)

    page.get_by_role("link", name=re.compile(r"notices? en quarantaine")).click()
    expect(page).to_have_url(re.compile(r"/admin/quarantaine/\?connector=\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quarantaine")
    quarantined = page.locator("tbody tr").filter(has_text=CONNECTOR_NAME)
    expect(quarantined.first).to_be_visible()
    assert_accessible(page, "quarantine")
    table = page.locator("table").filter(has=quarantined.first)
    record = _row_by_header(table, quarantined.first)
    assert record["Motif du rejet"], record
    download = quarantined.first.get_by_role("link", name="Télécharger")
    response = page.request.get(download.get_attribute("href"))
    assert response.status == 200, response.status
    assert response.headers["content-disposition"].startswith("attachment"), response.headers
    assert response.body(), "empty raw record"
    browsing.assert_clean_console()
