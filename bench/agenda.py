"""Agenda benchmark (``make bench-agenda``): the public agenda with 20,000 occurrences.

It prints figures and is never a test: it exits 0 whether the targets are met or not
(non-zero only when it cannot run). In one run:

1. creates a throw-away PostgreSQL database, ``metrobib_bench_agenda`` (not
   ``metrobib_bench``, which ``bench/web.py`` and ``bench/login.py`` drop and recreate),
   migrates it, loads the demo network (58 communes, 57 libraries, 92 sites) and the
   school holidays of zone A;
2. writes the events of a year of programmes across the network (seeded): weekly,
   fortnightly and monthly series (story times, baby readers, digital workshops, book
   clubs…; some skip school holidays, some have no end), exhibitions (one long date or
   every day Tuesday to Saturday), cycles of dates, single events (workshops, meetings,
   shows, concerts, screenings…), at every site weighted by its seats and sometimes
   outside (a park, a school), with categories, audiences, ages, prices, network
   operations, places on registration, a few cancelled or moved dates and unpublished
   events — until their dates make exactly ``--occurrences`` (20,000) occurrences.
   Events are saved one by one (``Event.save``: slug, commune); their dates are the
   real ``services.schedule_of`` expansion, built as ``services.sync_occurrences``
   builds them and inserted in bulk; then ``sync_occurrences`` runs over every event
   (its dates in Europe/Paris, as the back-office form gives them) and must find
   nothing to create, update or delete. Registrations (confirmed and
   waiting) fill the dates of the next six weeks that take them, ``confirmed_places``
   their sum, as the registration services keep it. Then ``ANALYZE`` (autovacuum may
   be off);
3. serves the project with gunicorn, production settings (DEBUG off), 4 workers × 8
   threads (gthread) as README's production command, through ``bench/wsgi_bench.py``;
4. measures, with ``--clients`` concurrent clients (httpx, keep-alive), each phase
   after a warm-up of other requests: the bare view ``/bench/bare/`` (the reference:
   the middleware stack, no query, no template); ``/agenda/`` with two filters, the
   pairs and pages varying from request to request (a period and a commune, a period
   and a library, a commune and a category, dates and an audience, a library and an
   age…, communes drawn by their number of events); ``/agenda/`` without filters
   (informative); the home page as served (``metrobib/pagecache.py`` answers from each
   worker's memory, after Wagtail's routing) and built on every request
   (``?bench-miss=<new value>``: the page cache misses on purpose); the bare view again;
5. prints p50/p95/p99, each as a multiple of the bare view's, PASS/FAIL against the
   targets (agenda with two filters p95 ≤ 60 ms, home p95 ≤ 50 ms), and for each phase
   the machine's busy share, the load average before and after, and the CPU per
   request of gunicorn, of its PostgreSQL sessions and of the load generator;
6. replays agenda requests and the home page in process, one at a time: the service
   time split into SQL statements (by kind) and the rest, and this process's CPU; when
   the agenda fails, the slowest request's statements and ``EXPLAIN (ANALYZE, BUFFERS)``
   of the slowest statement of all; when a target fails, pyinstrument profiles (median
   and slowest agenda requests, home page built) if pyinstrument is installed
   (``.venv/bin/pip install pyinstrument``; not a dependency);
7. stops gunicorn and drops the database (``--keep-db`` keeps it, and a later run with
   ``--keep-db`` reuses it if it was generated the same day with the same settings).

    .venv/bin/python bench/agenda.py                    # make bench-agenda
    .venv/bin/python bench/agenda.py --clients 1 --requests 300
    .venv/bin/python bench/agenda.py --keep-db          # keep (and reuse) the data

Environment: ``BENCH_DATABASE_SERVER`` (default ``postgresql://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import login, web  # noqa: E402
from bench.search import Sample, replay  # noqa: E402

DB_NAME = "metrobib_bench_agenda"
HOST = web.HOST
SEED = 20261204
GENERATOR_VERSION = 2
OCCURRENCES = 20_000
AGENDA_TARGET_MS = 60.0
HOME_TARGET_MS = 50.0
WORKERS, THREADS = 4, 8  # README's production command
NCPU = web.NCPU
MISS = "bench-miss="

# ----------------------------------------------------------------------------- programmes

# Series: title, category, audience, ages, rule kind, weekdays (0 = Monday), local start,
# minutes, places (None: no registration), max places per registration.
SERIES = [
    ("L'heure du conte", "conte", "jeunesse", (3, 8), "weekly", [2, 5], (10, 30), 45, None, 1),
    ("Bébés lecteurs", "conte", "jeunesse", (0, 3), "fortnightly", [1, 4, 5], (9, 30), 45, 12, 3),
    ("Lectures pour les tout-petits", "conte", "jeunesse", (0, 5), "monthly", [2, 5], (10, 0), 40,
     None, 1),
    ("Club lecture", "club_lecture", "adultes", (None, None), "monthly", [1, 3], (18, 30), 90,
     None, 1),
    ("Atelier numérique : premiers pas", "numerique", "adultes", (None, None), "weekly", [1, 3],
     (14, 0), 120, 8, 1),
    ("Après-midi jeux vidéo", "numerique", "jeunesse", (8, 14), "weekly", [2, 5], (14, 0), 120,
     10, 2),
    ("Jeux de société en famille", "jeux", "tout_public", (None, None), "monthly", [5], (14, 30),
     180, None, 1),
    ("Ciné-goûter", "projection", "jeunesse", (6, 12), "monthly", [2], (15, 0), 90, 30, 4),
    ("Permanence écrivain public", "autre", "adultes", (None, None), "weekly", [0, 3], (9, 30),
     180, None, 1),
    ("Conversation en français", "formation", "adultes", (None, None), "weekly", [1, 4], (18, 0),
     90, 12, 1),
    ("Tricot et lecture", "atelier", "tout_public", (None, None), "fortnightly", [4], (14, 0), 120,
     None, 1),
    ("Comptines et jeux de doigts", "conte", "jeunesse", (0, 3), "weekly", [5], (10, 0), 30, 15, 2),
]  # fmt: skip

SINGLES = {
    "atelier": ["Atelier d'écriture", "Atelier pop-up", "Atelier linogravure", "Atelier BD",
                "Atelier origami", "Atelier fresque du climat", "Atelier podcast",
                "Atelier carnet de voyage", "Atelier marque-pages"],
    "numerique": ["Atelier robotique", "Initiation à la programmation", "Fabrique de jeux vidéo",
                  "Atelier impression 3D", "Protéger sa vie privée en ligne"],
    "rencontre": ["Rencontre avec {author}", "Café philo", "Conférence : l'histoire de {commune}",
                  "Rencontre d'auteur : {author}", "Table ronde : lire à l'heure des écrans"],
    "spectacle": ["Spectacle : le loup qui voulait lire", "Théâtre d'ombres", "Marionnettes",
                  "Lecture musicale", "Spectacle de contes du monde"],
    "concert": ["Concert acoustique", "Scène ouverte", "Concert jazz", "Chorale du quartier"],
    "projection": ["Ciné-débat", "Projection : documentaire", "Courts métrages d'animation"],
    "visite": ["Visite des coulisses", "Visite des fonds patrimoniaux", "Visite guidée"],
    "formation": ["Démarches administratives en ligne", "Recherche documentaire"],
    "jeux": ["Tournoi de jeux vidéo", "Escape game à la bibliothèque", "Murder party"],
    "conte": ["Contes d'hiver", "Contes en pyjama", "Tapis de lecture"],
}  # fmt: skip
EXHIBITIONS = ["Les oiseaux de la Métropole", "Carnets de voyage", "Affiches de cinéma",
               "Photographies du quartier", "Albums jeunesse : les originaux", "Le Rhône",
               "Bandes dessinées lyonnaises", "Cartes anciennes"]  # fmt: skip
AUTHORS = ["Anne Moreau", "Karim Benali", "Sophie Nguyen", "Julien Perrin", "Léa Fontaine",
           "Marc Delorme", "Fatou Diallo", "Hugo Lambert", "Inès Rolland"]  # fmt: skip
OUTSIDE = [("Parc municipal", "allée des Tilleuls"), ("Maison de quartier", "rue de la Paix"),
           ("École élémentaire Jean-Jaurès", "rue Jean-Jaurès"), ("MJC", "place du Marché"),
           ("Théâtre municipal", "avenue de la République")]  # fmt: skip
OPERATIONS = [  # name, slug, months
    ("Nuit de la lecture", "nuit-de-la-lecture", {1}),
    ("Printemps des poètes", "printemps-des-poetes", {3}),
    ("Partir en livre", "partir-en-livre", {6, 7}),
    ("Fête de la science", "fete-de-la-science", {10}),
    ("Mois du film documentaire", "mois-du-doc", {11}),
]
# Weekdays of single events (Monday first): Wednesdays and Saturdays above all.
DAY_WEIGHTS = [0.2, 1.0, 3.0, 1.0, 2.0, 4.0, 0.2]
HOURS = [(10, 0), (10, 30), (14, 0), (14, 30), (15, 0), (16, 0), (18, 30), (19, 0)]


def say(*args: object) -> None:
    print(*args, flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ----------------------------------------------------------------------------- database


def _admin():
    return web._admin_connection()


def database_exists() -> bool:
    with _admin() as conn:
        return bool(
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        )


def drop_database() -> None:
    web.drop_database(DB_NAME)


def create_database() -> None:
    web.create_database(DB_NAME)


def lock_database():
    conn = _admin()
    if not conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [DB_NAME]).fetchone()[0]:
        conn.close()
        raise web.BenchError(f"another run is using {DB_NAME}; try again when it is done")
    return conn


def wanted_stamp(occurrences: int, today: date) -> str:
    return f"v{GENERATOR_VERSION} seed {SEED} occurrences {occurrences} day {today.isoformat()}"


def read_stamp() -> str | None:
    import psycopg

    try:
        with psycopg.connect(f"{web.DB_SERVER}/{DB_NAME}", autocommit=True) as conn:
            row = conn.execute("SELECT stamp FROM bench_agenda_stamp").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


def write_stamp(stamp: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_agenda_stamp")
        cursor.execute("CREATE TABLE bench_agenda_stamp (stamp text)")
        cursor.execute("INSERT INTO bench_agenda_stamp VALUES (%s)", [stamp])


def postgres_ticks() -> dict[int, int]:
    """CPU ticks of the PostgreSQL backends connected to the bench database (exact name:
    ``web.postgres_ticks`` matches ``metrobib_bench`` as a substring)."""
    marker = f" {DB_NAME} ".encode()
    ticks = {}
    for pid in web._all_pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if cmdline.startswith(b"postgres: ") and marker in cmdline:
            fields = web._proc_stat(pid)
            if fields:
                ticks[pid] = web._cpu_ticks(fields)
    return ticks


# ----------------------------------------------------------------------------- the data


@dataclass
class Generated:
    events: int = 0
    occurrences: int = 0
    by_kind: Counter = field(default_factory=Counter)  # occurrences by kind of event
    events_by_kind: Counter = field(default_factory=Counter)
    registrations: int = 0
    past: int = 0
    with_places: int = 0
    full: int = 0
    cancelled: int = 0
    moved: int = 0


def _local(day: date, hm: tuple[int, int]) -> datetime:
    from agenda.models import TZ

    return datetime.combine(day, clock(*hm), TZ)


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


class Programme:
    """Draws the events of a year of the network's programmes (seeded)."""

    def __init__(self, rng: random.Random, today: date, sites, operations):
        self.rng, self.today = rng, today
        self.sites = sites
        self.weights = [1 + min(site.seats or 0, 400) / 80 for site in sites]
        self.operations = operations

    def site(self):
        return self.rng.choices(self.sites, self.weights)[0]

    def day(self, start: int = 0, end: int = 365) -> date:
        while True:
            day = self.today + timedelta(days=self.rng.randrange(start, end))
            if self.rng.random() * 4 < DAY_WEIGHTS[day.weekday()]:
                return day

    def _common(self, site, category: str, audience: str, ages, places, max_places):
        from agenda.models import Event

        rng = self.rng
        event = Event(
            library_id=site.library_id,
            site=site,
            category=category,
            audience=audience,
            age_min=ages[0],
            age_max=ages[1],
            published=rng.random() > 0.02,
            sign_language=rng.random() < 0.03,
            step_free=rng.random() < 0.6,
            organiser=site.library.name,
        )
        if rng.random() < 0.08:  # outside the library: a park, a school, a theatre
            name, street = rng.choice(OUTSIDE)
            event.site, event.place_name = None, name
            event.place_address = f"{rng.randrange(1, 80)} {street}"
            event.place_commune_id = site.commune_id
        if places is not None:
            event.registration_required, event.capacity = True, places
            event.max_places_per_registration = max_places
        if category in ("concert", "spectacle") and rng.random() < 0.3:
            event.is_free, event.price = False, rng.choice(["5 €", "8 €, 5 € tarif réduit"])
        return event

    def series(self):
        from agenda import recurrence

        rng = self.rng
        (title, category, audience, ages, kind, weekdays, hm, minutes, places,
         max_places) = rng.choice(SERIES)  # fmt: skip
        site = self.site()
        event = self._common(site, category, audience, ages, places, max_places)
        event.title = title
        event.summary = f"{title} à {site.name}, {_period_words(kind)}."
        # Most series run from now to the next summer or the year after; some started
        # before today (their past dates exist), some have no end (the nightly task
        # extends them).
        first = _next_weekday(
            self.today + timedelta(days=rng.randrange(-60, 60)), rng.choice(weekdays)
        )
        if kind == "monthly":
            first = first.replace(day=1)
            first = _next_weekday(first, rng.choice(weekdays)) + timedelta(weeks=rng.randrange(3))
        starts = _local(first, hm)
        event.starts_at, event.ends_at = starts, starts + timedelta(minutes=minutes)
        until = None if rng.random() < 0.2 else self.today + timedelta(days=rng.randrange(180, 366))
        event.rrule = recurrence.simple_rule(kind, starts, until)
        event.skip_school_holidays = rng.random() < 0.5
        if rng.random() < 0.3:
            event.excluded_dates = [
                (first + timedelta(weeks=rng.randrange(2, 30))).isoformat() for _ in range(2)
            ]
        event.cancelled = rng.random() < 0.01
        return event, "series", [], []

    def exhibition(self):
        rng = self.rng
        site = self.site()
        event = self._common(site, "exposition", "tout_public", (None, None), None, 1)
        theme = rng.choice(EXHIBITIONS)
        event.title = f"Exposition : {theme}"
        event.summary = f"{theme}, à voir aux heures d'ouverture."
        first = self.day(-20, 340)
        weeks = rng.randrange(3, 8)
        if rng.random() < 0.5:  # one date spanning the weeks
            event.starts_at = _local(first, (10, 0))
            event.ends_at = _local(first + timedelta(weeks=weeks), (18, 0))
            return event, "exhibition, one date", [], []
        event.starts_at, event.ends_at = _local(first, (10, 0)), _local(first, (18, 0))
        end = _local(first + timedelta(weeks=weeks), (23, 59))
        event.rrule = f"FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA;UNTIL={end.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        return event, "exhibition, daily", [], []

    def single(self, cycle: bool = False):
        rng = self.rng
        category = rng.choice(list(SINGLES))
        site = self.site()
        audience = rng.choice(["tout_public", "jeunesse", "jeunesse", "adultes"])
        ages = (None, None)
        if audience == "jeunesse":
            low = rng.choice([0, 3, 6, 8, 10, 12])
            ages = (low, min(low + rng.choice([3, 4, 6]), 18))
        places = None
        if category in ("atelier", "numerique", "visite", "formation") or rng.random() < 0.15:
            places = rng.choice([8, 10, 12, 15, 20, 30, 50])
        event = self._common(site, category, audience, ages, places, rng.choice([1, 2, 4]))
        title = rng.choice(SINGLES[category]).format(
            author=rng.choice(AUTHORS), commune=site.commune.name
        )
        event.title = f"Cycle : {title}" if cycle else title
        event.summary = f"{title}, {site.library.name}."
        first = self.day(-15, 365)
        hm = rng.choice(HOURS)
        event.starts_at = _local(first, hm)
        event.ends_at = event.starts_at + timedelta(minutes=rng.choice([60, 90, 120, 150]))
        extra = []
        if cycle:  # "plusieurs dates": the same time, every week or every other week
            gap = rng.choice([1, 2])
            for n in range(1, rng.randrange(3, 6)):
                start = event.starts_at + timedelta(weeks=n * gap)
                extra.append((start, start + (event.ends_at - event.starts_at)))
        operations = [
            op for op, months in self.operations if first.month in months and rng.random() < 0.6
        ]
        return event, "cycle" if cycle else "single", extra, operations


