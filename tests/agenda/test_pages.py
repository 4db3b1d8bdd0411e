"""The public agenda: filters, an occurrence's page, registering and cancelling, feeds."""

import html
import json
import re
from datetime import datetime, timedelta

import icalendar
import pytest
from django.core import mail
from django.urls import reverse
from lxml import etree

from agenda import services, views
from agenda.models import TZ, Occurrence, Registration
from tests.factories import CommuneFactory, EventFactory, SiteFactory

# A Thursday: "ce week-end" is the 5th and 6th of December 2026.
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=TZ)


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def frozen_agenda(monkeypatch):
    monkeypatch.setattr(views, "current_time", lambda: NOW)


def make(cast, title, start, *, library=None, site=None, **fields):
    library = library or cast.library_a
    site = site or (cast.site_a if library == cast.library_a else cast.site_b)
    event = EventFactory(
        library=library, site=site, title=title, starts_at=start,
        ends_at=start + timedelta(hours=1), **fields,
    )  # fmt: skip
    services.sync_occurrences(event, now=NOW)
    return event


@pytest.fixture
def programme(cast):
    return {
        "conte": make(cast, "Heure du conte", at(5, 10, 30), audience="jeunesse", age_min=3,
                      age_max=6, registration_required=True, capacity=2,
                      max_places_per_registration=2),
        "atelier": make(cast, "Atelier robotique", at(9, 14), category="numerique",
                        audience="jeunesse", age_min=8, age_max=12),
        "concert": make(cast, "Concert de Noël", at(6, 17), library=cast.library_b,
                        category="concert", is_free=False, price="5 €"),
        "club": make(cast, "Club lecture", at(17, 18, month=1).replace(year=2027),
                     audience="adultes", category="club_lecture"),
    }  # fmt: skip


def titles(response) -> list[str]:
    return re.findall(r'class="event-title"><a href="[^"]+">([^<]+)</a>', response.text)


def test_agenda_lists_dates_to_come_by_day(client, programme):
    response = client.get(reverse("agenda:agenda"))
    assert response.status_code == 200
    assert titles(response) == [
        "Heure du conte",
        "Concert de Noël",
        "Atelier robotique",
        "Club lecture",
    ]
    assert "Samedi 5 décembre 2026" in response.text


@pytest.mark.parametrize(
    "query, expected",
    [
        ("quand=week-end", ["Heure du conte", "Concert de Noël"]),
        ("quand=week-end&commune=69029", ["Heure du conte"]),
        ("age=4", ["Heure du conte", "Concert de Noël"]),
        ("age=10&public=jeunesse", ["Atelier robotique"]),
        ("gratuit=on&quand=semaine", ["Heure du conte", "Atelier robotique"][:1]),
        ("categorie=club_lecture", ["Club lecture"]),
        ("bibliotheque=venissieux", ["Concert de Noël"]),
        ("du=2026-12-07&au=2026-12-31", ["Atelier robotique"]),
        ("q=robot", ["Atelier robotique"]),
        (
            "commune=00000&quand=nimporte",
            ["Heure du conte", "Concert de Noël", "Atelier robotique", "Club lecture"],
        ),
    ],
)
def test_filters_combine_and_stay_in_links(client, programme, query, expected):
    response = client.get(f"{reverse('agenda:agenda')}?{query}")
    assert titles(response) == expected


def test_places_filter_drops_full_and_cancelled_dates(client, cast, programme):
    occurrence = programme["conte"].occurrences.get()
    services.register_for_occurrence(
        occurrence.pk, name="A", email="a@example.org", places=2, now=NOW
    )
    services.cancel_occurrence(programme["atelier"].occurrences.get(), actor=cast.editor_a)
    response = client.get(reverse("agenda:agenda") + "?places=on")
    assert titles(response) == ["Concert de Noël", "Club lecture"]
    everything = client.get(reverse("agenda:agenda"))
    assert "Complet" in everything.text and "Annulé" in everything.text


def test_unpublished_events_are_not_shown(client, programme):
    programme["club"].published = False
    programme["club"].save()
    assert "Club lecture" not in titles(client.get(reverse("agenda:agenda")))
    occurrence = programme["club"].occurrences.get()
    assert client.get(occurrence.get_absolute_url()).status_code == 404


def test_calendar_view_shows_the_month_with_filters(client, programme):
    response = client.get(reverse("agenda:agenda") + "?vue=calendrier&mois=2026-12&commune=69029")
    assert response.status_code == 200
    assert "Décembre 2026" in response.text
    assert "Heure du conte" in response.text and "Concert de Noël" not in response.text
    assert "mois=2027-01" in response.text and "mois=2026-11" in response.text


def test_occurrence_page_describes_the_event_with_jsonld(client, programme):
    occurrence = programme["concert"].occurrences.get()
    response = client.get(occurrence.get_absolute_url())
    assert response.status_code == 200
    data = json.loads(re.search(r'application/ld\+json">(.*?)</script>', response.text, re.S)[1])
    assert data["@type"] == "Event"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["startDate"] == "2026-12-06T17:00:00+01:00"
    assert data["location"]["address"]["addressLocality"] == "Vénissieux"
    assert data["isAccessibleForFree"] is False
    assert "Entrée libre" in response.text


