"""The page cache serves busy public pages from one cache read, and never a stale page."""

from datetime import datetime, timedelta

import pytest

from network import hours, views

pytestmark = pytest.mark.django_db

TUESDAY_11H = datetime(2026, 12, 1, 11, 0, tzinfo=hours.TZ)


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = TUESDAY_11H

    monkeypatch.setattr(views, "current_time", lambda: Clock.now)
    return Clock


def test_second_request_is_served_from_the_cache_in_at_most_one_query(
    client, cast, clock, django_assert_max_num_queries
):
    client.get("/bibliotheques/")
    with django_assert_max_num_queries(1):
        response = client.get("/bibliotheques/")
    assert response.status_code == 200
    assert cast.site_a.name in response.content.decode()


def test_editing_a_site_shows_at_once(client, cast, clock):
    client.get(cast.site_a.get_absolute_url())
    cast.site_a.name = "Médiathèque renommée"
    cast.site_a.save()
    assert "Médiathèque renommée" in client.get(cast.site_a.get_absolute_url()).content.decode()
    assert "Médiathèque renommée" in client.get("/bibliotheques/").content.decode()


def test_a_new_opening_exception_shows_at_once(client, cast, clock):
    from tests.factories import OpeningExceptionFactory

    assert "Ouvert maintenant" in client.get(cast.site_a.get_absolute_url()).content.decode()
    OpeningExceptionFactory(
        site=cast.site_a, start_date=TUESDAY_11H.date(), end_date=TUESDAY_11H.date()
    )
    page = client.get(cast.site_a.get_absolute_url()).content.decode()
    assert "Fermé — ouvre demain à 10\N{NO-BREAK SPACE}h" in page


def test_status_changes_at_closing_time_even_when_cached(client, cast, clock):
    assert (
        "ferme à 18\N{NO-BREAK SPACE}h"
        in client.get(cast.site_a.get_absolute_url()).content.decode()
    )
    clock.now = TUESDAY_11H.replace(hour=17, minute=59)
    assert (
        "ferme à 18\N{NO-BREAK SPACE}h"
        in client.get(cast.site_a.get_absolute_url()).content.decode()
    )
    clock.now = TUESDAY_11H.replace(hour=18)
    page = client.get(cast.site_a.get_absolute_url()).content.decode()
    assert "Fermé — ouvre demain à 10\N{NO-BREAK SPACE}h" in page


def test_open_now_filter_is_recomputed_after_midnight(client, cast, clock):
    clock.now = TUESDAY_11H.replace(hour=23, minute=59)
    assert cast.site_a.name not in client.get("/bibliotheques/?ouvert=on").content.decode()
    clock.now = clock.now + timedelta(hours=10, minutes=1)  # Wednesday 10:00
    assert cast.site_a.name in client.get("/bibliotheques/?ouvert=on").content.decode()


def test_htmx_fragment_and_full_page_are_cached_apart(client, cast, clock):
    full = client.get("/bibliotheques/").content.decode()
    fragment = client.get("/bibliotheques/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" in full and "<html" not in fragment
    assert "<html" in client.get("/bibliotheques/").content.decode()


def test_logged_in_staff_get_uncached_pages(client, cast, clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast.editor_a)
    client.get("/bibliotheques/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/bibliotheques/")
    assert response.status_code == 200
    assert not any("metrobib_cache" in q["sql"] for q in queries.captured_queries)
    assert any('"network_site"' in q["sql"] for q in queries.captured_queries)


def test_another_process_serves_the_page_from_the_shared_cache(client, cast, clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from metrobib import pagecache

    client.get("/bibliotheques/")
    pagecache.clear_local()  # what a second worker process knows: nothing
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/bibliotheques/")
    assert cast.site_a.name in response.content.decode()
    assert not any('"network_site"' in q["sql"] for q in queries.captured_queries)


def test_home_page_is_cached_and_follows_the_clock(client, cast, clock):
    assert cast.site_a.name in client.get("/").content.decode()
    clock.now = TUESDAY_11H.replace(hour=18)
    assert cast.site_a.name not in client.get("/").content.decode()
    cast.site_a.opening_hours = "Tu 10:00-20:00"
    cast.site_a.save()
    assert cast.site_a.name in client.get("/").content.decode()
