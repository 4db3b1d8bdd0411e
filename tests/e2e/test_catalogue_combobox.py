"""Journey: a keyboard user types in the search box, browses the suggestions and opens one.

The box is an ARIA 1.2 combobox with a listbox popup (static/js/combobox.js): focus stays
in the box, ``aria-activedescendant`` names the highlighted option, a live region says
how many suggestions there are. The suggestions' JSON (``/catalogue/suggestions/``) is
the oracle for what the list shows.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import assert_accessible
from tests.e2e.catalogue_pages import BOX_LABEL, HEADER_BOX_LABEL

pytestmark = pytest.mark.e2e

KIND_LABELS = {"titre": "titre", "auteur": "auteur"}


def suggestions(page: Page, prefix: str) -> list[dict]:
    response = page.request.get("/catalogue/suggestions/", params={"q": prefix})
    assert response.ok, response.status
    return response.json()["suggestions"]


def announcement(count: int) -> str:
    if count == 1:
        return "1 suggestion disponible."
    return f"{count} suggestions disponibles."


def option_text(suggestion: dict) -> str:
    return f"{suggestion['label']} ({KIND_LABELS[suggestion['kind']]})"


def active_descendant(page: Page, box) -> str | None:
    return box.get_attribute("aria-activedescendant")


def expect_highlighted(page: Page, box, options, index: int) -> None:
    expect(box).to_be_focused()
    ids = options.evaluate_all("options => options.map(option => option.id)")
    expect(box).to_have_attribute("aria-activedescendant", ids[index])
    selected = options.evaluate_all(
        "options => options.map(option => option.getAttribute('aria-selected'))"
    )
    assert selected == ["true" if i == index else "false" for i in range(len(ids))], selected
    backgrounds = options.evaluate_all(
        "options => options.map(option => getComputedStyle(option).backgroundColor)"
    )
    others = {colour for i, colour in enumerate(backgrounds) if i != index}
    assert backgrounds[index] not in others, (
        f"the highlighted option looks like the others: {backgrounds}"
    )


def open_list(page: Page, box, prefix: str):
    """Type ``prefix`` in the focused box; return the listbox and its options once shown."""
    expected = suggestions(page, prefix)
    assert expected, f"no suggestion for « {prefix} » in the demo"
    page.keyboard.type(prefix)
    listbox = page.locator(f"#{box.get_attribute('aria-controls')}")
    expect(listbox).to_be_visible()
    expect(listbox).to_have_attribute("role", "listbox")
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options).to_have_text([option_text(suggestion) for suggestion in expected])
    return listbox, options, expected


def test_suggestions_are_browsed_and_closed_with_the_keyboard(page: Page, browsing, screenshot_dir):
    page.goto("/catalogue/")
    box = page.get_by_role("combobox", name=BOX_LABEL)
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_attribute("aria-autocomplete", "list")
    expect(box).to_have_attribute("aria-controls", "recherche-suggestions")
    expect(page.get_by_role("listbox", name="Suggestions")).to_be_hidden()
    expect(page.get_by_text("Des suggestions s'affichent pendant la saisie")).to_be_visible()
    assert_accessible(page, "empty box")

    box.focus()
    listbox, options, expected = open_list(page, box, "pride")
    assert len(expected) >= 3, expected
    expect(page.get_by_role("listbox", name="Suggestions")).to_be_visible()
    assert active_descendant(page, box) is None
    expect(page.locator("#recherche-annonce")).to_have_text(announcement(len(expected)))
    assert_accessible(page, "suggestions open")
    page.screenshot(path=screenshot_dir / "catalogue-combobox.png")

    last = len(expected) - 1
    for key, index in [
        ("ArrowDown", 0),
        ("ArrowDown", 1),
        ("ArrowUp", 0),
        ("ArrowUp", last),  # wraps to the last suggestion
        ("ArrowDown", 0),  # and back to the first
    ]:
        page.keyboard.press(key)
        expect_highlighted(page, box, options, index)
    assert_accessible(page, "a suggestion highlighted")

    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    assert active_descendant(page, box) is None
    expect(box).to_have_value("pride")
    expect(box).to_be_focused()

    page.keyboard.press("ArrowDown")  # opens the list again
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(options).to_have_count(len(expected))
    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Escape")  # the second Escape empties the box
    expect(box).to_have_value("")
    expect(box).to_be_focused()

    open_list(page, box, "pride")
    page.keyboard.press("Tab")  # leaving the box closes the list
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    expect(page.get_by_role("search", name="Catalogue").get_by_role("button")).to_be_focused()
    browsing.assert_clean_console()


def test_enter_on_a_suggestion_opens_its_work(page: Page, browsing):
    page.goto("/")
    box = page.get_by_role("combobox", name=HEADER_BOX_LABEL)
    box.focus()
    listbox, options, expected = open_list(page, box, "lolli")
    index = next(
        i
        for i, suggestion in enumerate(expected)
        if suggestion["label"].startswith("Lollipop") and "/oeuvre/" in suggestion["url"]
    )
    expect(page.locator("#recherche-portail-annonce")).to_have_text(announcement(len(expected)))
    assert_accessible(page, "suggestions open in the header")

    for _ in range(index + 1):
        page.keyboard.press("ArrowDown")
    expect_highlighted(page, box, options, index)
    assert_accessible(page, "suggestion highlighted in the header")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"{re.escape(expected[index]['url'])}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Lollipop"))
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "work chosen from the suggestions")
    browsing.assert_clean_console()
