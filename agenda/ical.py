"""iCalendar (RFC 5545) in and out of the agenda.

Out: a filtered view as one VEVENT per date (what a town's website embeds), and one
event as its master VEVENT (RRULE, EXDATE) with a RECURRENCE-ID instance for each date
moved or cancelled, so that reading it back gives the same dates.

In: a library's own feed. Recurrences, exceptions, moved and cancelled instances and
time zones are expanded by ``recurring-ical-events`` (which follows RFC 5545 and the
quirks of real calendar programs) over a window; each VEVENT UID is one event, updated
in place on the next import. A feed that cannot be read raises :class:`ICalError` before
anything is written; the import of a readable feed is one transaction.
"""

import html
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import icalendar
import recurring_ical_events
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags

from agenda import recurrence
from agenda.models import TZ, Category, Event, Occurrence
from agenda.services import sync_occurrences

log = logging.getLogger(__name__)

PRODID = "-//Métrobib//Agenda des bibliothèques de la Métropole de Lyon//FR"
# What an import expands: a little of the past (today's dates), a year and more ahead.
WINDOW_BEFORE = timedelta(days=1)
WINDOW_AFTER = recurrence.OPEN_ENDED_HORIZON
MAX_EVENTS = 5000

STATUS_OUT = {
    Occurrence.Status.SCHEDULED: "CONFIRMED",
    Occurrence.Status.MOVED: "CONFIRMED",
    Occurrence.Status.CANCELLED: "CANCELLED",
}
# Words of a feed's CATEGORIES or SUMMARY that say what kind of event it is.
CATEGORY_WORDS = [
    # Before story times: "club lecture" is a book club, not a reading.
    (Category.BOOK_CLUB, ("club",)),
    (Category.STORY_TIME, ("conte", "lecture", "histoire", "bébé", "bebe", "kamishibai")),
    (Category.WORKSHOP, ("atelier",)),
    (Category.DIGITAL, ("numérique", "numerique", "jeu vidéo", "informatique", "robot")),
    (Category.EXHIBITION, ("exposition", "expo")),
    (Category.SHOW, ("spectacle", "théâtre", "theatre")),
    (Category.CONCERT, ("concert", "musique")),
    (Category.SCREENING, ("projection", "cinéma", "cinema", "film")),
    (Category.GAMES, ("jeux", "jeu ")),
    (Category.MEETING, ("rencontre", "conférence", "conference", "débat", "dédicace")),
    (Category.VISIT, ("visite",)),
    (Category.TRAINING, ("formation",)),
]


