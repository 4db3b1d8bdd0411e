"""The public JSON API (/api/v1/): libraries, sites and their filters, status, GeoJSON.

Opening states are made independent of the clock: one site is open around the clock
(public holidays included), one is closed by an exception around today, one has no hours.
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from network.models import Feature
from tests.factories import CommuneFactory, OpeningExceptionFactory, SiteFactory

ALWAYS_OPEN = "Mo-Su,PH 00:00-24:00"


@pytest.fixture
def network(cast):
    """The cast's sites, made open (A) and closed (B), plus a site without coordinates."""
    today = timezone.localdate()
    cast.site_a.opening_hours = ALWAYS_OPEN
    cast.site_a.save()
    cast.site_a.features.add(*Feature.objects.filter(slug__in=["wifi", "plain-pied"]))
    cast.site_b.features.add(Feature.objects.get(slug="wifi"))
    OpeningExceptionFactory(
        site=cast.site_b,
        label="Travaux",
        start_date=today - timedelta(days=10),
        end_date=today + timedelta(days=10),
    )
    cast.service = SiteFactory(
        library=cast.library_b,
        commune=cast.commune_b,
        name="Service de lecture publique",
        slug="service-lecture-publique",
        kind="service",
        latitude=None,
        longitude=None,
        opening_hours="",
    )
    return cast


def get_json(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def slugs(data) -> set[str]:
    return {item["slug"] for item in data}


# --- Libraries --------------------------------------------------------------------------


def test_libraries_are_listed_with_the_communes_they_serve(client, network):
    data = get_json(client, "/api/v1/libraries")
    by_slug = {library["slug"]: library for library in data}
    assert set(by_slug) == {"bron", "venissieux"}
    assert by_slug["bron"]["name"] == "Bibliothèques de Bron"
    assert by_slug["bron"]["communes"] == [{"insee_code": "69029", "name": "Bron"}]
    assert by_slug["bron"]["library_system"] == "unknown"


def test_one_library_by_slug(client, network):
    data = get_json(client, "/api/v1/libraries/venissieux")
    assert data["name"] == "Bibliothèques de Vénissieux"


def test_an_unknown_library_is_a_json_404(client, db):
    response = client.get("/api/v1/libraries/atlantis")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


# --- Sites ------------------------------------------------------------------------------


def test_sites_are_listed_with_their_status(client, network):
    data = get_json(client, "/api/v1/sites")
    by_slug = {site["slug"]: site for site in data}
    assert set(by_slug) == {network.site_a.slug, network.site_b.slug, "service-lecture-publique"}
    site_a = by_slug[network.site_a.slug]
    assert site_a["library"] == "bron"
    assert site_a["commune"] == {"insee_code": "69029", "name": "Bron"}
    assert (site_a["latitude"], site_a["longitude"]) == (45.75, 4.85)
    assert sorted(site_a["services"]) == ["plain-pied", "wifi"]
    assert site_a["url"] == f"/bibliotheques/{network.site_a.slug}/"
    assert site_a["status"]["open_now"] is True
    assert site_a["status"]["text"] == "Ouvert maintenant"
    assert by_slug[network.site_b.slug]["status"]["known"] is True
    assert by_slug[network.site_b.slug]["status"]["open_now"] is False
    assert by_slug["service-lecture-publique"]["status"]["known"] is False
    assert by_slug["service-lecture-publique"]["latitude"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"commune": "69029"}, {"site_a"}),
        ({"commune": "69259"}, {"site_b", "service"}),
        ({"commune": "99999"}, set()),
        ({"service": "wifi"}, {"site_a", "site_b"}),
        ({"service": ["wifi", "fablab"]}, set()),
        ({"accessibilite": "plain-pied"}, {"site_a"}),
        ({"ouvert": "true"}, {"site_a"}),
        ({"ouvert": "false"}, {"site_a", "site_b", "service"}),
        ({"q": "lucie"}, {"site_b"}),
        ({"q": "Vénissieux"}, {"site_b", "service"}),
        ({"q": "Bibliothèques de Bron"}, {"site_a"}),
        ({"q": "introuvable"}, set()),
        ({"commune": "69259", "service": "wifi"}, {"site_b"}),
    ],
    ids=lambda value: json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else "",
)
def test_sites_are_filtered_as_on_the_public_list(client, network, params, expected):
    names = {"site_a": network.site_a.slug, "site_b": network.site_b.slug}
    names["service"] = "service-lecture-publique"
    data = get_json(client, "/api/v1/sites", **params)
    assert slugs(data) == {names[key] for key in expected}


