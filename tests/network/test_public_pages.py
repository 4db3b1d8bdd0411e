"""The public pages of the network: the site finder, a site's page, a library's page.

The clock is frozen through ``network.views.current_time`` (the one place the views read
the time): Tuesday 5 March 2030, 11:00 in Lyon, a working day with no public holiday.
"""

import json
import re
from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError

from network import selectors
from network.filters import SiteFilters
from network.hours import TZ
from network.models import Feature
from tests.factories import OpeningExceptionFactory, SiteFactory

TUESDAY_11H = datetime(2030, 3, 5, 11, 0, tzinfo=TZ)
WEDNESDAY_15H = datetime(2030, 3, 6, 15, 0, tzinfo=TZ)
SUNDAY_11H = datetime(2030, 3, 10, 11, 0, tzinfo=TZ)


@pytest.fixture
def frozen(monkeypatch):
    """Freeze the views' clock; returns a function to move it (forward only: the page
    cache keeps a page until the next opening or closing it shows, as real time does)."""

    def freeze(moment: datetime) -> None:
        monkeypatch.setattr("network.views.current_time", lambda: moment)

    freeze(TUESDAY_11H)
    return freeze


@pytest.fixture
def network(cast):
    """Site A: open Tuesday to Saturday, step-free. Site B: Wednesday afternoons, Wi-Fi."""
    cast.site_a.features.add(Feature.objects.get(slug="plain-pied"))
    cast.site_b.opening_hours = "We 14:00-18:00"
    cast.site_b.save()
    cast.site_b.features.add(Feature.objects.get(slug="wifi"))
    return cast


def listed(response) -> set[str]:
    """The slugs of the sites shown as result cards."""
    html = response.content.decode()
    return set(re.findall(r'<h3><a href="/bibliotheques/([^/"]+)/">', html))


# --- The finder -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"a", "b"}),
        ({"commune": "69029"}, {"a"}),
        ({"commune": "69259"}, {"b"}),
        ({"service": "wifi"}, {"b"}),
        ({"accessibilite": "plain-pied"}, {"a"}),
        ({"service": "wifi", "accessibilite": "plain-pied"}, set()),
        ({"ouvert": "on"}, {"a"}),
        ({"q": "Lucie"}, {"b"}),
        ({"q": "Bron"}, {"a"}),
    ],
    ids=lambda value: (
        "&".join(f"{k}={v}" for k, v in value.items()) or "none" if isinstance(value, dict) else ""
    ),
)
def test_the_finder_filters_sites(client, network, frozen, params, expected):
    slugs = {"a": network.site_a.slug, "b": network.site_b.slug}
    response = client.get("/bibliotheques/", params)
    assert response.status_code == 200
    assert listed(response) == {slugs[key] for key in expected}


def test_open_now_follows_the_clock(client, network, frozen):
    frozen(WEDNESDAY_15H)
    response = client.get("/bibliotheques/", {"ouvert": "on"})
    assert listed(response) == {network.site_a.slug, network.site_b.slug}
    frozen(SUNDAY_11H)
    response = client.get("/bibliotheques/", {"ouvert": "on"})
    assert listed(response) == set()
    assert "Aucun lieu ne correspond à ces critères." in response.content.decode()


def test_the_finder_shows_each_sites_status(client, network, frozen):
    html = client.get("/bibliotheques/").content.decode()
    assert "Ouvert maintenant — ferme à 18\N{NO-BREAK SPACE}h" in html
    assert "Fermé — ouvre demain à 14\N{NO-BREAK SPACE}h" in html
    assert "2 lieux" in html


def test_an_unknown_value_in_the_url_drops_that_filter_only(client, network, frozen):
    response = client.get("/bibliotheques/", {"commune": "99999", "service": "wifi"})
    assert response.status_code == 200
    assert listed(response) == {network.site_b.slug}


