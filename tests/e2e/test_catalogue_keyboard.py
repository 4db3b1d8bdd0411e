"""Journey: a keyboard-only patron searches the catalogue from the home page and opens
the first result.

No mouse and no ``click()``: Tab, typing and Enter only. Every stop must show the focus
ring (static/css/metrobib.css) and come after the previous one in the page's order.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible
from tests.e2e.catalogue_pages import HEADER_BOX_LABEL

pytestmark = pytest.mark.e2e

QUERY = "pride and prejudice"
SKIP_LINKS = ["Aller au contenu", "Aller au menu", "Aller au pied de page"]

# Where the focused element is: its place in the document, its part of the page, whether
# its focus ring shows and whether it is on screen.
FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  const zones = [
    [".skip-links", "skip links"], [".site-header form[role=search]", "header search"],
    [".site-header", "header"], ["main form[role=search]", "search box"],
    [".search-links", "advanced search link"], [".skip-inline", "skip to results"],
    ["nav.facets", "facets"],
    [".sort-form", "sort"], ["#resultats .result", "results"], ["main", "main"],
  ];
  const zone = zones.find(([selector]) => element.closest(selector));
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    name: (element.getAttribute("aria-label") || element.textContent || "").trim().slice(0, 60),
    order: [...document.querySelectorAll("*")].indexOf(element),
    zone: zone ? zone[1] : "elsewhere",
    firstResult: element === document.querySelector("#resultats .result-title a"),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    onScreen: box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth,
  };
}"""


def focused(page: Page) -> dict:
    return page.evaluate(FOCUSED)


def tab_until(page: Page, reached, limit: int) -> list[dict]:
    """Press Tab until ``reached(focused element)``; return every stop on the way, each
    checked for a visible focus ring."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = focused(page)
        assert stop["outline"], f"no visible focus ring on {stop}"
        assert stop["onScreen"], f"focused but off screen: {stop}"
        stops.append(stop)
        if reached(stop):
            return stops
    raise AssertionError(f"not reached in {limit} Tab presses; focus is on {focused(page)}")


def assert_in_page_order(stops: list[dict]) -> None:
    orders = [stop["order"] for stop in stops]
    assert orders == sorted(orders), "focus went back up the page:\n" + "\n".join(
        f"{stop['order']:5} {stop['zone']}: {stop['tag']} {stop['name']}" for stop in stops
    )


def zones(stops: list[dict]) -> list[str]:
    """The parts of the page visited, in order, each once."""
    return [
        zone
        for i, zone in enumerate(s["zone"] for s in stops)
        if i == 0 or zone != stops[i - 1]["zone"]
    ]


def test_keyboard_only_patron_searches_and_opens_a_work(page: Page, browsing):
    page.goto("/")
    assert_accessible(page, "home")

    stops = tab_until(page, lambda stop: stop["id"] == "recherche-portail", limit=15)
    assert [stop["name"] for stop in stops[:3]] == SKIP_LINKS
    assert zones(stops) == ["skip links", "header", "header search"]
    assert_in_page_order(stops)
    box = page.get_by_role("combobox", name=HEADER_BOX_LABEL)
    expect(box).to_be_focused()

    page.keyboard.type(QUERY)
    expect(box).to_have_attribute("aria-expanded", "true")
    assert_accessible(page, "suggestions open in the header")
    page.keyboard.press("Enter")  # no suggestion highlighted: searches what was typed
    expect(page).to_have_url(re.compile(r"/catalogue/\?q=pride\+and\+prejudice$"))
    expect(page.locator("#resultats .result").first).to_be_visible()
    assert_accessible(page, "results")

    page.keyboard.press("Tab")
    assert focused(page)["name"] == SKIP_LINKS[0]
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "contenu"
    first_result = page.locator("#resultats .result-title a").first
    title = first_result.inner_text()
    stops = tab_until(page, lambda stop: stop["firstResult"], limit=150)
    assert_in_page_order(stops)
    assert zones(stops) == [
        "search box", "advanced search link", "skip to results", "facets", "sort", "results"
    ]  # fmt: skip
    expect(first_result).to_be_focused()

    # The facets can be passed over: "Aller aux résultats", then the sort form, then the
    # first result.
    page.keyboard.press("Shift+Tab")
    skip = page.get_by_role("link", name="Aller aux résultats")
    for _ in range(200):
        if skip.evaluate("link => link === document.activeElement"):
            break
        page.keyboard.press("Shift+Tab")
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    stops = tab_until(page, lambda stop: stop["firstResult"], limit=6)
    assert zones(stops) == ["sort", "results"]
    expect(first_result).to_be_focused()

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/catalogue/oeuvre/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(rf"^{re.escape(title)}"))
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "work")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == SKIP_LINKS[0]
    browsing.assert_clean_console()