def _period_words(kind: str) -> str:
    return {"weekly": "chaque semaine", "fortnightly": "une semaine sur deux",
            "monthly": "une fois par mois", "daily": "chaque jour"}[kind]  # fmt: skip


def generate(total: int, today: date, now: datetime) -> Generated:
    """Events until their dates make exactly ``total`` occurrences (see the module's doc)."""
    from django.db import transaction

    from agenda import services
    from agenda.models import Event, EventDate, NetworkOperation, Occurrence, Registration
    from metrobib import pagecache
    from network.models import Site

    rng = random.Random(SEED)
    operations = [
        (NetworkOperation.objects.create(name=name, slug=slug), months)
        for name, slug, months in OPERATIONS
    ]
    sites = list(Site.objects.select_related("library", "commune").order_by("pk"))
    programme = Programme(rng, today, sites, operations)
    stats = Generated()
    pending: list[Occurrence] = []
    # As a bulk import: the page cache's version is bumped once at the end, not on every
    # save (each bump is a cache write: it would add ~1.5 ms to every row saved).
    with mock.patch.object(pagecache, "_bump", lambda: None), transaction.atomic():
        while stats.occurrences < total:
            left = total - stats.occurrences
            draw = rng.random()
            if left > 60 and draw < 0.09:
                event, kind, extra_dates, operations = programme.series()
            elif left > 40 and draw < 0.14:
                event, kind, extra_dates, operations = programme.exhibition()
            elif left > 6 and draw < 0.20:
                event, kind, extra_dates, operations = programme.single(cycle=True)
            else:
                event, kind, extra_dates, operations = programme.single()
            event.save()
            if operations:
                event.operations.add(*operations)
            for starts_at, ends_at in extra_dates:
                EventDate.objects.create(event=event, starts_at=starts_at, ends_at=ends_at)
            slots = services.schedule_of(event, now)
            if len(slots) > left:  # would overshoot: drop it, smaller ones will fill up
                event.delete()
                continue
            # As sync_occurrences builds a new date (agenda/services.py).
            for slot in slots:
                occurrence = Occurrence(
                    event=event,
                    original_start=slot.original_start,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    capacity=event.capacity if event.registration_required else None,
                    status=Occurrence.Status.SCHEDULED,
                )
                if event.cancelled:
                    occurrence.status = Occurrence.Status.CANCELLED
                pending.append(occurrence)
            stats.events += 1
            stats.occurrences += len(slots)
            stats.by_kind[kind] += len(slots)
            stats.events_by_kind[kind] += 1
        # A few dates cancelled or moved one by one (cancel_occurrence, move_occurrence).
        for occurrence in pending:
            if occurrence.status != Occurrence.Status.SCHEDULED:
                continue
            draw = rng.random()
            if draw < 0.01:
                occurrence.status = Occurrence.Status.CANCELLED
                occurrence.note = "Cette date est annulée."
                stats.cancelled += 1
            elif draw < 0.015:
                occurrence.status = Occurrence.Status.MOVED
                occurrence.starts_at += timedelta(hours=1)
                occurrence.ends_at += timedelta(hours=1)
                stats.moved += 1
        registrations = _registrations(rng, pending, now, stats)
        Occurrence.objects.bulk_create(pending, batch_size=2000)
        for registration in registrations:
            registration.occurrence_id = registration.occurrence.pk
        Registration.objects.bulk_create(registrations, batch_size=2000)
        stats.registrations = len(registrations)
    pagecache.bump_version()
    stats.past = sum(1 for o in pending if o.ends_at <= now)
    stats.with_places = sum(1 for o in pending if o.capacity is not None)
    assert Occurrence.objects.count() == total, Occurrence.objects.count()
    assert Event.objects.count() == stats.events
    return stats