def test_an_htmx_request_gets_only_the_results(client, network, frozen):
    response = client.get("/bibliotheques/", {"service": "wifi"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="resultats"')
    assert "<html" not in html and "<form" not in html
    assert listed(response) == {network.site_b.slug}
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(client, network, frozen):
    # On a history cache miss htmx 2 refetches the URL with both headers and swaps the
    # response into <body>: a bare fragment would leave the page without menu or form.
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = client.get("/bibliotheques/", {"service": "wifi"}, headers=headers)
    html = response.content.decode()
    assert "<form" in html and 'id="navigation"' in html
    assert listed(response) == {network.site_b.slug}


def test_a_full_page_and_a_fragment_are_told_apart_by_caches(client, network, frozen):
    assert "HX-Request" in client.get("/bibliotheques/")["Vary"]


def test_the_selector_takes_the_moment_as_a_parameter(network):
    open_on_tuesday = selectors.list_sites(SiteFilters(open_now=True), TUESDAY_11H)
    open_on_wednesday = selectors.list_sites(SiteFilters(open_now=True), WEDNESDAY_15H)
    assert [r.site for r in open_on_tuesday] == [network.site_a]
    assert {r.site for r in open_on_wednesday} == {network.site_a, network.site_b}


# --- A site's page ----------------------------------------------------------------------


@pytest.fixture
def inventory(network):
    return OpeningExceptionFactory(
        site=network.site_a,
        label="Inventaire",
        start_date=date(2030, 3, 7),
        end_date=date(2030, 3, 8),
    )


def week_rows(html: str) -> dict[str, str]:
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>(.*?)</td>', html, re.S)
    return {day.strip(): re.sub(r"<[^>]+>", "", hours).strip() for day, hours in rows}


def test_a_sites_page_shows_the_weeks_hours_with_its_exceptions(client, inventory, frozen):
    response = client.get(inventory.site.get_absolute_url())
    assert response.status_code == 200
    rows = week_rows(response.content.decode())
    assert list(rows) == [
        "Mardi 5 mars (aujourd'hui)",
        "Mercredi 6 mars",
        "Jeudi 7 mars",
        "Vendredi 8 mars",
        "Samedi 9 mars",
        "Dimanche 10 mars",
        "Lundi 11 mars",
    ]
    assert rows["Mardi 5 mars (aujourd'hui)"] == "10\N{NO-BREAK SPACE}h – 18\N{NO-BREAK SPACE}h"
    assert rows["Jeudi 7 mars"] == "Fermé — Inventaire"
    assert rows["Samedi 9 mars"] == "10\N{NO-BREAK SPACE}h – 17\N{NO-BREAK SPACE}h"
    assert rows["Dimanche 10 mars"] == "Fermé"


def test_a_sites_page_lists_upcoming_exceptions_only(client, inventory, frozen):
    OpeningExceptionFactory(
        site=inventory.site,
        label="Vacances d'hiver",
        start_date=date(2030, 2, 10),
        end_date=date(2030, 2, 20),
    )
    html = client.get(inventory.site.get_absolute_url()).content.decode()
    assert "Inventaire : du 7 mars 2030 au 8 mars 2030, fermé" in html
    assert "Vacances d'hiver" not in html
    assert "Ouvert maintenant — ferme à 18\N{NO-BREAK SPACE}h" in html


def jsonld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


def test_a_sites_page_describes_the_site_as_a_schema_org_library(client, inventory, frozen):
    data = jsonld(client.get(inventory.site.get_absolute_url()).content.decode())
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Library"
    assert data["name"] == "Médiathèque Jean Prévost"
    assert data["url"] == f"http://testserver/bibliotheques/{inventory.site.slug}/"
    assert data["address"]["addressLocality"] == "Bron"
    assert data["geo"] == {"@type": "GeoCoordinates", "latitude": 45.75, "longitude": 4.85}
    assert data["parentOrganization"] == {"@type": "Library", "name": "Bibliothèques de Bron"}
    tuesday = {
        "@type": "OpeningHoursSpecification",
        "opens": "10:00",
        "closes": "18:00",
        "dayOfWeek": "Tuesday",
    }
    assert tuesday in data["openingHoursSpecification"]
    days = {spec.get("dayOfWeek") for spec in data["openingHoursSpecification"]}
    assert "Thursday" not in days  # closed for the inventory


def test_a_site_with_demo_values_says_so(client, network, frozen):
    url = network.site_a.get_absolute_url()
    notice = "Horaires et services de démonstration"
    assert notice not in client.get(url).content.decode()
    network.site_a.has_demo_values = True
    network.site_a.save()
    assert notice in client.get(url).content.decode()


def test_a_site_without_an_address_for_the_public_has_no_map(client, network, frozen):
    service = SiteFactory(
        library=network.library_b,
        commune=network.commune_b,
        kind="service",
        latitude=None,
        longitude=None,
        opening_hours="",
    )
    html = client.get(service.get_absolute_url()).content.decode()
    assert "Ce service n'a pas d'adresse d'accueil du public." in html
    assert "Horaires non renseignés" in html
    assert 'id="carte"' not in html


# --- A library's page -------------------------------------------------------------------


def test_a_librarys_page_lists_its_sites(client, network):
    from editorial.services import ensure_library_page

    annex = SiteFactory(library=network.library_a, commune=network.commune_a, name="Annexe")
    page = ensure_library_page(network.library_a)
    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Bibliothèques de Bron</h1>" in html
    assert "Ses 2 lieux" in html
    assert listed(response) == {network.site_a.slug, annex.slug}
    assert network.site_b.name not in html


def test_a_sites_page_links_to_its_librarys_page(client, network, frozen):
    from editorial.services import ensure_library_page

    page = ensure_library_page(network.library_a)
    html = client.get(network.site_a.get_absolute_url()).content.decode()
    assert f'<a href="{page.url}">Bibliothèques de Bron</a>' in html


# --- Opening hours as staff type them ---------------------------------------------------


def test_unreadable_opening_hours_are_refused_in_french(network):
    site = network.site_a
    site.opening_hours = "mardi 10h-18h"
    with pytest.raises(ValidationError) as error:
        site.full_clean()
    [message] = error.value.message_dict["opening_hours"]
    assert message.startswith("Horaires illisibles : utilisez la syntaxe OpenStreetMap")


def test_unreadable_exception_hours_are_refused_in_french(inventory):
    inventory.opening_hours = "10h à 12h"
    with pytest.raises(ValidationError) as error:
        inventory.full_clean()
    assert error.value.message_dict["opening_hours"][0].startswith("Horaires illisibles")


def test_an_exception_ending_before_it_starts_is_refused_in_french(inventory):
    inventory.end_date = date(2030, 3, 1)
    with pytest.raises(ValidationError) as error:
        inventory.full_clean()
    assert "La fin de la période précède son début." in error.value.messages


def test_valid_opening_hours_pass_validation(network):
    network.site_a.opening_hours = "Tu,Th 14:00-18:00; We,Sa 10:00-12:30,14:00-18:00; PH off"
    network.site_a.full_clean()


def test_list_ignores_nul_bytes_and_garbage_in_the_url(client, cast):
    # PostgreSQL refuses NUL characters in text; a crafted URL must not become a 500.
    response = client.get("/bibliotheques/?q=%00abc&commune=%00&service=%00&ouvert=%00")
    assert response.status_code == 200
