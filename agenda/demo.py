"""The demo agenda loaded by ``make run``: real event texts at demo libraries, dated from
the day of loading, and a small town's own calendar imported from a synthetic feed.

``demo/agenda/evenements.json`` holds the events (texts from a real French library agenda,
the rest chosen by us: see ``demo/SOURCES.md``). Each one is found again by its
``source_uid`` ("demo:<key>", no connector), updated in place and given dates counted
from the load date, so a second run the same day changes nothing. An event in the middle
of one of its dates (an exhibition that opened last week), or with people registered for
a date to come, keeps the dates it has: moving them would leave the running date behind
as history beside the new one, or cancel dates people registered for.

The story time gets a few registrations taken by phone by its library's staff (no e-mail
is sent), so that one date shows the places left and a nearby one is full with a waiting
list. ``demo/agenda/bibliotheque-demo.ics`` is imported through an ``ical`` connector of
a small town's library, as its feed would be.
"""

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from agenda import recurrence, services
from agenda.holidays import load_school_holidays
from agenda.ical import import_connector
from agenda.models import TZ, Event, EventDate, NetworkOperation, Occurrence, Registration
from connectors.models import Connector, HarvestRun, Schedule
from network.models import Commune, Library, Site

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "agenda"
EVENTS_FILE = DEMO_DIR / "evenements.json"
FEED_FILE = DEMO_DIR / "bibliotheque-demo.ics"
UID_PREFIX = "demo:"
# The library whose own calendar the synthetic feed stands for.
FEED_SITE = "bibliotheque-municipale-couzon-au-mont-dor"
FEED_CONNECTOR = "Agenda de la bibliothèque (iCalendar, démonstration)"
FEED_URL = "https://agenda.bibliotheque.example/agenda.ics"
# Registration layouts of a series, in the order they are given to its coming dates.
LAYOUTS = ("places_left", "full")


def load_demo_agenda(today: date, *, now: datetime | None = None) -> dict:
    """Load the demo agenda; idempotent. ``now`` (the moment dates are compared with)
    defaults to the current time. Returns counts for the load summary and warnings."""
    now = now or timezone.now()
    created, updated = load_school_holidays("A")
    data = json.loads(EVENTS_FILE.read_text(encoding="utf-8"))
    warnings: list[str] = []
    demo_events = Event.objects.filter(
        source_connector__isnull=True, source_uid__startswith=UID_PREFIX
    )
    with transaction.atomic():
        operations = load_operations(data["operations"])
        for spec in data["events"]:
            event = load_event(spec, today, now, operations)
            if event is None:
                where = spec.get("site") or spec["commune"]
                warnings.append(f"{spec['key']}: no library at {where} in the network")
            elif spec.get("registrations"):
                warnings += place_registrations(event, spec["registrations"], now)
        # An event taken out of the file leaves the agenda (its registrations stay).
        keys = [UID_PREFIX + spec["key"] for spec in data["events"]]
        for event in demo_events.filter(published=True).exclude(source_uid__in=keys):
            event.published = False
            event.save(update_fields=["published"])
    run = load_demo_feed(now)
    demo_events = demo_events.filter(published=True)
    return {
        "events": demo_events.count(),
        "dates": Occurrence.objects.filter(event__in=demo_events).count(),
        "registrations": Registration.objects.filter(occurrence__event__in=demo_events).count(),
        "holidays": created + updated,
        "ical": run.summary() if run is not None else "skipped (no demo library)",
        "warnings": warnings,
    }


def load_operations(specs: list[dict]) -> dict[str, NetworkOperation]:
    operations = {}
    for spec in specs:
        operations[spec["slug"]], _ = NetworkOperation.objects.update_or_create(
            slug=spec["slug"], defaults={"name": spec["name"], "description": spec["description"]}
        )
    return operations


def load_event(spec: dict, today: date, now: datetime, operations: dict) -> Event | None:
    """Create or update one demo event and its dates; ``None`` when its place is missing."""
    site = library = commune = None
    if spec.get("site"):
        site = (
            Site.objects.select_related("library")
            .filter(slug=spec["site"], commune__insee_code=spec["commune"])
            .first()
        )
        library = site.library if site else None
    else:
        commune = Commune.objects.filter(insee_code=spec["commune"]).first()
        library = Library.objects.filter(communes=commune).order_by("pk").first()
    if library is None:
        return None
    uid = UID_PREFIX + spec["key"]
    event = Event.objects.filter(source_connector__isnull=True, source_uid=uid).first()
    event = event or Event(source_uid=uid)
    place = spec.get("place", {})
    registration = spec.get("registration")
    fields = {
        "library": library,
        "site": site,
        "place_name": place.get("name", ""),
        "place_address": place.get("address", ""),
        "place_commune": commune,
        "title": spec["title"],
        "summary": spec.get("summary", ""),
        "description": spec.get("description", ""),
        "category": spec["category"],
        "audience": spec["audience"],
        "age_min": spec.get("age_min"),
        "age_max": spec.get("age_max"),
        "is_free": spec["free"],
        "price": spec.get("price", ""),
        "registration_required": registration is not None,
        "capacity": registration["capacity"] if registration else None,
        "max_places_per_registration": registration["max_places"] if registration else 1,
        "skip_school_holidays": spec.get("skip_school_holidays", False),
        "published": True,
        "cancelled": False,
    }
    for name, value in fields.items():
        setattr(event, name, value)
    if event.pk is None or not _keeps_its_dates(event, now):
        _set_schedule(event, spec["when"], today)
    services.save_event(event)
    event.operations.set([operations[slug] for slug in spec.get("operations", [])])
    return event


