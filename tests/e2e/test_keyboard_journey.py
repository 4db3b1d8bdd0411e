"""Journey: a keyboard-only visitor finds an open library and opens its page.

The journey uses no mouse and no ``click()``: only Tab, Enter and Space. At each stop the
focused element must show a visible focus indicator.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible

pytestmark = pytest.mark.e2e

FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    text: (element.textContent || "").trim(),
    href: element.getAttribute("href"),
    resultLink: element.matches(".site-card h3 a"),
    outlineStyle: style.outlineStyle,
    outlineWidth: style.outlineWidth,
  };
}"""


def focused(page: Page) -> dict:
    return page.evaluate(FOCUSED)


def assert_focus_visible(page: Page) -> dict:
    element = focused(page)
    assert element["outlineStyle"] != "none" and element["outlineWidth"] != "0px", (
        f"no visible focus indicator on {element}"
    )
    return element


def tab_until(page: Page, reached, limit: int) -> int:
    """Press Tab until ``reached(focused element)``; return how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if reached(focused(page)):
            return presses
    raise AssertionError(f"not reached in {limit} Tab presses; focus is on {focused(page)}")


def test_first_tab_on_home_page_reaches_skip_link(page: Page):
    page.goto("/")
    assert_accessible(page)
    page.keyboard.press("Tab")
    skip_link = page.locator(":focus")
    expect(skip_link).to_have_text("Aller au contenu")
    expect(skip_link).to_be_in_viewport()
    assert_focus_visible(page)


def test_map_can_be_skipped_on_the_way_to_the_list(page: Page):
    """The map's markers are focusable, one per site: the list must not sit behind them."""
    page.goto("/bibliotheques/")
    expect(page.locator("#carte .leaflet-marker-icon").first).to_be_visible()
    page.get_by_role("button", name="Afficher les résultats").focus()

    tab_until(page, lambda element: element["href"] == "#liste-lieux", limit=1)
    expect(page.get_by_role("link", name="Passer la carte")).to_be_in_viewport()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator(".site-card h3 a").first).to_be_focused()


def test_keyboard_only_visitor_opens_an_open_library(page: Page):
    page.goto("/bibliotheques/")
    assert_accessible(page)

    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["text"] == "Aller au contenu"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/bibliotheques/#contenu$"))
    assert focused(page)["id"] == "contenu"

    tab_until(page, lambda element: element["id"] == "id_ouvert", limit=10)
    assert_focus_visible(page)
    open_now = page.get_by_label("Ouvert maintenant")
    with page.expect_response(lambda r: "ouvert=on" in r.url):
        page.keyboard.press("Space")
    expect(open_now).to_be_checked()
    expect(page.locator("#resultats-titre")).to_contain_text("à vos critères")
    if page.locator(".site-card").count() == 0:
        # Every library is closed at this hour: the journey goes on with the whole list.
        with page.expect_response(lambda r: "/bibliotheques/?" in r.url and "ouvert" not in r.url):
            page.keyboard.press("Space")
        expect(open_now).not_to_be_checked()
        expect(page.locator(".site-card").first).to_be_visible()
    expect(open_now).to_be_focused()
    first_result = page.locator(".site-card h3 a").first
    first_name = first_result.inner_text()

    def past_the_map(element: dict) -> bool:
        if element["href"] == "#liste-lieux":
            page.keyboard.press("Enter")  # "Passer la carte", then on to the list
        return element["resultLink"]

    presses = tab_until(page, past_the_map, limit=200)
    assert presses <= 30, f"{presses} Tab presses from the filter to the first result"
    expect(first_result).to_be_focused()
    assert_focus_visible(page)

    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(first_name)
    assert_accessible(page)