class ICalError(ValueError):
    """A feed that cannot be imported; ``message`` is French, for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------------- out


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    return calendar


def _local(moment: datetime) -> datetime:
    return moment.astimezone(TZ)


def _describe(vevent: icalendar.Event, event: Event, url: str) -> None:
    vevent.add("summary", event.title)
    text = event.summary or strip_tags(html.unescape(event.description or ""))
    vevent.add("description", f"{text}\n\n{url}".strip())
    vevent.add("url", url)
    location = event.place_label
    if event.site_id:
        site = event.site
        location = f"{site.name}, {site.address}, {site.postcode} {site.commune.name}"
    elif event.place_address:
        location = f"{event.place_name}, {event.place_address}".strip(", ")
    if location:
        vevent.add("location", location)
    vevent.add("categories", [event.get_category_display()])
    vevent.add("organizer", f"mailto:{event.library.email}" if event.library.email else "")
    if not event.library.email:
        del vevent["organizer"]


def occurrences_to_ical(occurrences, *, name: str, base_url: str) -> bytes:
    """A calendar of dates (a filtered view), one VEVENT per date."""
    calendar = _calendar(name)
    stamp = timezone.now()
    for occurrence in occurrences:
        event = occurrence.event
        vevent = icalendar.Event()
        vevent.add("uid", f"date-{occurrence.pk}@{_host(base_url)}")
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", _local(occurrence.starts_at))
        vevent.add("dtend", _local(occurrence.ends_at))
        vevent.add("status", STATUS_OUT[occurrence.status])
        _describe(vevent, event, base_url + occurrence.get_absolute_url())
        calendar.add_component(vevent)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_to_ical(event: Event, *, base_url: str) -> bytes:
    """One event as RFC 5545 says a recurring event is: the master VEVENT with its rule,
    the dates the rule gives that are not held as EXDATE, other dates as RDATE, and a
    RECURRENCE-ID instance for each date moved or cancelled."""
    calendar = _calendar(event.title)
    stamp = timezone.now()
    uid = event.source_uid or f"evenement-{event.pk}@{_host(base_url)}"
    occurrences = list(event.occurrences.order_by("original_start"))
    held = {o.original_start for o in occurrences}
    url = base_url + (occurrences[0].get_absolute_url() if occurrences else "/agenda/")
    master = icalendar.Event()
    master.add("uid", uid)
    master.add("dtstamp", stamp)
    master.add("dtstart", _local(event.starts_at))
    master.add("dtend", _local(event.ends_at))
    if event.cancelled:
        master.add("status", "CANCELLED")
    _describe(master, event, url)
    # The rule's own dates (no exclusions): those not held are EXDATEs, held dates
    # the rule does not give are RDATEs.
    last = max(held, default=event.starts_at)
    ruled = {
        slot.original_start
        for slot in recurrence.expand(
            starts_at=event.starts_at, ends_at=event.ends_at, rule=event.rrule, now=last
        )
    }
    if event.rrule:
        master.add("rrule", icalendar.vRecur.from_ical(event.rrule))
    for start in sorted(ruled - held):
        if start <= last:
            master.add("exdate", _local(start))
    for start in sorted(held - ruled):
        master.add("rdate", _local(start))
    calendar.add_component(master)
    for occurrence in occurrences:
        moved = occurrence.starts_at != occurrence.original_start or (
            occurrence.ends_at - occurrence.starts_at != event.ends_at - event.starts_at
        )
        if not (moved or occurrence.is_cancelled) or event.cancelled:
            continue
        instance = icalendar.Event()
        instance.add("uid", uid)
        instance.add("dtstamp", stamp)
        instance.add("recurrence-id", _local(occurrence.original_start))
        instance.add("dtstart", _local(occurrence.starts_at))
        instance.add("dtend", _local(occurrence.ends_at))
        instance.add("status", STATUS_OUT[occurrence.status])
        _describe(instance, event, base_url + occurrence.get_absolute_url())
        calendar.add_component(instance)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _host(base_url: str) -> str:
    return re.sub(r"^https?://", "", base_url or settings.SITE_URL).split("/")[0] or "metrobib"


# -------------------------------------------------------------------------- in


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    cancelled: int = 0  # series the feed says are cancelled
    gone: int = 0  # events of earlier imports no longer in the feed, cancelled
    dates: int = 0  # dates created
    skipped: list[str] = field(default_factory=list)  # UIDs with the reason, in French

    def summary(self) -> str:
        text = (
            f"{self.created} événement(s) créé(s), {self.updated} mis à jour, "
            f"{self.cancelled + self.gone} annulé(s), {self.dates} date(s) ajoutée(s)"
        )
        if self.skipped:
            text += f", {len(self.skipped)} ignoré(s)"
        return text


@dataclass
class _Incoming:
    uid: str
    master: icalendar.Event
    instances: list[icalendar.Event]


def parse_feed(data: bytes) -> icalendar.Calendar:
    """The feed as a calendar, or :class:`ICalError` saying why not."""
    if not data or not data.strip():
        raise ICalError("Le flux est vide.")
    text = data.decode("utf-8-sig", errors="replace")
    if "BEGIN:VCALENDAR" not in text.upper():
        raise ICalError(
            "Ce n'est pas un calendrier iCalendar (.ics) : « BEGIN:VCALENDAR » est absent."
        )
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError) as error:
        raise ICalError(f"Le calendrier iCalendar est illisible : {error}") from error
    if calendar.errors:
        raise ICalError(f"Le calendrier iCalendar est illisible : {calendar.errors[0]}")
    for component in calendar.walk():
        for name, problem in getattr(component, "errors", []):
            what = str(component.get("summary", "")) or str(component.get("uid", "")) or "?"
            raise ICalError(
                f"Le calendrier iCalendar contient une erreur dans « {what} » : "
                f"la propriété {name} est illisible ({problem})."
            )
    return calendar


def import_calendar(
    data: bytes, *, connector, default_site=None, now: datetime | None = None
) -> ImportResult:
    """Create or update the connector's events from the feed ``data``.

    Each UID is one event (its master VEVENT; RECURRENCE-ID instances move or cancel one
    date). Dates are expanded over a window from yesterday to
    :data:`agenda.recurrence.OPEN_ENDED_HORIZON` ahead. Events of earlier imports missing
    from the feed are cancelled (their registrants told). Nothing is written when the
    feed cannot be read (:class:`ICalError`)."""
    now = now or timezone.now()
    calendar = parse_feed(data)
    incoming = _group(calendar)
    if len(incoming) > MAX_EVENTS:
        raise ICalError(f"Le flux compte {len(incoming)} événements : {MAX_EVENTS} au plus.")
    begin, end = now - WINDOW_BEFORE, now + WINDOW_AFTER
    try:
        expanded = recurring_ical_events.of(calendar).between(begin, end)
    except Exception as error:  # the library raises many types for broken rules
        raise ICalError(f"Les répétitions du calendrier sont illisibles : {error}") from error
    dates_by_uid: dict[str, list[icalendar.Event]] = defaultdict(list)
    for component in expanded:
        dates_by_uid[str(component.get("uid", ""))].append(component)
    result = ImportResult()
    with transaction.atomic():
        seen = set()
        for item in incoming.values():
            try:
                fields = _event_fields(item.master, default_site, connector)
            except ICalError as error:
                result.skipped.append(f"{item.uid} : {error.message}")
                continue
            seen.add(item.uid)
            event = Event.objects.filter(source_connector=connector, source_uid=item.uid).first()
            created = event is None
            if created:
                event = Event(
                    source_connector=connector, source_uid=item.uid, library=connector.library
                )
            for name, value in fields.items():
                setattr(event, name, value)
            event.save()
            slots, overrides = _slots(dates_by_uid.get(item.uid, []))
            sync = sync_occurrences(event, slots, overrides=overrides, now=now)
            result.dates += sync.created
            if created:
                result.created += 1
            else:
                result.updated += 1
            if event.cancelled:
                result.cancelled += 1
        gone = Event.objects.filter(source_connector=connector, cancelled=False).exclude(
            source_uid__in=seen
        )
        for event in gone:
            event.cancelled = True
            event.save(update_fields=["cancelled"])
            sync_occurrences(event, [], now=now)
            result.gone += 1
    log.info("calendar import for connector %s: %s", connector.pk, result.summary())
    return result


def _group(calendar: icalendar.Calendar) -> dict[str, _Incoming]:
    incoming: dict[str, _Incoming] = {}
    orphans: dict[str, list[icalendar.Event]] = defaultdict(list)
    for vevent in calendar.walk("VEVENT"):
        uid = str(vevent.get("uid", "")).strip()
        if not uid:
            # RFC 5545 requires a UID; without one an event cannot be updated later, so
            # one is derived from what identifies it in the feed.
            start = vevent.get("dtstart")
            uid = (
                f"sans-uid-{vevent.get('summary', '')}-{start.to_ical().decode() if start else ''}"
            )
        if vevent.get("recurrence-id") is not None:
            orphans[uid].append(vevent)
        elif uid not in incoming:
            incoming[uid] = _Incoming(uid, vevent, [])
    for uid, instances in orphans.items():
        if uid in incoming:
            incoming[uid].instances = instances
        else:
            # Instances without their master (a feed cut by date): the first stands for it.
            incoming[uid] = _Incoming(uid, instances[0], instances[1:])
    return incoming


def _as_datetime(value, *, end: bool = False) -> datetime:
    """An iCalendar DATE or DATE-TIME as an aware datetime; floating times are Paris time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=TZ)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), TZ)
    raise ICalError("Date illisible.")


