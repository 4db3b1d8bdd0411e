"""The catalogue's public pages and API on the real corpus: search, filters as links,
advanced search, a work's page, permanent URLs, live availability, completion."""

import json
import re
from html import unescape

import pytest
from django.urls import reverse

from catalogue.models import MergedWork, Record, Work


def work_of(title: str) -> Work:
    return Record.objects.filter(title=title).order_by("pk").first().work


def links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', html)]


def test_the_search_page_lists_works_with_holdings(corpus, db, client):
    response = client.get("/catalogue/", {"q": "harry potter"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 œuvre" in html
    assert "Harry Potter à l&#x27;école des sorciers" in html
    assert "1 bibliothèque" in html and "3 exemplaires en rayon" in html


def test_a_result_line_reads_as_words_without_css():
    """Its parts are separate words in the text, as a screen reader or a page without
    styles gives them, not run together."""
    from catalogue.selectors import ResultRow
    from catalogue.templatetags.catalogue_pages import result_items

    row = ResultRow(7, "Germinal", "Zola, Émile", 1885, "book", 2, 0)
    text = re.sub(r"<[^>]+>", "", unescape(result_items([row])))
    assert "Zola, Émile 1885 Livre" in text
    assert "2 bibliothèques Aucun exemplaire signalé en rayon" in text


def test_result_lines_link_to_their_works():
    from django.urls import reverse

    from catalogue.selectors import ResultRow
    from catalogue.templatetags.catalogue_pages import result_items

    rows = [ResultRow(work_id, "T", "", None, "book", 1, 0) for work_id in (1, 90, 2**40)]
    hrefs = re.findall(r'href="([^"]+)"', result_items(rows))
    assert hrefs == [reverse("catalogue:work", args=[row.work_id]) for row in rows]


# The edition row as a template wrote it before catalogue_pages.edition_rows: the tag
# must write the same markup.
EDITION_ROW = """{% with record=edition.record %}<tr>
  <th scope="row">{{ record.title }}{% if record.part %}, {{ record.part }}{% endif %}</th>
  <td>{{ edition.type_label }}</td>
  <td>{{ record.year|default:"—" }}</td>
  <td>{{ record.publisher|default:"—" }}</td>
  <td>{% for isbn in record.isbns %}{{ isbn }}{% if not forloop.last %}, {% endif %}{% empty %}{{ record.issns|join:", "|default:"—" }}{% endfor %}</td>
  <td>{{ edition.libraries|join:", " }}</td>
  <td class="exports">
    <a href="{% url 'catalogue:record_export' record.pk 'ris' %}">RIS<span class="visually-hidden"> : {{ record.title }}, {{ record.year|default:"sans date" }}</span></a>
    <a href="{% url 'catalogue:record_export' record.pk 'bib' %}">BibTeX<span class="visually-hidden"> : {{ record.title }}, {{ record.year|default:"sans date" }}</span></a>
    {% if record.source.format != "oai_dc" %}<a href="{% url 'catalogue:record_export' record.pk 'marcxml' %}">MARCXML<span class="visually-hidden"> : {{ record.title }}, {{ record.year|default:"sans date" }}</span></a>{% endif %}
  </td>
</tr>{% endwith %}"""  # noqa: E501


def test_edition_rows_are_the_rows_a_template_wrote():
    from django.template import Context, Template

    from catalogue.selectors import Edition
    from catalogue.templatetags.catalogue_pages import edition_rows
    from connectors.models import SourceRecord
    from network.models import Library

    def record(pk, fmt="marcxml", library="Médiathèque de Bron", **fields):
        made = Record(pk=pk, doc_type=fields.pop("doc_type", "book"), **fields)
        made.source = SourceRecord(pk=pk, format=fmt)
        made.library = Library(pk=pk, name=library)
        return made

    editions = [
        Edition([record(1, title="Germinal", year=1885, isbns=["9782253004226", "2253004227"],
                        publisher="Le Livre de poche"),
                 record(2, library="Bibliothèque d'Écully <Ouest>", title="Germinal")]),
        Edition([record(2**40, fmt="oai_dc", title="L'Étranger & <autres>", part="Tome 2",
                        doc_type="periodical", issns=["0395-2037"], publisher="A & B")]),
        Edition([record(90, title="Sans date", doc_type="unknown-type")]),
    ]  # fmt: skip
    expected = "".join(
        Template(EDITION_ROW).render(Context({"edition": edition})) for edition in editions
    )
    assert edition_rows(editions) == expected
    assert edition_rows([]) == ""


def test_filters_are_links_that_keep_the_search_and_can_be_removed(corpus, db, client):
    library = corpus.libraries["villeurbanne"]
    html = client.get("/catalogue/", {"q": "finances"}).content.decode()
    filter_link = next(h for h in links(html) if f"bibliotheque={library.pk}" in h)
    assert "q=finances" in filter_link
    filtered = client.get("/catalogue/" + filter_link).content.decode()
    assert "retirer ce filtre" in filtered
    removal = unescape(re.search(r'<a href="([^"]+)" aria-current="true"', filtered).group(1))
    assert "q=finances" in removal and "bibliotheque" not in removal


def test_pages_keep_the_filters(corpus, db, client):
    html = client.get("/catalogue/", {"q": "revue", "type": "periodical"}).content.decode()
    page_two = next(h for h in links(html) if "page=2" in h)
    assert "type=periodical" in page_two and "q=revue" in page_two
    second = client.get("/catalogue/" + page_two).content.decode()
    assert 'aria-current="page">2' in second


def test_the_search_page_needs_a_bounded_number_of_queries(
    corpus, db, client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        client.get("/catalogue/", {"q": "revue", "type": "periodical", "tri": "recent"})


def test_a_correction_is_shown_as_such(corpus, db, client):
    html = client.get("/catalogue/", {"q": "Lolipop"}).content.decode()
    assert "Aucun résultat pour « Lolipop »" in html and "Lollipop" in html


def test_bad_parameters_give_a_page_not_an_error(corpus, db, client):
    response = client.get(
        "/catalogue/", {"q": "x" * 400, "page": "abc", "tri": "bogus", "type": "\x00"}
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_the_advanced_form_searches_by_field(corpus, db, client):
    assert client.get("/catalogue/avancee/").status_code == 200
    html = client.get("/catalogue/", {"auteur": "Zolla", "titre": "blé"}).content.decode()
    assert "Le blé et les céréales" in html and "1 œuvre" in html


def test_a_work_page_shows_editions_copies_and_where_to_find_it(corpus, db, client):
    work = work_of("Harry Potter à l'école des sorciers")
    response = client.get(reverse("catalogue:work", args=[work.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Médiathèques de Vénissieux" in html and "Médiathèque Lucie Aubrac" in html
    assert "JR ROW h" in html  # the call number of the copies
    assert "export.ris" in html and "export.marcxml" in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert data["@type"] == "Book" and data["workExample"]
    assert f'rel="canonical" href="http://testserver/catalogue/oeuvre/{work.pk}/"' in html
    # Without JavaScript, a link asks the libraries' systems.
    assert reverse("catalogue:work_availability", args=[work.pk]) in html


def test_a_merged_work_leads_to_the_work_that_holds_its_editions(corpus, db, client):
    work = work_of("Lollipop")
    MergedWork.objects.create(old_id=999_999, work=work)
    response = client.get("/catalogue/oeuvre/999999/")
    assert response.status_code == 301 and response["Location"] == f"/catalogue/oeuvre/{work.pk}/"
    assert client.get("/catalogue/oeuvre/999998/").status_code == 404


def test_a_work_page_needs_a_bounded_number_of_queries(
    corpus, db, client, django_assert_max_num_queries
):
    work = work_of("Traité de la science des finances")
    with django_assert_max_num_queries(14):
        assert client.get(reverse("catalogue:work", args=[work.pk])).status_code == 200


def test_live_availability_says_when_a_library_gives_no_live_status(corpus, db, client):
    """The corpus's libraries harvest files: no system to ask, the harvested status stays."""
    work = work_of("Harry Potter à l'école des sorciers")
    url = reverse("catalogue:work_availability", args=[work.pk])
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "ne donne pas la disponibilité en direct" in fragment
    assert "<html" not in fragment and "En rayon" in fragment
    page = client.get(url).content.decode()  # without JavaScript: the whole page
    assert "<html" in page and "ne donne pas la disponibilité en direct" in page


def test_completion_answers_json_with_links(corpus, db, client):
    data = client.get("/catalogue/suggestions/", {"q": "lolli"}).json()
    first = data["suggestions"][0]
    assert first["label"].startswith("Lollipop") and first["url"].startswith("/catalogue/oeuvre/")
    assert client.get("/catalogue/suggestions/", {"q": "\x00"}).json() == {"suggestions": []}


# --------------------------------------------------------------------------------- API


def test_the_api_searches_with_facets(corpus, db, client):
    data = client.get("/api/v1/catalogue/search", {"q": "finances", "type": "book"}).json()
    assert data["exact"] and data["total"] == len(data["hits"]) <= 20 or data["pages"] > 1
    assert {f["name"] for f in data["facets"]} >= {"type", "bibliotheque", "langue"}
    assert all(hit["type"] == "book" for hit in data["hits"])
    assert client.get("/api/v1/catalogue/search", {"page": 0}).status_code == 422


def test_the_api_gives_a_work_and_its_availability(corpus, db, client):
    work = work_of("Harry Potter à l'école des sorciers")
    data = client.get(f"/api/v1/catalogue/works/{work.pk}").json()
    assert data["title"] == work.title and len(data["copies"]) == 3
    assert data["editions"][0]["isbns"] == ["9782070518425"]
    live = client.get(f"/api/v1/catalogue/works/{work.pk}/availability").json()
    assert live["libraries"][0]["state"] == "not offered"
    assert {copy["live"] for copy in live["copies"]} == {False}
    assert client.get("/api/v1/catalogue/works/999999999").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/catalogue/search", "/api/v1/catalogue/works/{pk}"])
def test_the_catalogue_is_in_the_openapi_schema(client, db, path):
    schema = client.get("/api/v1/openapi.json").json()
    assert path in schema["paths"]