def test_moved_and_cancelled_dates_say_so_in_page_and_jsonld(client, cast, programme):
    occurrence = programme["atelier"].occurrences.get()
    services.move_occurrence(
        occurrence,
        starts_at=at(10, 15),
        ends_at=at(10, 16),
        actor=cast.editor_a,
        note="Salle changée.",
    )
    response = client.get(occurrence.get_absolute_url())
    assert "Horaire modifié" in response.text and "Salle changée." in response.text
    assert '"eventStatus": "https://schema.org/EventRescheduled"' in response.text
    assert '"previousStartDate": "2026-12-09T14:00:00+01:00"' in response.text
    services.cancel_occurrence(occurrence, actor=cast.editor_a)
    response = client.get(occurrence.get_absolute_url())
    assert "Cette date est annulée." in response.text
    assert "https://schema.org/EventCancelled" in response.text


def test_register_from_the_page_then_cancel_from_the_emailed_link(
    client, programme, django_capture_on_commit_callbacks
):
    occurrence = programme["conte"].occurrences.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            occurrence.get_absolute_url(),
            {"name": "Léa Martin", "email": "lea@example.org", "places": "2"},
        )
    assert response.status_code == 302
    link = re.search(r"https?://\S+/agenda/inscription/\S+/", mail.outbox[0].body)[0]
    assert response["Location"] == link.split("testserver", 1)[-1].replace(
        "http://127.0.0.1:8000", ""
    )
    page = client.get(response["Location"])
    assert "Inscription confirmée" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"action": "annuler"})
    assert Registration.objects.get().status == Registration.Status.CANCELLED
    assert "Inscription annulée" in client.get(response["Location"]).text
    assert mail.outbox[-1].subject.startswith("Inscription annulée")


def test_registration_errors_come_back_in_french(client, programme):
    occurrence = programme["conte"].occurrences.get()
    response = client.post(
        occurrence.get_absolute_url(), {"name": "", "email": "pas-une-adresse", "places": "9"}
    )
    assert response.status_code == 400
    assert "Saisissez une adresse de courriel valide." in html.unescape(response.text)
    assert Registration.objects.count() == 0


def test_a_forged_link_is_refused_politely(client):
    response = client.get(reverse("agenda:registration", args=["pas-un-jeton"]))
    assert response.status_code == 410
    assert "n'est pas valide" in html.unescape(response.text)


def test_occurrence_ics_and_filtered_feeds(client, programme):
    occurrence = programme["conte"].occurrences.get()
    body = client.get(reverse("agenda:occurrence_ics", args=[occurrence.pk])).content
    calendar = icalendar.Calendar.from_ical(body)
    (vevent,) = calendar.walk("VEVENT")
    assert vevent["summary"] == "Heure du conte"
    assert vevent["dtstart"].dt == at(5, 10, 30)
    assert calendar.walk("VTIMEZONE")[0]["tzid"] == "Europe/Paris"

    feed = client.get(reverse("agenda:feed_ics") + "?quand=week-end")
    assert feed["Content-Type"].startswith("text/calendar")
    summaries = [
        str(e["summary"]) for e in icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    ]
    assert summaries == ["Heure du conte", "Concert de Noël"]

    rss = etree.fromstring(client.get(reverse("agenda:feed_rss") + "?commune=69259").content)
    assert [t.text for t in rss.iterfind(".//item/title")] == ["Concert de Noël — 06/12/2026 17:00"]


def test_event_at_an_outside_place_is_filtered_by_that_commune(client, cast):
    commune = CommuneFactory(insee_code="69123", name="Lyon")
    make(cast, "Lecture au parc", at(12, 15), site=None, place_name="Parc de la Tête d'Or",
         place_commune=commune)  # fmt: skip
    assert titles(client.get(reverse("agenda:agenda") + "?commune=69123")) == ["Lecture au parc"]


def test_agenda_page_query_count_does_not_grow_with_results(
    client, cast, django_assert_max_num_queries
):
    for n in range(15):
        make(cast, f"Atelier {n}", at(5 + n % 20, 10), site=SiteFactory(library=cast.library_a))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("agenda:agenda") + "?quand=mois&gratuit=on")
    assert len(titles(response)) == 15
    assert Occurrence.objects.count() == 15


def test_calendar_lists_an_exhibition_running_through_the_month(client, cast):
    start = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
    event = EventFactory(
        library=cast.library_a, site=cast.site_a, title="Exposition Chemins nocturnes",
        category="exposition", starts_at=start, ends_at=at(20, 18),
    )  # fmt: skip
    services.sync_occurrences(event, now=NOW)
    response = client.get(reverse("agenda:agenda") + "?vue=calendrier&mois=2026-12")
    assert "Sur plusieurs jours" in response.text
    assert "Exposition Chemins nocturnes</a>, du 20 novembre au 20 décembre 2026" in response.text
    listing = client.get(reverse("agenda:agenda"))
    assert "Du 20 novembre au 20 décembre 2026" in re.sub(r"<[^>]+>", "", listing.text)