def _event_fields(vevent: icalendar.Event, default_site, connector) -> dict:
    title = str(vevent.get("summary", "")).strip()
    if not title:
        raise ICalError("événement sans titre (SUMMARY)")
    dtstart = vevent.get("dtstart")
    if dtstart is None:
        raise ICalError("événement sans date de début (DTSTART)")
    starts_at = _as_datetime(dtstart.dt)
    ends_at = _end_of(vevent, starts_at)
    description = str(vevent.get("description", "")).strip()
    location = str(vevent.get("location", "")).strip()
    named = _site_named(location, connector.library)
    rrule = vevent.get("rrule")
    exdates = []
    for exdate in (
        vevent.get("exdate", [])
        if isinstance(vevent.get("exdate"), list)
        else [vevent.get("exdate")]
    ):
        if exdate is not None:
            exdates += [_as_datetime(d.dt).astimezone(TZ).date().isoformat() for d in exdate.dts]
    categories = " ".join(
        str(c) for cats in _as_list(vevent.get("categories")) for c in getattr(cats, "cats", [cats])
    )
    summary, rest = _split_summary(description)
    return {
        "title": title[:200],
        "summary": summary,
        "description": _paragraphs(rest),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "rrule": rrule.to_ical().decode() if rrule is not None else "",
        "excluded_dates": exdates,
        "site": named or default_site,
        # A location naming one of the library's sites is that site; otherwise it is an
        # outside place, kept as the feed wrote it.
        "place_name": "" if named else location[:200],
        "category": _category(f"{categories} {title}"),
        "cancelled": str(vevent.get("status", "")).upper() == "CANCELLED",
        "published": True,
    }