def test_one_site_by_slug(client, network):
    data = get_json(client, f"/api/v1/sites/{network.site_b.slug}")
    assert data["name"] == "Médiathèque Lucie Aubrac"
    assert data["services"] == ["wifi"]
    assert data["status"]["open_now"] is False


def test_a_sites_status(client, network):
    data = get_json(client, f"/api/v1/sites/{network.site_b.slug}/status")
    assert set(data) == {"known", "open_now", "text", "closes_at", "opens_at"}
    assert (data["known"], data["open_now"]) == (True, False)
    assert data["text"].startswith("Fermé")
    open_data = get_json(client, f"/api/v1/sites/{network.site_a.slug}/status")
    assert (open_data["open_now"], open_data["text"]) == (True, "Ouvert maintenant")


@pytest.mark.parametrize("path", ["/api/v1/sites/atlantis", "/api/v1/sites/atlantis/status"])
def test_an_unknown_site_is_a_json_404(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


# --- GeoJSON ----------------------------------------------------------------------------


def test_geojson_is_a_feature_collection_in_longitude_latitude_order(client, network):
    response = client.get("/api/v1/sites.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    by_slug = {feature["properties"]["slug"]: feature for feature in data["features"]}
    # The service has no coordinates: it cannot be drawn, so it is left out.
    assert set(by_slug) == {network.site_a.slug, network.site_b.slug}
    feature = by_slug[network.site_a.slug]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [4.85, 45.75]}
    assert feature["properties"]["open_now"] is True
    assert feature["properties"]["commune"] == "Bron"


def test_geojson_takes_the_same_filters(client, network):
    data = json.loads(client.get("/api/v1/sites.geojson", {"ouvert": "true"}).content)
    assert [f["properties"]["slug"] for f in data["features"]] == [network.site_a.slug]


def test_the_openapi_schema_documents_every_endpoint(client, db):
    schema = get_json(client, "/api/v1/openapi.json")
    assert {
        "/api/v1/libraries",
        "/api/v1/libraries/{slug}",
        "/api/v1/sites",
        "/api/v1/sites.geojson",
        "/api/v1/sites/{slug}",
        "/api/v1/sites/{slug}/status",
    } <= set(schema["paths"])


# --- Query counts do not grow with the number of sites ----------------------------------


def add_sites(count: int) -> None:
    features = list(Feature.objects.filter(slug__in=["wifi", "presse"]))
    today = timezone.localdate()
    for n in range(count):
        commune = CommuneFactory(insee_code=f"69{300 + n:03d}", name=f"Commune {n}")
        site = SiteFactory(commune=commune)
        site.features.add(*features)
        OpeningExceptionFactory(
            site=site, start_date=today + timedelta(days=5), end_date=today + timedelta(days=6)
        )


@pytest.mark.parametrize(
    ("url", "max_queries"),
    [
        # sites with library, commune and photo; their features; their exceptions
        ("/api/v1/sites", 3),
        # the same, plus the session and the user (see below)
        ("/api/v1/sites.geojson", 5),
        # the same, plus the filter form's communes and features
        ("/bibliotheques/", 7),
    ],
)
def test_query_count_does_not_grow_with_the_number_of_sites(
    client, cast, url, max_queries, django_assert_max_num_queries
):
    # Logged-in users bypass the page cache: what is counted is the page's own work.
    client.force_login(cast.patron)
    add_sites(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_sites(27)
    with django_assert_max_num_queries(max_queries), CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert response.content.count(b"/bibliotheques/mediatheque-") >= 32  # and the cast's 2


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/sites?q=%00",
        "/api/v1/sites?service=%00",
        "/api/v1/sites.geojson?commune=abc",
        "/api/v1/sites/%00",
        "/api/v1/libraries/a%00b",
    ],
)
def test_unsafe_parameters_are_refused_with_422(client, cast, url):
    assert client.get(url).status_code == 422
