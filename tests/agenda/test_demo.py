"""The demo agenda `make run` loads: idempotent, spread over the network, the story time
of the issue (places left, a full date with a waiting list, no date in the school
holidays) and a small town's iCalendar feed with a cancelled and a moved meeting.

Most tests load it on a fixed day, so that the feed's dates (written in a static file)
and the school holidays they meet are always the same; one loads it today."""

import csv
import io
import json
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from agenda import demo, views
from agenda.models import TZ, Event, EventDate, NetworkOperation, Occurrence, Registration
from connectors.models import HarvestRun, RunStatus, Schedule
from network.demo import DEMO_DIR, MERGED_COMMUNES, load_communes
from network.models import Library
from network.services import import_sites
from tests.factories import UserFactory

# A Wednesday; the Christmas holidays of zone A run from 19 December to 3 January.
TODAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=TZ)


def demo_sites_csv() -> bytes:
    """The demo list of sites cut to the communes the demo agenda uses: each new library
    gets its Wagtail page on import, and all 57 take seconds that these tests need not
    wait for (``load_demo_network`` adds demo hours, which the agenda does not read)."""
    events = json.loads(demo.EVENTS_FILE.read_text(encoding="utf-8"))["events"]
    communes = {spec["commune"] for spec in events} | {"69068"}  # 69068: the feed's library
    communes |= {MERGED_COMMUNES[code] for code in communes if code in MERGED_COMMUNES}
    with (DEMO_DIR / "bibliotheques.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
        writer.writeheader()
        writer.writerows(r for r in reader if r["code_insee_commune_metropole"] in communes)
    return out.getvalue().encode()


@pytest.fixture
def sites(db):
    """The demo communes and the real sites the demo agenda uses."""
    load_communes()
    import_sites(demo_sites_csv())


@pytest.fixture
def network(sites):
    """The sites, and the Villeurbanne editor who takes the story time's registrations by
    phone (``load_demo`` creates the demo accounts before the agenda)."""
    villeurbanne = Library.objects.get(communes__insee_code="69266")
    return UserFactory(
        role=Role.LIBRARY_EDITOR, library=villeurbanne, username="editeur@example.org"
    )


@pytest.fixture
def load(sites, django_capture_on_commit_callbacks):
    """Load the demo agenda as a committed transaction would (e-mails included)."""

    def load(today=TODAY, now=NOW):
        with django_capture_on_commit_callbacks(execute=True):
            return demo.load_demo_agenda(today, now=now)

    return load


def rows() -> dict[str, int]:
    return {
        "events": Event.objects.count(),
        "extra dates": EventDate.objects.count(),
        "dates": Occurrence.objects.count(),
        "registrations": Registration.objects.count(),
        "operations": NetworkOperation.objects.count(),
        "tagged": Event.operations.through.objects.count(),
    }


def story_time() -> Event:
    return Event.objects.get(source_connector__isnull=True, source_uid="demo:heure-du-conte")


def test_loading_the_demo_agenda_twice_gives_the_same_rows(load, network):
    first = load()
    before = rows()
    second = load()

    assert rows() == before
    spec = json.loads(demo.EVENTS_FILE.read_text(encoding="utf-8"))
    assert first["events"] == second["events"] == len(spec["events"])
    assert first["dates"] == second["dates"] and first["registrations"] == 9
    assert first["warnings"] == second["warnings"] == []
    assert before["operations"] == 4 and before["tagged"] >= 4


def test_loading_the_demo_agenda_sends_no_email(load, network, mailoutbox):
    load()
    load()

    assert mailoutbox == []


def test_demo_events_have_dates_to_come_at_many_libraries(load, network):
    load()

    coming = Occurrence.objects.filter(
        starts_at__gt=NOW, event__source_uid__startswith=demo.UID_PREFIX
    )
    assert coming.values("event__library").distinct().count() >= 10
    assert {"69266", "69029", "69259", "69123"} <= set(
        coming.values_list("event__commune__insee_code", flat=True)
    )


def test_story_time_is_every_wednesday_until_june_except_in_school_holidays(load, network):
    load()

    event = story_time()
    assert (event.capacity, event.max_places_per_registration) == (15, 4)
    assert event.site.commune.insee_code == "69266"
    starts = [o.starts_at.astimezone(TZ) for o in event.occurrences.order_by("starts_at")]
    days = [start.date() for start in starts]
    assert days[:3] == [date(2026, 12, 9), date(2026, 12, 16), date(2027, 1, 6)]
    assert date(2026, 12, 23) not in days and date(2026, 12, 30) not in days
    assert days[-1] <= date(2027, 6, 30) < days[-1] + timedelta(days=7 * 6)
    assert {(s.weekday(), s.hour, s.minute) for s in starts} == {(2, 10, 30)}
    assert {o.capacity for o in event.occurrences.all()} == {15}


def test_story_time_shows_places_left_then_a_full_date_with_two_waiting(load, network):
    load()

    first, second = story_time().occurrences.order_by("starts_at")[:2]
    assert (first.places_left, first.is_full) == (6, False)
    assert second.is_full
    waiting = second.registrations.filter(status=Registration.Status.WAITING)
    assert waiting.count() == 2
    registrations = Registration.objects.filter(occurrence__in=[first, second])
    assert {(r.channel, r.email, r.registered_by) for r in registrations} == {
        (Registration.Channel.PHONE, "", network)
    }


def test_agenda_page_shows_the_story_times_places(load, network, client, monkeypatch):
    load()
    monkeypatch.setattr(views, "current_time", lambda: NOW)

    page = client.get("/agenda/", {"q": "Heure du conte"}).content.decode()

    assert "Heure du conte" in page
    assert "6 places restantes" in page
    assert "Complet" in page


def test_a_run_a_week_later_keeps_a_running_exhibition_and_the_dates_people_registered_for(
    load, network
):
    load()
    later = NOW + timedelta(days=7)
    load(TODAY + timedelta(days=7), later)

    exhibition = Event.objects.get(source_uid="demo:exposition-chemins-nocturnes")
    assert exhibition.occurrences.count() == 1
    dates = story_time().occurrences.all()
    assert not dates.filter(status=Occurrence.Status.CANCELLED).exists()
    assert Registration.objects.filter(occurrence__in=dates).count() == 9


def test_once_the_registered_dates_are_past_a_run_gives_the_next_ones_the_scenario(load, network):
    load()
    later = NOW + timedelta(days=21)
    load(TODAY + timedelta(days=21), later)

    coming = list(story_time().occurrences.filter(starts_at__gt=later).order_by("starts_at"))
    waiting = Registration.Status.WAITING
    assert coming[1].is_full and coming[1].registrations.filter(status=waiting).count() == 2
    assert (coming[0].places_left, coming[0].is_full) == (6, False)


def test_small_town_feed_is_imported_with_its_cancelled_and_moved_meetings(load, network):
    load()

    run = HarvestRun.objects.get(connector__driver="ical")
    assert (run.status, run.created, run.rejected) == (RunStatus.COMPLETED, 3, 0)
    assert run.connector.schedule == Schedule.MANUAL
    assert run.connector.library.communes.get().insee_code == "69068"
    club = Event.objects.get(source_connector=run.connector, rrule__startswith="FREQ=MONTHLY")
    assert club.category == "club_lecture"
    dates = {o.original_start.astimezone(TZ).date(): o for o in club.occurrences.all()}
    assert dates[date(2027, 3, 6)].status == Occurrence.Status.CANCELLED
    moved = dates[date(2027, 4, 3)]
    assert moved.status == Occurrence.Status.MOVED
    assert moved.starts_at.astimezone(TZ) == datetime(2027, 4, 10, 10, 0, tzinfo=TZ)
    assert date(2027, 1, 2) not in dates and date(2027, 5, 1) not in dates
    assert date(2027, 2, 6) in dates
    singles = Event.objects.filter(source_connector=run.connector, rrule="")
    assert singles.count() == 2

    load()
    assert Event.objects.filter(source_connector=run.connector).count() == 3
    assert HarvestRun.objects.filter(connector=run.connector).latest("pk").updated == 3


def test_demo_agenda_loaded_today_has_a_full_story_time_date_to_come(load, network):
    now = timezone.now()
    summary = load(timezone.localdate(), now)

    assert summary["warnings"] == []
    coming = story_time().occurrences.filter(starts_at__gt=now)
    assert any(o.is_full for o in coming) and any(not o.is_full for o in coming)
    libraries = Occurrence.objects.filter(
        ends_at__gt=now, event__source_uid__startswith=demo.UID_PREFIX
    ).values("event__library")
    assert libraries.distinct().count() >= 10


def test_without_library_staff_the_story_time_gets_no_registrations_and_a_warning(load, mailoutbox):
    summary = load()

    assert summary["registrations"] == 0
    assert summary["warnings"] == [
        "demo:heure-du-conte: no staff of Bibliothèques de Villeurbanne to take registrations"
    ]
    assert mailoutbox == []


def test_an_event_taken_out_of_the_file_leaves_the_agenda(load, network, monkeypatch, tmp_path):
    load()
    spec = json.loads(demo.EVENTS_FILE.read_text(encoding="utf-8"))
    spec["events"] = [e for e in spec["events"] if e["key"] != "concert-pas-si-classique"]
    shorter = tmp_path / "evenements.json"
    shorter.write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setattr(demo, "EVENTS_FILE", shorter)

    summary = load()

    assert summary["events"] == len(spec["events"])
    assert not Event.objects.get(source_uid="demo:concert-pas-si-classique").published
