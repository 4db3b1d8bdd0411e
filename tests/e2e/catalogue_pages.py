"""What the catalogue's browser journeys share: the JSON API as an oracle, reading result
rows off the page, finding a demo work by searching, and auditing a page as a browser
without JavaScript renders it.

The API reads a search exactly as the search page does (catalogue/filters.py), so a row
that differs from the API's hit means the page shows something else than it computed.
"""

import re
from urllib.parse import urlencode

from playwright.sync_api import Page

from tests.e2e.browsing import assert_accessible

SEARCH_API = "/api/v1/catalogue/search"
PER_PAGE = 20
BOX_LABEL = "Rechercher un livre, un film, un auteur, un sujet, un ISBN"
HEADER_BOX_LABEL = "Rechercher dans le catalogue des bibliothèques"
FACET_COUNT = re.compile(r"\((?:≈ )?(\d+)")

READ_ROWS = """rows => rows.map(row => ({
  title: row.querySelector('.result-title a').textContent.trim(),
  url: row.querySelector('.result-title a').getAttribute('href'),
  meta: [...row.querySelectorAll('.result-meta span')].map(span => span.textContent.trim()),
  holdings: [...row.querySelectorAll('.result-holdings span')].map(span => span.textContent.trim()),
}))"""

# Unwraps <noscript>: with scripting on, its content is raw text; this renders it as a
# browser without JavaScript does.
UNWRAP_NOSCRIPT = """() => document.querySelectorAll('noscript').forEach(element => {
  element.insertAdjacentHTML('afterend', element.textContent);
  element.remove();
})"""


def api_search(page: Page, /, **params) -> dict:
    """The API's answer to the search the page's URL would carry (``page=`` included);
    a list gives a repeated parameter."""
    response = page.request.get(f"{SEARCH_API}?{urlencode(params, doseq=True)}")
    assert response.ok, f"{SEARCH_API} {params}: {response.status}"
    return response.json()


def api_work(page: Page, url: str) -> dict:
    work_id = re.search(r"/oeuvre/(\d+)/", url).group(1)
    response = page.request.get(f"/api/v1/catalogue/works/{work_id}")
    assert response.ok, response.status
    return response.json()


def api_availability(page: Page, url: str) -> dict:
    work_id = re.search(r"/oeuvre/(\d+)/", url).group(1)
    response = page.request.get(f"/api/v1/catalogue/works/{work_id}/availability")
    assert response.ok, response.status
    return response.json()


def plural(count: int, word: str) -> str:
    """Django's ``pluralize`` as the templates use it: 0 and 2+ take an s."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def expected_row(hit: dict) -> dict:
    """A results row as the template writes it from the API's hit."""
    meta = [hit["author"], str(hit["year"]) if hit["year"] else "", hit["type_label"]]
    available = hit["available_count"]
    shelf = (
        f"{plural(available, 'exemplaire')} en rayon"
        if available
        else "Aucun exemplaire signalé en rayon"
    )
    return {
        "title": hit["title"],
        "url": hit["url"],
        "meta": [part for part in meta if part],
        "holdings": [plural(hit["library_count"], "bibliothèque"), shelf],
    }


def result_rows(page: Page) -> list[dict]:
    return page.locator("#resultats .result").evaluate_all(READ_ROWS)


def assert_rows_match(page: Page, expected: dict) -> None:
    """The page's rows are the API's hits, in the same order, described the same way."""
    assert result_rows(page) == [expected_row(hit) for hit in expected["hits"]]


def count_heading(expected: dict) -> str:
    """The results heading for the API's answer (the demo's totals are exact)."""
    assert expected["exact"], "an estimated total is shown rounded: not a demo case"
    if not expected["total"]:
        return "Aucune œuvre trouvée"
    return plural(expected["total"], "œuvre")


def biggest_value(expected: dict, facet: str) -> dict:
    """The value of ``facet`` that counts the most works in the API's answer."""
    groups = {group["name"]: group for group in expected["facets"]}
    assert facet in groups, f"no facet {facet!r} in {list(groups)}"
    return max(groups[facet]["values"], key=lambda value: value["count"])


def work_with_copies_at(page: Page, query: str, title: str, library: str) -> str:
    """The URL of the first work found by ``query``, titled ``title``, with copies at
    ``library`` (asked of the API, as a patron would read each work's page)."""
    for hit in api_search(page, q=query)["hits"]:
        if hit["title"] == title:
            copies = api_work(page, hit["url"])["copies"]
            if any(copy["library"] == library for copy in copies):
                return hit["url"]
    raise AssertionError(f"no work « {title} » with copies at {library} for « {query} »")


def assert_accessible_without_javascript(open_browsing, url: str, state: str) -> None:
    """axe-core needs JavaScript: audit ``url`` in a page whose own scripts are refused
    and whose <noscript> content is shown, which renders what a script-less browser got."""
    audit = open_browsing().new_page()
    audit.route("**/*.js", lambda route: route.abort())
    audit.goto(url)
    audit.evaluate(UNWRAP_NOSCRIPT)
    assert_accessible(audit, f"without JavaScript: {state}")
    audit.close()
