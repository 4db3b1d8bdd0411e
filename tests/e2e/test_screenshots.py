"""The list and a site page on a phone and a desktop: screenshots, and no sideways scrolling.

Screenshots land in ``test-artifacts/screenshots/<page>-<width>.png`` for people to look at;
the test itself checks that nothing is wider than the screen, down to 320 px (WCAG 1.4.10).
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import assert_accessible

pytestmark = pytest.mark.e2e

VIEWPORTS = [(320, 720), (375, 812), (1280, 900)]
SITE = "/bibliotheques/mediatheque-du-rize-villeurbanne/"
MAX_SHOT_HEIGHT = 4000
PAGES = {"bibliotheques": "/bibliotheques/", "site": SITE}


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=[str(w) for w, _ in VIEWPORTS])
@pytest.mark.parametrize("name", PAGES)
def test_page_fits_the_screen(open_browsing, screenshot_dir, name, width, height):
    page = open_browsing(viewport={"width": width, "height": height}).new_page()
    response = page.goto(PAGES[name])
    assert response.status == 200
    expect(page.locator("#carte .leaflet-marker-icon").first).to_be_visible()
    page.wait_for_load_state("networkidle")

    # The list is 20 000 px long; its first screens say all there is to see.
    shot_height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_SHOT_HEIGHT)
    page.screenshot(
        path=screenshot_dir / f"{name}-{width}.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": shot_height},
    )
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{PAGES[name]} is {scroll_width} px wide at {width} px"
    checkbox_widths = page.locator("input[type=checkbox]").evaluate_all(
        "boxes => boxes.map(box => box.getBoundingClientRect().width)"
    )
    assert len(set(checkbox_widths)) <= 1, f"checkboxes squeezed by their labels: {checkbox_widths}"
    assert_accessible(page, f"{width} px wide")
