"""Journey: a patron opens a work held in Villeurbanne and sees its copies' statuses
change from the last harvest's to what the library's system says now.

The page is served with the harvested statuses; htmx then asks
``/catalogue/oeuvre/<id>/disponibilite/`` and swaps the live ones in (the demo connector
answers as a library system would). The test holds that request back to see both states.
Without JavaScript a link leads to the same page with live statuses.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.browsing import assert_accessible
from tests.e2e.catalogue_pages import (
    api_availability,
    api_work,
    assert_accessible_without_javascript,
    work_with_copies_at,
)

pytestmark = pytest.mark.e2e

TITLE = "Traité de la science des finances"
LIBRARY = "Bibliothèques de Villeurbanne"
HARVESTED_NOTE = re.compile(r"^Statut à jour au .+ ; vérification en direct en cours…$")
LIVE_NOTE = re.compile(r"^Disponibilité en direct, vérifiée à (\d{1,2})\sh\s(\d\d)\.$")
LIVE_STATUS = re.compile(r"^(En rayon|En prêt jusqu'au \d\d/\d\d/\d{4})$")
ANNOUNCEMENT = re.compile(r"^Disponibilité en direct : \d+ bibliothèques? (a|ont) répondu\.$")
NO_SCRIPT_LINK = "Vérifier la disponibilité en direct auprès des bibliothèques"
PARIS = ZoneInfo("Europe/Paris")
# Live answers are kept AVAILABILITY_CACHE_SECONDS (300 s): another test may have asked.
OLDEST_ANSWER = timedelta(minutes=6)

MARK_LIVE_REGIONS = """() => document.querySelectorAll('[role=status], [aria-live]')
  .forEach(region => { region.e2eBeforeSwap = true; })"""
ANNOUNCED_BY_OLD_REGIONS = """() => [...document.querySelectorAll('[role=status], [aria-live]')]
  .filter(region => region.e2eBeforeSwap).map(region => region.textContent.trim())"""


def holdings(page: Page):
    return page.locator("#disponibilite .library-holdings").filter(
        has=page.get_by_role("heading", level=3, name=LIBRARY)
    )


def statuses(page: Page) -> list[str]:
    return holdings(page).locator("table.copies tbody td:last-child").all_inner_texts()


def assert_recent(note: str) -> None:
    hour, minute = (int(part) for part in LIVE_NOTE.match(note).groups())
    now = datetime.now(PARIS)
    checked = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if checked > now + timedelta(minutes=1):
        checked -= timedelta(days=1)  # checked just before midnight
    assert now - checked <= OLDEST_ANSWER, f"« {note} » at {now:%H:%M}"


def hold_availability(page: Page) -> list[Route]:
    """Keep the page's live-availability request waiting until the test lets it go."""
    held: list[Route] = []
    page.route("**/disponibilite/", lambda route: held.append(route))
    return held


def release(page: Page, held: list[Route]) -> None:
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1, f"htmx asked {len(held)} times for live availability"
    held[0].continue_()


def open_work_from_search(page: Page, url: str) -> None:
    page.goto(f"/catalogue/?q={TITLE}")
    assert_accessible(page, "search for the work")
    page.locator(f".result-title a[href='{url}']").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(url)}$"))


