"""iCalendar in and out: real feeds from calendar programs, and the round trip."""

from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from agenda import ical, services
from agenda.models import TZ, Event, Occurrence, Registration
from connectors.models import Connector, HarvestRun, RunStatus
from tests.factories import EventFactory

DATA = Path(__file__).resolve().parents[1] / "data" / "ical"


def feed(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def connector(cast):
    return Connector.objects.create(
        library=cast.library_a,
        name="Agenda de la médiathèque",
        driver="ical",
        settings={"base_url": "https://agenda.example.org/agenda.ics"},
    )


def local(occurrence) -> tuple:
    return occurrence.starts_at.astimezone(TZ).replace(tzinfo=None), occurrence.status


def dates(event) -> list[tuple]:
    return [local(o) for o in event.occurrences.order_by("original_start")]


def test_a_cancelled_instance_of_a_rule_stays_as_a_cancelled_date(connector):
    # Thunderbird: a daily rule of three, the second cancelled by a RECURRENCE-ID instance.
    result = ical.import_calendar(
        feed("rie_issue_18_cancel_status.ics"),
        connector=connector,
        now=datetime(2020, 1, 27, tzinfo=TZ),
    )
    assert (result.created, result.updated, result.skipped) == (1, 0, [])
    event = Event.objects.get(source_uid="b65c2b5b-b785-4edc-9560-e0379036d1f2")
    assert event.title == "one is cancelled"
    assert event.rrule == "FREQ=DAILY;COUNT=3"
    assert dates(event) == [
        (datetime(2020, 1, 28, 22), Occurrence.Status.SCHEDULED),
        (datetime(2020, 1, 29, 22), Occurrence.Status.CANCELLED),
        (datetime(2020, 1, 30, 22), Occurrence.Status.SCHEDULED),
    ]


def test_a_moved_instance_keeps_its_identity_and_is_marked_moved(connector):
    # Google Calendar: "last Friday of the month", the December one moved two weeks earlier.
    ical.import_calendar(
        feed("rie_issue_62_moved_event.ics"),
        connector=connector,
        now=datetime(2021, 11, 20, tzinfo=TZ),
    )
    event = Event.objects.get()
    moved = event.occurrences.get(status=Occurrence.Status.MOVED)
    assert moved.original_start == datetime(2021, 12, 31, 21, 30, tzinfo=TZ)
    assert moved.starts_at == datetime(2021, 12, 17, 21, 30, tzinfo=TZ)
    assert event.occurrences.filter(
        original_start=datetime(2022, 1, 28, 21, 30, tzinfo=TZ)
    ).exists()


def test_exdate_removes_a_week_across_a_time_zone_given_in_utc(connector):
    # Nextcloud (SabreDAV): weekly x8 at 00:30 Berlin time, one week excluded by an EXDATE in UTC.
    ical.import_calendar(
        feed("rie_each_week_but_one_deleted.ics"),
        connector=connector,
        now=datetime(2019, 3, 1, tzinfo=TZ),
    )
    event = Event.objects.get()
    starts = [d for d, _ in dates(event)]
    assert len(starts) == 7
    assert datetime(2019, 3, 11, 0, 30) not in starts
    assert starts[0] == datetime(2019, 3, 4, 0, 30) and starts[-1] == datetime(2019, 4, 22, 0, 30)


def test_a_feed_in_another_time_zone_keeps_its_local_hours_across_its_own_dst(connector):
    # America/Chicago: US and European clock changes fall on different weeks; every date
    # must stay at its Chicago hour, whatever Paris does.
    ical.import_calendar(
        feed("rie_issue_48_dst.ics"), connector=connector, now=datetime(2020, 11, 1, tzinfo=TZ)
    )
    chicago = icalendar.Calendar.from_ical(feed("rie_issue_48_dst.ics"))
    masters = {str(v["uid"]): v for v in chicago.walk("VEVENT") if "rrule" in v}
    checked = 0
    for event in Event.objects.filter(source_uid__in=masters):
        checked += event.occurrences.filter(starts_at__month=3).count()
        hour = masters[event.source_uid]["dtstart"].dt.hour
        hours = {o.starts_at.astimezone(masters[event.source_uid]["dtstart"].dt.tzinfo).hour
                 for o in event.occurrences.all()}  # fmt: skip
        assert hours <= {hour}, event.title  # empty for a rule over before the window
    assert checked  # the weeks of March when Chicago and Paris differ by 5 hours, not 6


def test_an_event_without_end_lasts_nothing_rather_than_failing(connector):
    result = ical.import_calendar(
        feed("rie_discourse_no_dtend.ics"), connector=connector, now=datetime(2019, 1, 1, tzinfo=TZ)
    )
    assert result.created == 4 and not result.skipped
    assert Occurrence.objects.filter(ends_at__lt=models_f("starts_at")).count() == 0


def models_f(name):
    from django.db.models import F

    return F(name)


@pytest.mark.parametrize(
    "name, message",
    [
        ("icalendar_parsing_error.ics", "la propriété EXDATE est illisible"),
        ("rie_bad_rrule_missing_until_event.ics", "Les répétitions du calendrier sont illisibles"),
        ("icalendar_bom_calendar.ics", None),
    ],
)
def test_a_bad_feed_gives_a_clear_error_and_changes_nothing(connector, name, message):
    ical.import_calendar(feed("rie_issue_18_cancel_status.ics"), connector=connector,
                         now=datetime(2020, 1, 27, tzinfo=TZ))  # fmt: skip
    before = list(Occurrence.objects.values_list("pk", "starts_at", "status"))
    if message is None:  # an empty calendar (with a BOM) is readable: it removes the events
        result = ical.import_calendar(
            feed(name), connector=connector, now=datetime(2020, 1, 27, tzinfo=TZ)
        )
        assert result.gone == 1
        return
    with pytest.raises(ical.ICalError, match=message):
        ical.import_calendar(feed(name), connector=connector, now=datetime(2020, 1, 27, tzinfo=TZ))
    assert list(Occurrence.objects.values_list("pk", "starts_at", "status")) == before
    assert Event.objects.get().cancelled is False


@pytest.mark.parametrize(
    "data", [b"", b"<html>503 Service Unavailable</html>", b"BEGIN:VCALENDAR\nBEGIN:VEVENT\n"]
)
def test_what_is_not_a_calendar_is_refused_in_french(connector, data):
    with pytest.raises(ical.ICalError) as error:
        ical.import_calendar(data, connector=connector)
    assert error.value.message.startswith(
        ("Le flux est vide", "Ce n'est pas un calendrier", "Le calendrier")
    )


def test_uid_based_updates_and_cancellation_of_a_whole_series(connector):
    now = datetime(2026, 12, 1, tzinfo=TZ)
    first = ical_text("Club lecture", "FREQ=MONTHLY;BYDAY=1SA;COUNT=3")
    ical.import_calendar(first, connector=connector, now=now)
    event = Event.objects.get()
    occurrence = event.occurrences.order_by("starts_at").first()
    occurrence_id = occurrence.pk
    # A registration made on the portal survives the next import of the same date.
    event.registration_required, event.capacity = True, 10
    event.save()
    services.sync_occurrences(event, now=now)
    registration = services.register_for_occurrence(
        occurrence_id, name="Léa", email="lea@example.org", now=now
    )
    renamed = ical_text("Club lecture du samedi", "FREQ=MONTHLY;BYDAY=1SA;COUNT=3")
    result = ical.import_calendar(renamed, connector=connector, now=now)
    assert (result.created, result.updated) == (0, 1)
    event.refresh_from_db()
    assert event.title == "Club lecture du samedi"
    assert event.occurrences.filter(pk=occurrence_id).exists()
    assert Registration.objects.get(pk=registration.pk).status == Registration.Status.CONFIRMED

    ical.import_calendar(ical_text("Club lecture du samedi", "FREQ=MONTHLY;BYDAY=1SA;COUNT=3",
                                   status="CANCELLED"), connector=connector, now=now)  # fmt: skip
    event.refresh_from_db()
    assert event.cancelled
    assert set(event.occurrences.values_list("status", flat=True)) == {Occurrence.Status.CANCELLED}


def test_an_event_removed_from_the_feed_is_cancelled(connector):
    now = datetime(2026, 12, 1, tzinfo=TZ)
    ical.import_calendar(ical_text("Atelier", "FREQ=WEEKLY;COUNT=2"), connector=connector, now=now)
    result = ical.import_calendar(EMPTY_CALENDAR, connector=connector, now=now)
    assert result.gone == 1
    assert Event.objects.get().cancelled


def test_the_import_is_recorded_as_a_run_staff_can_read(connector):
    run = ical.import_connector(connector, data=ical_text("Atelier", "FREQ=WEEKLY;COUNT=2"),
                                now=datetime(2026, 12, 1, tzinfo=TZ))  # fmt: skip
    assert (run.status, run.read, run.created) == (RunStatus.COMPLETED, 1, 1)
    failed = ical.import_connector(connector, data=b"rien", now=datetime(2026, 12, 1, tzinfo=TZ))
    assert failed.status == RunStatus.FAILED
    assert "Ce n'est pas un calendrier" in failed.error
    connector.refresh_from_db()
    assert connector.consecutive_failures == 1
    assert HarvestRun.objects.filter(connector=connector).count() == 2


def test_round_trip_export_then_import_gives_the_same_dates(cast, connector):
    # A weekly story time, one excluded day, one extra date with its own length, one date
    # moved and one cancelled by staff: exported, then read back by the importer.
    now = datetime(2026, 12, 1, tzinfo=TZ)
    start = datetime(2026, 12, 2, 10, 30, tzinfo=TZ)
    event = EventFactory(
        library=cast.library_a, site=cast.site_a, title="Heure du conte",
        starts_at=start, ends_at=start + timedelta(minutes=45),
        rrule="FREQ=WEEKLY;BYDAY=WE;UNTIL=20270331T215959Z",
        excluded_dates=["2026-12-23"],
    )  # fmt: skip
    event.extra_dates.create(
        starts_at=datetime(2026, 12, 19, 15, 0, tzinfo=TZ),
        ends_at=datetime(2026, 12, 19, 17, 0, tzinfo=TZ),
    )
    services.sync_occurrences(event, now=now)
    occurrences = list(event.occurrences.order_by("original_start"))
    moved, cancelled = occurrences[2], occurrences[5]
    day = timedelta(days=1)
    services.move_occurrence(
        moved, starts_at=moved.starts_at + day, ends_at=moved.ends_at + day, actor=cast.editor_a
    )
    services.cancel_occurrence(cancelled, actor=cast.editor_a)
    expected = [
        (o.original_start, o.starts_at, o.ends_at, o.status)
        for o in event.occurrences.order_by("original_start")
    ]

    exported = ical.event_to_ical(event, base_url="https://metrobib.example")
    ical.import_calendar(exported, connector=connector, now=now)

    imported = Event.objects.get(source_connector=connector)
    assert imported.title == "Heure du conte"
    assert icalendar.vRecur.from_ical(imported.rrule) == icalendar.vRecur.from_ical(event.rrule)
    assert [
        (o.original_start, o.starts_at, o.ends_at, o.status)
        for o in imported.occurrences.order_by("original_start")
    ] == expected


EMPTY_CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\nEND:VCALENDAR\r\n"


def ical_text(summary: str, rule: str, status: str = "CONFIRMED") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bibliothèque témoin//FR\r\n"
        "BEGIN:VEVENT\r\nUID:club-lecture@bibliotheque.example\r\nDTSTAMP:20261101T090000Z\r\n"
        f"SUMMARY:{summary}\r\nSTATUS:{status}\r\n"
        "DTSTART;TZID=Europe/Paris:20261205T103000\r\nDTEND;TZID=Europe/Paris:20261205T120000\r\n"
        f"RRULE:{rule}\r\nLOCATION:Médiathèque\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_imported_fields_category_summary_and_place(cast, connector):
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\n"
        "BEGIN:VEVENT\r\nUID:a@bibliotheque.example\r\nDTSTAMP:20261101T090000Z\r\n"
        "SUMMARY:Club lecture\r\nDTSTART;TZID=Europe/Paris:20261205T103000\r\n"
        "DTEND;TZID=Europe/Paris:20261205T120000\r\n"
        f"LOCATION:{cast.site_a.name}\\, salle du conte\r\n"
        "DESCRIPTION:Les coups de cœur du mois.\\n\\nApportez vos livres.\r\n"
        "END:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b@bibliotheque.example\r\nDTSTAMP:20261101T090000Z\r\n"
        "SUMMARY:Lecture au parc\r\nDTSTART;TZID=Europe/Paris:20261206T150000\r\n"
        "LOCATION:Parc de Parilly\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    ical.import_calendar(data, connector=connector, now=datetime(2026, 12, 1, tzinfo=TZ))
    club = Event.objects.get(source_uid="a@bibliotheque.example")
    assert (club.category, club.site, club.place_name) == ("club_lecture", cast.site_a, "")
    assert club.summary == "Les coups de cœur du mois."
    assert club.description == "<p>Apportez vos livres.</p>"
    park = Event.objects.get(source_uid="b@bibliotheque.example")
    assert (park.category, park.site, park.place_name) == ("conte", None, "Parc de Parilly")
