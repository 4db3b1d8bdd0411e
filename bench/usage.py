"""Usage benchmark (``make bench-usage``): the digital library's dashboard over a million
usage events, and the "Accéder" redirect that records one.

It prints figures and is never a test: it exits 0 whether the targets are met or not
(non-zero only when it cannot run). In one run:

1. creates a throw-away PostgreSQL database, ``metrobib_bench_usage``, migrates it and
   loads the demo network (58 communes, 57 libraries, 92 sites);
2. creates 40 resources (8 free) and records 1,000,000 usage events of last year
   (seeded) with ``COPY``: 20,000 patrons (their yearly pseudonym as
   ``digital.usage`` makes it), each with a home library drawn by its towns' population,
   living in its commune (85 %) or elsewhere, a library card (85 %) or a metropolitan
   card, one to four favourite resources drawn by appeal (a Zipf law) and a number of
   accesses from a Pareto law (a few read the press every day, most come a few times);
   8 % of the events are anonymous accesses to free resources; fewer accesses in summer
   and at night. Then ``ANALYZE``;
3. times, in process, ``--runs`` times: the aggregation job for the year
   (``stats.aggregation.aggregate_usage``: one SQL statement, then the figures written)
   and the dashboard read from the figures (``stats.selectors.usage_dashboard``, the
   year and a month): **job + read ≤ 2 s** is the target; then prints the statement's
   ``EXPLAIN (ANALYZE, BUFFERS)`` and checks the figures against the portable count
   (Python sets over grouped rows, what SQLite runs) unless ``--no-check``;
4. serves the project with gunicorn (production settings, README's 4 workers × 8
   threads) and measures with ``--clients`` concurrent clients the bare view
   ``/bench/bare/`` and the access redirect ``POST /ressources-numeriques/<slug>/acceder/``
   (303 to the vendor) by a logged-in patron with a valid card, each access writing a
   usage event into the million-row table: **p95 ≤ 50 ms** is the target;
5. drops the database (``--keep-db`` keeps it).

    .venv/bin/python bench/usage.py                  # make bench-usage
    .venv/bin/python bench/usage.py --runs 3 --requests 300 --no-check

Environment: ``BENCH_DATABASE_SERVER`` (default ``postgresql://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import login, web  # noqa: E402

DB_NAME = "metrobib_bench_usage"
HOST = web.HOST
SEED = 20261204
EVENTS = 1_000_000
RESOURCES = 40
FREE_RESOURCES = 8
PATRONS = 20_000
ANONYMOUS_SHARE = 0.08
JOB_TARGET_S = 2.0
ACCESS_TARGET_MS = 50.0
WORKERS, THREADS = 4, 8
# Fewer accesses in summer; by hour of the day, few at night.
MONTH_WEIGHTS = [1.15, 1.1, 1.1, 1.0, 0.95, 0.85, 0.7, 0.6, 1.0, 1.1, 1.15, 1.0]
HOUR_WEIGHTS = [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.4, 0.8, 1.2, 1.4, 1.5, 1.4, 1.3, 1.4,
                1.6, 1.7, 1.7, 1.8, 1.9, 2.0, 2.0, 1.6, 1.0, 0.5]  # fmt: skip
AGE_BANDS = ["0-14", "15-17", "18-25", "26-64", "65+"]
AGE_WEIGHTS = [0.08, 0.06, 0.12, 0.56, 0.18]


say, loadavg = web.say, web.loadavg


def ms(values: list[float]) -> str:
    p50, p95, p99 = login.percentiles(values)
    return f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms"


# ----------------------------------------------------------------------------- the data


def make_resources():
    from digital.models import Resource

    kinds = ["presse", "livres_numeriques", "autoformation", "cinema", "musique", "bd",
             "jeunesse", "encyclopedies"]  # fmt: skip
    resources = []
    for n in range(RESOURCES):
        free = n >= RESOURCES - FREE_RESOURCES
        resources.append(
            Resource.objects.create(
                name=f"Ressource {n + 1:02d}", slug=f"ressource-{n + 1:02d}",
                vendor=f"Fournisseur {n % 17}", kind="ressources_libres" if free else kinds[n % 8],
                summary="Ressource du banc d'essai.", url=f"https://vendor{n}.example.org/",
                is_free=free,
            )
        )  # fmt: skip
    return resources


def _timestamps(rng: random.Random, year: int, count: int) -> list:
    from stats.aggregation import month_starts

    starts = month_starts(year)
    months = rng.choices(range(12), MONTH_WEIGHTS, k=count)
    hours = rng.choices(range(24), HOUR_WEIGHTS, k=count)
    out = []
    for month, hour in zip(months, hours, strict=True):
        days = (starts[month + 1] - starts[month]).days
        offset = timedelta(days=rng.randrange(days), hours=hour, seconds=rng.randrange(3600))
        out.append(starts[month] + offset)
    return out


def generate_events(year: int, resources) -> dict:
    """COPY ``EVENTS`` usage events of ``year`` into ``digital_usageevent``."""
    from django.db import connection

    from digital.usage import yearly_pseudonym
    from network.models import Commune, Library

    rng = random.Random(SEED)
    libraries = list(Library.objects.prefetch_related("communes").order_by("pk"))
    communes = list(Commune.objects.order_by("pk"))
    library_weights = [
        (sum(c.population or 0 for c in lib.communes.all()) or 3000) ** 0.85 for lib in libraries
    ]
    paid = resources[: RESOURCES - FREE_RESOURCES]
    free = resources[RESOURCES - FREE_RESOURCES :]
    appeal = [1 / (rank + 1) ** 0.9 for rank in range(RESOURCES)]
    activity = [rng.paretovariate(1.2) for _ in range(PATRONS)]
    named = EVENTS - round(EVENTS * ANONYMOUS_SHARE)
    scale = named / sum(activity)
    counts = [max(1, round(a * scale)) for a in activity]
    counts[counts.index(max(counts))] += named - sum(counts)  # exactly ``named``
    rows = 0
    started = time.perf_counter()
    connection.ensure_connection()
    columns = (
        "resource_id, at, patron_hash, home_library_id, commune_id, age_band, card_kind, on_site"
    )
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY digital_usageevent ({columns}) FROM STDIN") as copy,
    ):
        for n, count in enumerate(counts):
            library = rng.choices(libraries, library_weights)[0]
            home = list(library.communes.all())
            commune = home[0] if home and rng.random() < 0.85 else rng.choice(communes)
            card = "bibliotheque" if rng.random() < 0.85 else "metropolitaine"
            age = rng.choices(AGE_BANDS, AGE_WEIGHTS)[0]
            favourites = [
                r.pk for r in rng.choices(resources, appeal, k=rng.choice([1, 1, 2, 2, 3, 4]))
            ]
            pseudonym = yearly_pseudonym(n + 1, year)
            for at in _timestamps(rng, year, count):
                copy.write_row((rng.choice(favourites), at, pseudonym, library.pk,
                                commune.pk, age, card, False))  # fmt: skip
            rows += count
        anonymous = EVENTS - rows
        for at in _timestamps(rng, year, anonymous):
            on_site = rng.random() < 0.2
            library = rng.choice(libraries).pk if on_site else None
            copy.write_row((rng.choice(free).pk, at, "", library, None, "", "aucune",
                            on_site))  # fmt: skip
    connection.connection.commit()
    return {
        "events": rows + anonymous, "anonymous": anonymous, "patrons": PATRONS,
        "max_per_patron": max(counts), "median_per_patron": statistics.median(counts),
        "seconds": time.perf_counter() - started, "paid": len(paid), "free": len(free),
    }  # fmt: skip


def build(env: dict[str, str], today: date, year: int) -> None:
    from django.db import connection

    from network.demo import load_demo_network

    took = web.manage(env, "migrate", "--no-input")
    say(f"  {'manage.py migrate':<34} {took:6.1f} s")
    started = time.perf_counter()
    summary = load_demo_network(today)
    say(
        f"  {'demo network':<34} {time.perf_counter() - started:6.1f} s  "
        f"({summary['communes']} communes, {summary['sites_created']} sites)"
    )
    resources = make_resources()
    made = generate_events(year, resources)
    say(
        f"  {'usage events (COPY)':<34} {made['seconds']:6.1f} s  ({made['events']:,} events "
        f"of {year}: {made['anonymous']:,} anonymous, {made['patrons']:,} patrons, "
        f"{made['median_per_patron']:.0f} accesses each at the median, "
        f"{made['max_per_patron']:,} at most; {made['paid']} paid and {made['free']} free "
        "resources)"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('digital_usageevent'))")
        size = cursor.fetchone()[0]
    say(f"  {'ANALYZE':<34} {time.perf_counter() - started:6.1f} s  (table + indexes: {size})")


# ----------------------------------------------------------------------------- dashboard


def time_dashboard(year: int, runs: int) -> list[dict]:
    from stats.aggregation import aggregate_usage, count_usage
    from stats.selectors import usage_dashboard

    results = []
    for run in range(runs):
        started = time.perf_counter()
        count_usage(year)
        counted = time.perf_counter() - started
        started = time.perf_counter()
        written = aggregate_usage(year)
        job = time.perf_counter() - started
        started = time.perf_counter()
        dashboard = usage_dashboard(year)
        read_year = time.perf_counter() - started
        started = time.perf_counter()
        usage_dashboard(year, 3)
        read_month = time.perf_counter() - started
        results.append({"count": counted, "job": job, "read": read_year, "month": read_month,
                        "figures": written})  # fmt: skip
        say(
            f"  run {run + 1}: statement alone {counted * 1000:6.0f} ms | job (statement + "
            f"{written:,} figures written) {job * 1000:6.0f} ms | dashboard read: year "
            f"{read_year * 1000:4.0f} ms, March {read_month * 1000:4.0f} ms | job + read "
            f"{(job + read_year) * 1000:6.0f} ms   (load {loadavg()})"
        )
    total = dashboard.total
    say(
        f"  the year's figures: {total.accesses:,} accesses, {total.users:,} users, "
        f"{total.card_users:,} with a library card; {len(dashboard.by_resource)} resources, "
        f"{len(dashboard.by_library)} library lines, {len(dashboard.by_commune)} commune lines"
    )
    return results


def explain(year: int) -> None:
    from django.db import connection, transaction

    from stats.aggregation import LIBRARY_CARD, _postgresql_statement, month_starts

    starts = month_starts(year)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) " + _postgresql_statement(),
            [*starts[1:12], LIBRARY_CARD, starts[0], starts[12]],
        )
        plan = [row[0] for row in cursor.fetchall()]
    say("  EXPLAIN (ANALYZE, BUFFERS) of the job's statement (conditions shortened):")
    for line in plan:
        if "Key:" in line or "Filter:" in line or "Output:" in line:
            line = line[:150] + ("…" if len(line) > 150 else "")
        if "CASE WHEN" in line:
            line = re.sub(r"CASE WHEN .* END", "CASE … END", line)
        say("    " + line)


def check(year: int) -> None:
    from stats.aggregation import _count_in_postgresql, _count_portably, month_starts

    starts = month_starts(year)
    started = time.perf_counter()
    fast = _count_in_postgresql(starts, starts[0], starts[12])
    took_fast = time.perf_counter() - started
    started = time.perf_counter()
    portable = _count_portably(starts[0], starts[12])
    took_portable = time.perf_counter() - started
    same = fast == portable
    say(
        f"  check: PostgreSQL statement {took_fast:.2f} s, portable count (Python sets, what "
        f"SQLite runs) {took_portable:.2f} s: {len(fast):,} figures, "
        + ("identical" if same else "DIFFERENT")
    )
    if not same:
        differ = [k for k in set(fast) | set(portable) if fast.get(k) != portable.get(k)]
        for key in differ[:10]:
            say(f"    {key}: {fast.get(key)} vs {portable.get(key)}")
        raise web.BenchError("the two counts differ")


# ----------------------------------------------------------------------------- access


def make_patron(resource_slug: str):
    """A patron with a valid card of the biggest library, logged in: the session cookie."""
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from accounts.models import LibraryCard, Patron, Role, User
    from connectors.models import Connector
    from network.models import Library

    library = Library.objects.order_by("-sites__seats", "pk").first() or Library.objects.first()
    user = User.objects.create(username="bench.patron@example.org", role=Role.PATRON)
    patron = Patron.objects.create(
        user=user, home_library=library, commune=library.communes.first(), age_band="26-64"
    )
    connector = Connector.objects.create(library=library, name="Banc d'essai", driver="demo")
    LibraryCard.objects.create(
        patron=patron, connector=connector, card_number="BENCH0001",
        expires_on=timezone.localdate() + timedelta(days=300), checked_at=timezone.now(),
    )  # fmt: skip
    client = Client()
    client.force_login(user)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


def prepare_clients(port: int, clients: int, cookie: tuple[str, str], slug: str):
    browsers = []
    for _ in range(clients):
        browser = login.Browser(port)
        browser.cookies[cookie[0]] = cookie[1]
        status, page = browser.request("GET", f"/ressources-numeriques/{slug}/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise web.BenchError(f"the resource page answered {status} without an Accéder form")
        browser.token = match.group(1)
        browsers.append(browser)
    return browsers


def run_phase(browsers, requests: int, action) -> tuple[list[float], float]:
    timings: list[float] = []
    lock = threading.Lock()
    per_client = max(1, requests // len(browsers))

    def client(browser) -> None:
        for _ in range(per_client):
            started = time.perf_counter()
            action(browser)
            took = (time.perf_counter() - started) * 1000
            with lock:
                timings.append(took)

    busy = web.machine_busy()
    with ThreadPoolExecutor(len(browsers)) as pool:
        list(pool.map(client, browsers))
    return timings, login.busy_share(busy, web.machine_busy())


def bare(browser) -> None:
    status, _ = browser.request("GET", web.BARE)
    if status != 200:
        raise web.BenchError(f"the bare view answered {status}")


def opener(slug: str):
    def open_(browser) -> None:
        body = urlencode({"csrfmiddlewaretoken": browser.token})
        status, _ = browser.request("POST", f"/ressources-numeriques/{slug}/acceder/", body)
        if status != 303:
            raise web.BenchError(f"the access redirect answered {status}")

    return open_


# ----------------------------------------------------------------------------- main


def main() -> int:  # noqa: C901 - one run, in order
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5, help="job + read runs (5)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument("--requests", type=int, default=1000, help="requests per phase")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up requests per phase")
    parser.add_argument("--no-check", action="store_true", help="skip the portable count")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, web._terminated)

    server = None
    db_lock = None
    created = False
    with tempfile.TemporaryDirectory(prefix="metrobib-bench-usage-") as tmp:
        workdir = Path(tmp)
        try:
            env = web.server_env(
                f"{web.DB_SERVER}/{DB_NAME}", workdir / "static", workdir / "media",
                allowed_hosts=HOST,
            )  # fmt: skip
            for name in ("REDIS_URL", "SITE_URL", "DJANGO_SETTINGS_MODULE"):
                os.environ.pop(name, None)
            os.environ.update(env)
            say(
                f"Métrobib usage benchmark — {web.NCPU} cores, Python {sys.version.split()[0]}, "
                f"load average {loadavg()}"
            )
            db_lock = web.lock_database(DB_NAME)
            web.collect_static(env)
            import django

            say(f"database: {web.DB_SERVER}/{DB_NAME} (throw-away)")
            web.create_database(DB_NAME)
            created = True
            django.setup()
            today = date.today()
            year = today.year - 1
            build(env, today, year)

            say(f"\nDashboard of {year} from the raw events, {args.runs} runs (target: job + "
                f"read ≤ {JOB_TARGET_S:.0f} s)")  # fmt: skip
            results = time_dashboard(year, args.runs)
            totals = sorted(r["job"] + r["read"] for r in results)
            best, median = totals[0], statistics.median(totals)
            verdict = "PASS" if median <= JOB_TARGET_S else "FAIL"
            say(f"  job + read: median {median:.2f} s, best {best:.2f} s — {verdict}")
            explain(year)
            if not args.no_check:
                check(year)

            from django.db import connections

            slug = "ressource-01"
            cookie = make_patron(slug)
            connections.close_all()
            port = web.free_port()
            server = login.start_gunicorn(env, port, workdir / "gunicorn.log", WORKERS, THREADS, [])
            say(
                f"\nAccess redirect: gunicorn {WORKERS} workers × {THREADS} threads (gthread), "
                f"DEBUG off; {args.clients} clients, {args.requests} requests per phase after "
                f"{args.warmup} of warm-up"
            )
            browsers = prepare_clients(port, args.clients, cookie, slug)
            open_ = opener(slug)
            run_phase(browsers, args.warmup, bare)
            bare_times, bare_busy = run_phase(browsers, args.requests, bare)
            run_phase(browsers, args.warmup, open_)
            open_times, open_busy = run_phase(browsers, args.requests, open_)
            again, again_busy = run_phase(browsers, args.requests, bare)
            p95 = login.percentiles(open_times)[1]
            say(f"  {'bare view (ref)':<30} {ms(bare_times)}   machine busy {bare_busy:3.0f} %")
            say(
                f"  {'POST …/acceder/ → 303':<30} {ms(open_times)}   machine busy "
                f"{open_busy:3.0f} %   {'PASS' if p95 <= ACCESS_TARGET_MS else 'FAIL'} "
                f"(p95 ≤ {ACCESS_TARGET_MS:.0f} ms)"
            )
            say(f"  {'bare view (again)':<30} {ms(again)}   machine busy {again_busy:3.0f} %")
            from digital.models import UsageEvent

            recorded = UsageEvent.objects.filter(at__year=today.year).count()
            say(f"  usage events recorded by the redirect: {recorded:,}")
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
                    web.drop_database(DB_NAME)
                except Exception as exc:  # noqa: BLE001 - clean-up must go on
                    say(f"bench: could not drop {DB_NAME}: {exc}")
            if db_lock is not None:
                db_lock.close()


if __name__ == "__main__":
    sys.exit(main())