def _registrations(rng: random.Random, occurrences, now: datetime, stats: Generated):
    """Registrations for the dates of the next six weeks that take them: a third full
    with a waiting list, the others partly filled; ``confirmed_places`` is their sum."""
    from agenda.models import Occurrence, Registration

    made = []
    horizon = now + timedelta(weeks=6)
    for occurrence in occurrences:
        if (
            occurrence.capacity is None
            or occurrence.status == Occurrence.Status.CANCELLED
            or not now < occurrence.starts_at < horizon
        ):
            continue
        most = occurrence.event.max_places_per_registration
        draw = rng.random()
        goal = occurrence.capacity if draw < 0.33 else int(occurrence.capacity * rng.random())
        confirmed = 0
        while confirmed < goal:
            places = min(rng.randint(1, most), goal - confirmed)
            made.append(_registration(occurrence, places, Registration.Status.CONFIRMED, len(made)))
            confirmed += places
        occurrence.confirmed_places = confirmed
        if confirmed >= occurrence.capacity:
            stats.full += 1
            for _ in range(rng.randrange(0, 4)):
                made.append(
                    _registration(occurrence, rng.randint(1, most), Registration.Status.WAITING,
                                  len(made))
                )  # fmt: skip
    return made


def _registration(occurrence, places: int, status: str, n: int):
    from agenda.models import Registration

    return Registration(
        occurrence=occurrence,
        name=f"Inscrit {n}",
        email=f"inscrit{n}@example.org",
        places=places,
        status=status,
    )