def _end_of(vevent, starts_at: datetime) -> datetime:
    if vevent.get("dtend") is not None:
        ends_at = _as_datetime(vevent.get("dtend").dt)
    elif vevent.get("duration") is not None:
        ends_at = starts_at + vevent.get("duration").dt
    elif not isinstance(vevent.get("dtstart").dt, datetime):
        ends_at = starts_at + timedelta(days=1)  # an all-day event without an end
    else:
        ends_at = starts_at
    return max(ends_at, starts_at)


def _slots(components) -> tuple[list[recurrence.Slot], dict]:
    slots, overrides = [], {}
    for component in components:
        starts_at = _as_datetime(component.get("dtstart").dt).astimezone(TZ)
        ends_at = _end_of(component, starts_at).astimezone(TZ)
        recurrence_id = component.get("recurrence-id")
        original = _as_datetime(recurrence_id.dt).astimezone(TZ) if recurrence_id else starts_at
        slots.append(recurrence.Slot(original, starts_at, ends_at))
        if str(component.get("status", "")).upper() == "CANCELLED":
            overrides[original] = (Occurrence.Status.CANCELLED, starts_at, ends_at)
        elif starts_at != original:
            overrides[original] = (Occurrence.Status.MOVED, starts_at, ends_at)
        else:
            overrides[original] = (Occurrence.Status.SCHEDULED, starts_at, ends_at)
    return slots, overrides


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _site_named(location: str, library):
    if not location:
        return None
    for site in library.sites.all():
        if site.name.casefold() in location.casefold():
            return site
    return None


def _category(text: str) -> str:
    lowered = f" {text.casefold()} "
    for category, words in CATEGORY_WORDS:
        if any(word in lowered for word in words):
            return category
    return Category.OTHER


def _split_summary(text: str) -> tuple[str, str]:
    """The description's first line as the summary shown in lists, and the rest as the
    description (a long first line stays in the description, shortened in the summary)."""
    first, _, rest = text.strip().partition("\n")
    if len(first) > 300:
        return first[:297] + "…", text.strip()
    return first, rest


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    return "".join("<p>" + html.escape(block).replace("\n", "<br>") + "</p>" for block in blocks)


def import_connector(connector, *, data: bytes | None = None, now: datetime | None = None):
    """Fetch the connector's feed (or read ``data``) and import it, recorded as a
    ``HarvestRun`` that staff see with the catalogue's harvests: read = events in the
    feed, rejected = events skipped (with their reason), missing = events gone."""
    from connectors.base import ConnectorError
    from connectors.models import HarvestRun, RunStatus
    from network.models import Site

    started = timezone.now()
    run = HarvestRun.objects.create(
        connector=connector, full=True, status=RunStatus.RUNNING, started_at=started
    )
    try:
        if data is None:
            data = connector.get_driver().fetch_calendar()
        slug = connector.settings.get("default_site", "")
        default_site = (
            Site.objects.filter(library=connector.library, slug=slug).first() if slug else None
        )
        result = import_calendar(data, connector=connector, default_site=default_site, now=now)
    except (ConnectorError, ICalError) as error:
        run.status, run.error, run.finished_at = RunStatus.FAILED, error.message, timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        connector.consecutive_failures += 1
        connector.save(update_fields=["consecutive_failures"])
        log.warning("calendar import of connector %s failed: %s", connector.pk, error.message)
        return run
    run.status, run.finished_at = RunStatus.COMPLETED, timezone.now()
    run.created, run.updated, run.rejected = result.created, result.updated, len(result.skipped)
    run.read = run.created + run.updated + run.rejected
    run.missing = result.gone
    run.error = "\n".join(result.skipped)
    run.save()
    if connector.consecutive_failures:
        connector.consecutive_failures = 0
        connector.save(update_fields=["consecutive_failures"])
    return run