def _keeps_its_dates(event: Event, now: datetime) -> bool:
    active = [Registration.Status.CONFIRMED, Registration.Status.WAITING]
    return event.occurrences.filter(
        Q(starts_at__lte=now, ends_at__gt=now)
        | Q(starts_at__gt=now, registrations__status__in=active)
    ).exists()


def _set_schedule(event: Event, when: dict, today: date) -> None:
    """Dates counted from ``today``: ``day`` (days from today, moved on to ``weekday``
    if given), ``time``, then ``minutes`` or a ``last_day`` and ``end_time`` (spans);
    ``weeks`` (weekly, that many weeks) or ``until`` "end-of-june" (weekly until the end
    of June at least four months ahead); ``also``: more dates, ``days_after`` the first."""
    first = today + timedelta(days=when["day"])
    if "weekday" in when:
        first += timedelta(days=(recurrence.WEEKDAYS.index(when["weekday"]) - first.weekday()) % 7)
    event.starts_at = _at(first, when["time"])
    if "last_day" in when:
        event.ends_at = _at(today + timedelta(days=when["last_day"]), when["end_time"])
    else:
        event.ends_at = event.starts_at + timedelta(minutes=when["minutes"])
    event.rrule = ""
    if "weeks" in when:
        until = first + timedelta(weeks=when["weeks"] - 1)
        event.rrule = recurrence.weekly_rule(event.starts_at, until)
    elif when.get("until") == "end-of-june":
        event.rrule = recurrence.weekly_rule(event.starts_at, end_of_june(today))
    event.excluded_dates = []
    existing = list(event.extra_dates.all()) if event.pk else []
    extra_dates = []
    for index, also in enumerate(when.get("also", [])):
        row = existing[index] if index < len(existing) else EventDate()
        row.starts_at = _at(first + timedelta(days=also["days_after"]), also["time"])
        row.ends_at = row.starts_at + timedelta(minutes=also["minutes"])
        extra_dates.append(row)
    event.extra_dates = extra_dates


def end_of_june(today: date) -> date:
    """The end of the school year a weekly series loaded ``today`` runs to: this June if
    it is at least four months away, next June otherwise."""
    return date(today.year if today.month < 3 else today.year + 1, 6, 30)


def _at(day: date, hour: str) -> datetime:
    hours, minutes = (int(part) for part in hour.split(":"))
    return datetime.combine(day, time(hours, minutes), TZ)


def place_registrations(event: Event, layouts: dict, now: datetime) -> list[str]:
    """Registrations by phone so that one coming date has places left and another is
    full with a waiting list. A layout already shown by a coming date is not added again;
    the others go to the first coming dates nobody registered for. Returns warnings."""
    actor = (
        User.objects.filter(library=event.library, role=Role.LIBRARY_EDITOR, is_active=True)
        .order_by("pk")
        .first()
        or User.objects.filter(library=event.library, role=Role.LIBRARY_ADMIN, is_active=True)
        .order_by("pk")
        .first()
    )
    if actor is None:
        return [f"{event.source_uid}: no staff of {event.library} to take registrations"]
    coming = list(
        event.occurrences.filter(starts_at__gt=now, status=Occurrence.Status.SCHEDULED).order_by(
            "starts_at"
        )
    )
    active = Registration.objects.exclude(status=Registration.Status.CANCELLED)
    taken = set(active.filter(occurrence__in=coming).values_list("occurrence_id", flat=True))
    waiting = set(
        active.filter(occurrence__in=coming, status=Registration.Status.WAITING).values_list(
            "occurrence_id", flat=True
        )
    )
    shown = {
        "places_left": any(o.pk in taken and not o.is_full for o in coming),
        "full": any(o.is_full and o.pk in waiting for o in coming),
    }
    free = iter(o for o in coming if o.pk not in taken)
    for layout in LAYOUTS:
        if shown[layout] or layout not in layouts:
            continue
        occurrence = next(free, None)
        if occurrence is None:
            break
        for person in layouts[layout]:
            services.register_for_occurrence(
                occurrence.pk,
                name=person["name"],
                phone=person["phone"],
                email="",
                places=person["places"],
                actor=actor,
                channel=Registration.Channel.PHONE,
                now=now,
            )
    return []


def load_demo_feed(now: datetime) -> HarvestRun | None:
    """Create the demo library's ``ical`` connector if missing (manual schedule: nothing
    fetches its placeholder address) and import the synthetic feed; the ``HarvestRun``,
    or ``None`` when the library is not in the network."""
    site = Site.objects.select_related("library").filter(slug=FEED_SITE).first()
    if site is None:
        return None
    connector = Connector.objects.filter(library=site.library, name=FEED_CONNECTOR).first()
    if connector is None:
        connector = Connector(
            library=site.library,
            name=FEED_CONNECTOR,
            driver="ical",
            schedule=Schedule.MANUAL,
            settings={"base_url": FEED_URL, "default_site": site.slug},
        )
        connector.clean()
        connector.save()
    return import_connector(connector, data=FEED_FILE.read_bytes(), now=now)