def check_with_sync(now: datetime) -> tuple[Counter, int, float]:
    """``sync_occurrences`` over every event, its dates in Europe/Paris as the back-office
    form gives them: what it would still change (nothing, if the bulk-inserted dates are
    what it produces). Also the dates ``schedule_of`` gives differently from the
    database's UTC values (an event whose one date spans a daylight-saving change: the
    duration is taken in wall-clock time from a form, in elapsed time from the database)."""
    from agenda import services
    from agenda.models import TZ, Event

    started = time.perf_counter()
    changes: Counter = Counter()
    differ = 0
    for event in Event.objects.order_by("pk"):
        from_db = set(services.schedule_of(event, now))
        event.starts_at, event.ends_at = (
            event.starts_at.astimezone(TZ),
            event.ends_at.astimezone(TZ),
        )
        differ += len(from_db - set(services.schedule_of(event, now)))
        result = services.sync_occurrences(event, now=now)
        for name in ("created", "updated", "deleted", "cancelled"):
            changes[name] += getattr(result, name)
    return changes, differ, time.perf_counter() - started


def build(args, env: dict[str, str], today: date) -> None:
    from django.db import connection
    from django.utils import timezone

    from agenda.holidays import load_school_holidays
    from network.demo import load_demo_network

    took = web.manage(env, "migrate", "--no-input")
    say(f"  {'manage.py migrate':<34} {took:6.1f} s")
    started = time.perf_counter()
    summary = load_demo_network(today)
    say(
        f"  {'demo network':<34} {time.perf_counter() - started:6.1f} s  "
        f"({summary['communes']} communes, {summary['sites_created']} sites)"
    )
    started = time.perf_counter()
    created, _ = load_school_holidays("A")
    say(
        f"  {'school holidays, zone A':<34} {time.perf_counter() - started:6.1f} s  "
        f"({created} periods)"
    )
    now = timezone.now()
    started = time.perf_counter()
    stats = generate(args.occurrences, today, now)
    say(
        f"  {'events and occurrences':<34} {time.perf_counter() - started:6.1f} s  "
        f"({stats.events:,} events, {stats.occurrences:,} occurrences)"
    )
    for kind, count in stats.by_kind.most_common():
        say(f"      {kind:<22} {stats.events_by_kind[kind]:>5,} events {count:>7,} occurrences")
    say(
        f"      {stats.past:,} dates already over, {stats.with_places:,} on registration "
        f"({stats.full:,} full in the next six weeks; {stats.registrations:,} registrations), "
        f"{stats.cancelled} cancelled and {stats.moved} moved one by one"
    )
    changes, differ, took = check_with_sync(now)
    say(
        f"  {'check: sync_occurrences, every event':<34} {took:6.1f} s  "
        + ", ".join(
            f"{name} {changes[name]}" for name in ("created", "updated", "deleted", "cancelled")
        )
    )
    if differ:
        say(
            f"      note: {differ} dates would end an hour off if synced from the database's "
            "UTC values (one date across a daylight-saving change: agenda/recurrence.py expand)"
        )
    if sum(changes.values()):
        raise web.BenchError("the generated occurrences differ from what sync_occurrences makes")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"  {'ANALYZE':<34} {time.perf_counter() - started:6.1f} s")
    write_stamp(wanted_stamp(args.occurrences, today))