def test_copies_show_the_harvested_then_the_live_status(page: Page, browsing, open_browsing):
    url = work_with_copies_at(page, TITLE, TITLE, LIBRARY)
    harvested = [c["status"] for c in api_work(page, url)["copies"] if c["library"] == LIBRARY]
    held = hold_availability(page)
    open_work_from_search(page, url)

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(holdings(page).locator(".hint")).to_have_text(HARVESTED_NOTE)
    assert statuses(page) == harvested
    assert_accessible(page, "harvested statuses")
    page.evaluate(MARK_LIVE_REGIONS)

    release(page, held)
    expect(holdings(page).locator(".hint")).to_have_text(LIVE_NOTE)
    assert_recent(holdings(page).locator(".hint").inner_text())
    expect(page.locator("#disponibilite").get_by_text(NO_SCRIPT_LINK)).to_have_count(0)
    live = [c["status"] for c in api_availability(page, url)["copies"] if c["library"] == LIBRARY]
    assert statuses(page) == live
    for status in live:
        assert LIVE_STATUS.match(status), status
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "live statuses")

    # "Open now" lists open sites with a copy on the shelf: after the live answer it must
    # say what the page with live statuses says (they can only differ while a site holding
    # the work is open).
    full = open_browsing().new_page()
    full.goto(f"{url}disponibilite/")
    expect(full.locator(".library-holdings .hint").first).to_have_text(LIVE_NOTE)
    assert_accessible(full, "page with live statuses")
    open_now, open_now_live = (p.locator("section.where").inner_text() for p in (page, full))
    assert open_now == open_now_live, "« Où le trouver ouvert maintenant » kept the harvest's view"
    browsing.assert_clean_console()

    # A screen reader hears of the update only through a live region that was already
    # on the page when its text changed.
    announced = page.evaluate(ANNOUNCED_BY_OLD_REGIONS)
    assert any(ANNOUNCEMENT.match(text) for text in announced), (
        f"« {ANNOUNCEMENT.pattern} » is not in a live region present before the swap "
        f"(those say {announced}); it arrives inside the new #disponibilite"
    )


def test_focus_stays_where_it_was_when_live_statuses_arrive(page: Page):
    url = work_with_copies_at(page, TITLE, TITLE, LIBRARY)
    held = hold_availability(page)
    page.goto(url)
    site_link = holdings(page).locator("table.copies tbody th a").first
    site_link.focus()
    name, href = site_link.inner_text(), site_link.get_attribute("href")

    release(page, held)
    expect(holdings(page).locator(".hint")).to_have_text(LIVE_NOTE)
    focused = page.evaluate(
        "() => [document.activeElement.tagName,"
        " document.activeElement.textContent.trim().slice(0, 80),"
        " document.activeElement.getAttribute('href')]"
    )
    assert focused == ["A", name, href], f"focus moved to {focused} when the copies were replaced"


def test_without_javascript_a_link_gives_the_live_statuses(page: Page, open_browsing):
    url = work_with_copies_at(page, TITLE, TITLE, LIBRARY)
    browsing = open_browsing(java_script_enabled=False)
    plain = browsing.new_page()
    plain.goto(f"/catalogue/?q={TITLE}")
    plain.locator(f".result-title a[href='{url}']").click()
    expect(plain).to_have_url(re.compile(rf"{re.escape(url)}$"))
    expect(plain.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(holdings(plain).locator(".hint")).to_contain_text("Statut à jour au")
    assert_accessible_without_javascript(open_browsing, plain.url, "harvested statuses")

    plain.get_by_role("link", name=NO_SCRIPT_LINK).click()
    expect(plain).to_have_url(re.compile(rf"{re.escape(url)}disponibilite/$"))
    expect(plain.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(holdings(plain).locator(".hint")).to_have_text(LIVE_NOTE)
    assert_recent(holdings(plain).locator(".hint").inner_text())
    for status in statuses(plain):
        assert LIVE_STATUS.match(status), status
    expect(plain.get_by_role("link", name=NO_SCRIPT_LINK)).to_have_count(0)
    assert_accessible_without_javascript(open_browsing, plain.url, "live statuses")
    browsing.assert_clean_console()


def test_without_javascript_no_live_check_is_said_to_be_running(page: Page, open_browsing):
    url = work_with_copies_at(page, TITLE, TITLE, LIBRARY)
    plain = open_browsing(java_script_enabled=False).new_page()
    plain.goto(url)
    expect(plain.get_by_role("link", name=NO_SCRIPT_LINK)).to_be_visible()
    # What a patron sees or hears (display: none without scripts), not the DOM's text.
    expect(holdings(plain).locator(".hint")).not_to_contain_text(
        "vérification en direct en cours", use_inner_text=True
    )
