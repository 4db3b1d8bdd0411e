"""The catalogue's results, a work page and the open suggestions on a phone and a desktop:
screenshots, and no sideways scrolling down to 320 px (WCAG 1.4.10).

Screenshots land in ``test-artifacts/screenshots/catalogue-<page>-<width>.png`` for people
to look at.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import assert_accessible
from tests.e2e.catalogue_pages import BOX_LABEL, work_with_copies_at

pytestmark = pytest.mark.e2e

VIEWPORTS = [(320, 720), (375, 812), (1280, 900)]
MAX_SHOT_HEIGHT = 4000
WORK_TITLE = "Traité de la science des finances"
WORK_LIBRARY = "Bibliothèques de Villeurbanne"

WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")]
  .filter(element => element.getBoundingClientRect().right > innerWidth + 1)
  .filter(element => !element.closest(".leaflet-container"))
  .filter(element => getComputedStyle(element).position === "absolute")
  .slice(0, 5)
  .map(element => `${element.tagName.toLowerCase()}.${element.className}: `
    + `${element.textContent.trim().slice(0, 50)} `
    + `(right edge ${Math.round(element.getBoundingClientRect().right)} px)`)"""


def open_page(page, name: str) -> None:
    if name == "results":
        page.goto("/catalogue/?q=pride+and+prejudice")
        expect(page.locator("#resultats .result").first).to_be_visible()
    elif name == "work":
        page.goto(work_with_copies_at(page, WORK_TITLE, WORK_TITLE, WORK_LIBRARY))
        expect(page.locator("#disponibilite .hint").first).to_contain_text("en direct")
    else:
        page.goto("/catalogue/")
        page.get_by_role("combobox", name=BOX_LABEL).press_sequentially("pride")
        expect(page.get_by_role("listbox", name="Suggestions")).to_be_visible()
        page.keyboard.press("ArrowDown")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=[str(w) for w, _ in VIEWPORTS])
@pytest.mark.parametrize("name", ["results", "work", "combobox"])
def test_catalogue_page_fits_the_screen(open_browsing, screenshot_dir, name, width, height):
    browsing = open_browsing(viewport={"width": width, "height": height})
    page = browsing.new_page()
    open_page(page, name)

    path = screenshot_dir / f"catalogue-{name}-{width}.png"
    if name == "combobox":
        page.screenshot(path=path)
    else:
        shot_height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_SHOT_HEIGHT)
        page.screenshot(
            path=path, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": shot_height}
        )
    assert_accessible(page, f"{width} px wide")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (
        f"{page.url} is {scroll_width} px wide at {width} px; absolutely placed boxes past "
        f"the edge: {page.evaluate(WIDER_THAN_THE_SCREEN)}"
    )
    browsing.assert_clean_console()