# ----------------------------------------------------------------------------- requests


def _querystring(params: list[tuple[str, str]]) -> str:
    return "/agenda/?" + urlencode(params)


class Requests:
    """The agenda URLs of a run: two filters each, pairs and pages varying."""

    def __init__(self, now: datetime):
        from django.db.models import Count, Q

        from agenda.models import Category, Occurrence
        from network.models import Commune, Library

        self.now = now
        upcoming = Q(events__occurrences__ends_at__gt=now, events__published=True)
        self.communes = [
            (c.insee_code, c.n)
            for c in Commune.objects.annotate(n=Count("events__occurrences", filter=upcoming))
            .filter(n__gt=0)
            .order_by("-n")
        ]
        self.libraries = [
            (lib.slug, lib.n)
            for lib in Library.objects.annotate(n=Count("events__occurrences", filter=upcoming))
            .filter(n__gt=0)
            .order_by("-n")
        ]
        self.categories = [c for c, _ in Category.choices]
        self.total = Occurrence.objects.filter(ends_at__gt=now).count()
        self.counts: dict[str, int] = {}

    def commune(self, rng: random.Random) -> str:
        codes, weights = zip(*self.communes, strict=True)
        return rng.choices(codes, weights)[0]

    def library(self, rng: random.Random) -> str:
        slugs, weights = zip(*self.libraries, strict=True)
        return rng.choices(slugs, weights)[0]

    def pair(self, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        from agenda.models import TZ

        today = self.now.astimezone(TZ).date()
        kind = rng.choices(list(PAIRS), [w for w, _ in PAIRS.values()])[0]
        period = rng.choice(["semaine", "week-end", "mois"])
        start = today + timedelta(days=rng.randrange(0, 300))
        values = {
            "period": ("quand", period),
            "commune": ("commune", self.commune(rng)),
            "library": ("bibliotheque", self.library(rng)),
            "category": ("categorie", rng.choice(self.categories)),
            "audience": ("public", rng.choice(["jeunesse", "tout_public", "adultes"])),
            "age": ("age", str(rng.choice([2, 4, 6, 8, 10, 12]))),
            "free": ("gratuit", "on"),
            "places": ("places", "on"),
            "query": ("q", rng.choice(["conte", "atelier", "exposition", "jeux"])),
        }
        params: list[tuple[str, str]] = []
        for name in PAIRS[kind][1]:
            if name == "dates":
                params += [
                    ("du", start.isoformat()),
                    ("au", (start + timedelta(days=13)).isoformat()),
                ]
            else:
                params.append(values[name])
        return kind, params

    def count(self, params: list[tuple[str, str]]) -> int:
        from django.http import QueryDict

        from agenda import selectors
        from agenda.filters import AgendaFilterForm

        key = urlencode(params)
        if key not in self.counts:
            filters = AgendaFilterForm(QueryDict(key)).to_filters()
            self.counts[key] = selectors.list_occurrences(filters, self.now).count()
        return self.counts[key]

    def paths(self, rng: random.Random, n: int) -> tuple[list[str], Counter, list[int]]:
        paths, kinds, sizes = [], Counter(), []
        for _ in range(n):
            kind, params = self.pair(rng)
            found = self.count(params)
            pages = max(1, -(-found // 20))
            if pages > 1 and rng.random() < 0.4:  # a further page, as people browse
                params.append(("page", str(rng.randint(2, min(pages, 10)))))
            paths.append(_querystring(params))
            kinds[kind] += 1
            sizes.append(found)
        return paths, kinds, sizes


# Pairs of filters: weight, filters.
PAIRS = {
    "period + commune": (25, ["period", "commune"]),
    "period + library": (12, ["period", "library"]),
    "commune + category": (10, ["commune", "category"]),
    "period + audience": (8, ["period", "audience"]),
    "library + age": (8, ["library", "age"]),
    "dates + commune": (8, ["dates", "commune"]),
    "commune + places": (7, ["commune", "places"]),
    "period + free": (6, ["period", "free"]),
    "category + audience": (6, ["category", "audience"]),
    "dates + category": (5, ["dates", "category"]),
    "period + keyword": (5, ["period", "query"]),
}


# ----------------------------------------------------------------------------- measuring


@dataclass
class Phase:
    label: str
    samples: list[Sample]
    wall: float
    load_before: str
    load_after: str
    busy: float
    server_cpu: float
    db_cpu: float | None
    generator_cpu: float
    target: float | None = None
    notes: list[str] = field(default_factory=list)

    def pct(self, p: float) -> float:
        return web._percentile(sorted(s.seconds for s in self.samples), p) * 1000

    @property
    def errors(self) -> int:
        return sum(1 for s in self.samples if s.status != 200)


def measure(label: str, base: str, paths: list[str], warmup: list[str], clients: int,
            server_pid: int, target: float | None = None) -> Phase:  # fmt: skip
    if warmup:
        replay(base, warmup, clients)
    before = loadavg()
    g0, p0, b0, own0 = (
        web.gunicorn_ticks(server_pid),
        postgres_ticks(),
        web.machine_busy(),
        os.times(),
    )
    samples, wall = replay(base, paths, clients)
    g1, p1, b1, own1 = (
        web.gunicorn_ticks(server_pid),
        postgres_ticks(),
        web.machine_busy(),
        os.times(),
    )
    busy, total = b1[0] - b0[0], b1[1] - b0[1]
    phase = Phase(
        label=label,
        samples=samples,
        wall=wall,
        load_before=before,
        load_after=loadavg(),
        busy=busy / total if total else 0.0,
        server_cpu=web.ticks_delta(g0, g1),
        db_cpu=web.ticks_delta(p0, p1) if (p0 or p1) else None,
        generator_cpu=(own1.user - own0.user) + (own1.system - own0.system),
        target=target,
    )
    if phase.errors:
        statuses = sorted({s.status for s in samples if s.status != 200})
        phase.notes.append(f"{phase.errors} failed requests (status {statuses})")
    others = busy / web.CLK_TCK - phase.server_cpu - (phase.db_cpu or 0) - phase.generator_cpu
    if others > 0.1 * wall * NCPU:
        phase.notes.append(
            f"other processes took {others / (wall * NCPU):.0%} of the machine during the run"
        )
    say(
        f"  {label:<30} {len(samples):>5} requests in {wall:5.1f} s  p95 {phase.pct(95):6.1f} ms"
        f"  busy {phase.busy:4.0%}  load {before} → {phase.load_after}"
    )
    return phase


def report(phases: list[Phase], bare: Phase, clients: int, workers: str) -> None:
    b50, b95, b99 = bare.pct(50), bare.pct(95), bare.pct(99)
    say(
        f"\nLatency ({clients} concurrent clients, gunicorn {workers}); "
        "× = multiple of the bare view's"
    )
    head = (
        f"{'phase':<30} {'n':>5} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  "
        f"{'× p50':>6} {'× p95':>6} {'× p99':>6}  target"
    )
    say(head)
    say("-" * (len(head) + 20))
    for p in phases:
        if p.target is None:
            verdict = "reference" if p.label.startswith("bare") else "(informative)"
        else:
            verdict = f"p95 ≤ {p.target:.0f} ms: {web.verdict(p.pct(95) <= p.target)}"
        say(
            f"{p.label:<30} {len(p.samples):>5} {len(p.samples) / p.wall:>6.1f} "
            f"{p.pct(50):>7.1f} {p.pct(95):>7.1f} {p.pct(99):>7.1f}  {p.pct(50) / b50:>5.1f}× "
            f"{p.pct(95) / b95:>5.1f}× {p.pct(99) / b99:>5.1f}×  {verdict}"
        )
    say(f"\nCPU during each phase (machine: {NCPU} cores, shared with everything else running)")
    head = (
        f"{'phase':<30} {'wall s':>6} {'busy':>5}  {'load (1, 5, 15 min) before → after':<36} "
        f"{'gunicorn ms/req':>15} {'postgres ms/req':>15} {'generator ms/req':>16}"
    )
    say(head)
    say("-" * len(head))
    for p in phases:
        n = max(len(p.samples), 1)
        db = f"{p.db_cpu * 1000 / n:>15.2f}" if p.db_cpu is not None else f"{'not visible':>15}"
        say(
            f"{p.label:<30} {p.wall:>6.1f} {p.busy:>5.0%}  "
            f"{p.load_before + ' → ' + p.load_after:<36} "
            f"{p.server_cpu * 1000 / n:>15.2f} {db} {p.generator_cpu * 1000 / n:>16.2f}"
        )
    say(
        "busy = the whole machine's busy share (/proc/stat) during the phase; gunicorn = master "
        "and workers,\npostgres = the backends connected to the bench database, generator = this "
        "process (httpx threads)."
    )
    for p in phases:
        for note in p.notes:
            say(f"warning: {p.label}: {note}")


# ----------------------------------------------------------------------------- diagnosis


def statement_kind(sql: str) -> str:
    sql = " ".join(sql.split())
    if "COUNT(*)" in sql and '"agenda_occurrence"' in sql:
        return "agenda: count"
    if sql.startswith('SELECT "agenda_occurrence"'):
        return "agenda: page of occurrences"
    if 'FROM "network_commune"' in sql:
        return "form: communes with events"
    if 'FROM "network_library"' in sql:
        return "form: libraries with events"
    if 'FROM "agenda_networkoperation"' in sql:
        return "form: operations"
    if "metrobib_cache" in sql:
        return "cache"
    if "wagtail" in sql:
        return "wagtail: " + sql.split('FROM "', 1)[-1].split('"', 1)[0]
    if 'FROM "network_' in sql:
        return "network: " + sql.split('FROM "', 1)[-1].split('"', 1)[0]
    if 'FROM "editorial_' in sql:
        return "editorial: " + sql.split('FROM "', 1)[-1].split('"', 1)[0]
    return "other"


class InProcess:
    """Requests replayed in this process, one at a time, the SQL statements timed."""

    def __init__(self):
        from django.test import Client

        self.client = Client(HTTP_HOST=HOST)
        self.client.get("/agenda/")

    def timed(self, path: str) -> tuple[float, float, list[tuple[float, str, object]], int]:
        """Wall seconds, this process's CPU seconds, the statements, the status."""
        from django.db import connection

        calls: list[tuple[float, str, object]] = []

        def timer(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                calls.append((time.perf_counter() - started, sql, params))

        started, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timer):
            response = self.client.get(path)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        return wall, cpu, calls, response.status_code

    def breakdown(self, label: str, paths: list[str]) -> list[tuple[str, float, list, int]]:
        measured = [(path, *self.timed(path)) for path in paths]
        totals = sorted(m[1] * 1000 for m in measured)
        cpus = sorted(m[2] * 1000 for m in measured)
        sqls = sorted(sum(c[0] for c in m[3]) * 1000 for m in measured)
        pythons = sorted((m[1] - sum(c[0] for c in m[3])) * 1000 for m in measured)
        counts = sorted(len(m[3]) for m in measured)
        say(f"\n{label}, alone (in process, one at a time, {len(measured)} requests):")
        say(
            f"  total p50 {_pct(totals, 50):.1f} ms, p95 {_pct(totals, 95):.1f} ms, max "
            f"{totals[-1]:.1f} ms; SQL p50 {_pct(sqls, 50):.1f} / p95 {_pct(sqls, 95):.1f} ms in "
            f"{counts[len(counts) // 2]} statements; the rest (Python) p50 "
            f"{_pct(pythons, 50):.1f} / p95 {_pct(pythons, 95):.1f} ms; CPU of this process "
            f"p50 {_pct(cpus, 50):.1f} ms (wall minus CPU: waiting for PostgreSQL or for a core)"
        )
        by_kind: dict[str, list[float]] = defaultdict(list)
        for _path, _total, _cpu, calls, _status in measured:
            for seconds, sql, _params in calls:
                by_kind[statement_kind(sql)].append(seconds * 1000)
        grand = sum(totals)
        say(f"  {'':<32} {'statements':>10} {'share':>6} {'p50 ms':>7} {'max ms':>7}")
        for name, values in sorted(by_kind.items(), key=lambda kv: -sum(kv[1])):
            values.sort()
            say(
                f"  {name:<32} {len(values):>10} {sum(values) / grand:>6.0%} "
                f"{_pct(values, 50):>7.2f} {values[-1]:>7.2f}"
            )
        say(f"  {'Python (all but SQL)':<32} {'':>10} {sum(pythons) / grand:>6.0%}")
        return measured

    def explain(self, measured) -> None:
        """The slowest request's statements, then EXPLAIN of the slowest statement of all
        (the slowest request may be slow for want of a core, not for its SQL)."""
        from django.db import connection

        path, total, _cpu, calls, status = max(measured, key=lambda m: m[1])
        say(
            f"\nSlowest request: {path}: status {status}, {total * 1000:.1f} ms, "
            f"{len(calls)} statements"
        )
        for seconds, sql, _params in sorted(calls, key=lambda c: -c[0])[:5]:
            say(f"  {seconds * 1000:7.2f} ms  [{statement_kind(sql)}] {' '.join(sql.split())[:90]}")
        path, seconds, sql, params = max(
            ((m[0], *call) for m in measured for call in m[3]), key=lambda c: c[1]
        )
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join("  " + row[0] for row in cursor.fetchall())
        say(
            f"EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of all, "
            f"[{statement_kind(sql)}] of {path} ({seconds * 1000:.1f} ms then):"
        )
        say("  " + " ".join(sql.split()))
        say("  params: " + repr(params)[:300])
        say(plan)

    def profile(self, label: str, path: str) -> None:
        try:
            from pyinstrument import Profiler
        except ImportError:
            say(
                "(pyinstrument is not installed: `.venv/bin/pip install pyinstrument` for profiles)"
            )
            return
        profiler = Profiler(interval=0.0002)
        profiler.start()
        self.client.get(path)
        profiler.stop()
        say(f"\n### pyinstrument profile, {label}: {path}")
        say(profiler.output_text(unicode=False, color=False, show_all=False))


def _pct(values: list[float], pct: float) -> float:
    return web._percentile(values, pct)


def diagnose(paths: list[str], explain: bool, profile: bool) -> None:
    """Where the service time goes, one request at a time: the agenda with two filters,
    the home page built and as served; EXPLAIN and profiles when asked."""
    replayer = InProcess()
    measured = replayer.breakdown("/agenda/ with two filters", paths)
    if explain:
        replayer.explain(measured)
    tag = time.time_ns()
    replayer.breakdown(
        "Home page built (cache missed)", [f"/?{MISS}diag-{tag}-{n}" for n in range(20)]
    )
    replayer.breakdown("Home page as served (cache hit)", ["/"] * 50)
    if profile:
        ordered = sorted(measured, key=lambda m: m[1])
        replayer.profile("median /agenda/ request", ordered[len(ordered) // 2][0])
        replayer.profile("slowest /agenda/ request", ordered[-1][0])
        replayer.profile("home page built", f"/?{MISS}profile-{tag}")


# ----------------------------------------------------------------------------- main


def code_state() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip()

    dirty = git(
        "status", "--short", "--", "agenda", "editorial", "metrobib", "network", "templates"
    )
    changed = f"; uncommitted changes in {len(dirty.splitlines())} files" if dirty else ""
    return f"commit {git('rev-parse', '--short', 'HEAD')}{changed}"


def _terminated(signum, frame):
    say("\nbench: terminated; stopping gunicorn and dropping the database")
    sys.exit(128 + signum)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (10)")
    parser.add_argument("--requests", type=int, default=1000, help="requests per phase (1000)")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up requests per phase")
    parser.add_argument("--occurrences", type=int, default=OCCURRENCES)
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=THREADS, help="threads per worker (8)")
    parser.add_argument("--keep-db", action="store_true", help="keep the database, reuse it")
    parser.add_argument("--diagnose", type=int, default=200,
                        help="agenda requests replayed in process after (0: none)")  # fmt: skip
    parser.add_argument("--explain", choices=["auto", "always", "never"], default="auto",
                        help="EXPLAIN ANALYZE of the slowest (auto: if p95 fails)")  # fmt: skip
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminated)

    server = None
    db_lock = None
    created = False
    with tempfile.TemporaryDirectory(prefix="metrobib-bench-agenda-") as tmp:
        workdir = Path(tmp)
        try:
            env = web.server_env(
                f"{web.DB_SERVER}/{DB_NAME}", workdir / "static", workdir / "media",
                allowed_hosts=HOST,
            )  # fmt: skip
            for name in ("REDIS_URL", "SITE_URL", "DJANGO_SETTINGS_MODULE"):
                os.environ.pop(name, None)
            os.environ.update(env)  # this process builds the data and replays in process
            say(
                f"Métrobib agenda benchmark — {NCPU} cores, Python {sys.version.split()[0]}, "
                f"{code_state()}, load average {loadavg()}"
            )
            db_lock = lock_database()
            web.collect_static(env)  # before django.setup(): the storage reads its manifest once
            import django

            today = datetime.now(ZoneInfo("Europe/Paris")).date()
            stamp = wanted_stamp(args.occurrences, today)
            reuse = args.keep_db and database_exists() and read_stamp() == stamp
            if reuse:
                say(f"database: {DB_NAME}, kept by an earlier run ({stamp}): reused")
                web.manage(env, "migrate", "--no-input")
                django.setup()
            else:
                say(f"database: {web.DB_SERVER}/{DB_NAME} (throw-away)")
                create_database()
                created = True
                django.setup()
                build(args, env, today)

            from django.db import connections
            from django.utils import timezone

            requests = Requests(timezone.now())
            rng = random.Random(SEED + 1)
            agenda_paths, kinds, sizes = requests.paths(rng, args.requests)
            warm_paths, _, _ = requests.paths(random.Random(SEED + 2), args.warmup)
            say(
                f"{requests.total:,} occurrences to come; {len(requests.communes)} communes and "
                f"{len(requests.libraries)} libraries with events (most: "
                + ", ".join(f"{code} {n:,}" for code, n in requests.communes[:3])
                + ")"
            )
            say(
                f"/agenda/ requests: {len(set(agenda_paths))} distinct URLs of "
                f"{len(agenda_paths)}; "
                f"results per request p50 {sorted(sizes)[len(sizes) // 2]}, max {max(sizes)}, "
                f"none {sum(1 for s in sizes if s == 0)}; pairs: "
                + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
            )
            connections.close_all()

            port = web.free_port()
            server = login.start_gunicorn(
                env, port, workdir / "gunicorn.log", args.workers, args.threads, []
            )
            base = f"http://{HOST}:{port}"
            workers = f"{args.workers} workers × {args.threads} threads (gthread)"
            say(f"gunicorn: {workers}, DEBUG off, on {base}")
            for path in ("/bench/bare/", agenda_paths[0], "/agenda/", "/"):
                status, body = web.fetch(base + path)
                if status != 200:
                    raise web.BenchError(f"{path} answered {status}")
            status, body = web.fetch(base + "/")
            home_links = body.decode().count('href="/agenda/')
            say(
                f"home page: {len(body):,} bytes, {home_links} links to the agenda "
                "(served by metrobib/pagecache.py: a hit is kept in each worker's memory)"
            )

            n = args.requests
            say(
                f"\nPhases: {args.warmup} warm-up requests, then {n} measured, "
                f"{args.clients} clients"
            )
            phases = []
            bare = measure("bare (ref)", base, ["/bench/bare/"] * n, ["/bench/bare/"] * args.warmup,
                           args.clients, server.pid)  # fmt: skip
            phases.append(bare)
            agenda = measure("agenda, two filters", base, agenda_paths, warm_paths, args.clients,
                             server.pid, AGENDA_TARGET_MS)  # fmt: skip
            phases.append(agenda)
            phases.append(
                measure("agenda, no filter", base,
                        ["/agenda/" if i % 3 else f"/agenda/?page={i % 10 + 2}" for i in range(n)],
                        ["/agenda/"] * args.warmup, args.clients, server.pid)
            )  # fmt: skip
            phases.append(
                measure("home, as served (cache hit)", base, ["/"] * n, ["/"] * args.warmup,
                        args.clients, server.pid, HOME_TARGET_MS)
            )  # fmt: skip
            tag = time.time_ns()
            phases.append(
                measure("home, built (cache missed)", base,
                        [f"/?{MISS}{tag}-{i}" for i in range(n)],
                        [f"/?{MISS}{tag}-w{i}" for i in range(args.warmup)],
                        args.clients, server.pid, HOME_TARGET_MS)
            )  # fmt: skip
            phases.append(
                measure("bare (again)", base, ["/bench/bare/"] * n, [], args.clients, server.pid)
            )
            web.stop(server)
            server = None
            report(phases, bare, args.clients, workers)
            failed = agenda.pct(95) > AGENDA_TARGET_MS or phases[3].pct(95) > HOME_TARGET_MS
            if args.diagnose:
                diagnose(
                    agenda_paths[: args.diagnose],
                    explain=args.explain == "always"
                    or (args.explain == "auto" and agenda.pct(95) > AGENDA_TARGET_MS),
                    profile=failed,
                )
            connections.close_all()
            return 0
        except web.BenchError as error:
            say(f"bench: error: {error}")
            return 1
        except KeyboardInterrupt:
            say("\nbench: interrupted; stopping gunicorn and dropping the database")
            return 130
        finally:
            web.stop(server)
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            if created and not args.keep_db:
                try:
                    drop_database()
                except Exception as exc:  # noqa: BLE001 - clean-up must go on
                    say(f"bench: could not drop {DB_NAME}: {exc}")
            if db_lock is not None:
                db_lock.close()


if __name__ == "__main__":
    sys.exit(main())
