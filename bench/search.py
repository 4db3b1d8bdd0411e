"""Catalogue search benchmark (``make bench-search``), on the data ``make bench-data`` built.

It prints figures and is never a test: it exits 0 whether the targets are met or not
(non-zero only when it cannot run). In one run:

1. draws 1,000 queries (fixed seed) from the data's own vocabulary — 40 % title words
   (one to three words of a real title), 20 % authors (a surname, sometimes forename and
   surname), 10 % ISBN (half with hyphens), 20 % subject words with one or two facet
   filters (the page's URL parameters: ``type``, ``bibliotheque``, ``commune``, ``langue``,
   ``disponible``, ``public``, ``annee``), 10 % title words with a typo (a letter dropped,
   doubled or swapped) — from the works of the SQLite subset, so that every data set
   holds them;
2. serves the project with gunicorn (production settings, DEBUG off) on the PostgreSQL
   data set (2,000,000 records) and replays the queries over HTTP through
   ``/catalogue/`` (facet counts included: the page computes them) at 10 concurrent
   clients after a warm-up with other queries; then 1,000 random work pages
   (``/catalogue/oeuvre/<id>/``, without live availability);
3. the same queries against a server on the SQLite data set (200,000 records);
4. the same queries as SRU ``searchRetrieve`` against ``zebrasrv`` on a Zebra index of the
   same 2,000,000 records (the reference): CQL with each query's words ANDed on the
   index they come from (``dc.title``, ``dc.creator``, ``dc.subject``), the ISBN on
   ``bath.isbn``; 20 MARCXML records per answer. Plain Zebra SRU has no facets: the facet
   filters of the subject queries are dropped there, and Zebra computes no facet counts;
5. prints p50/p95/p99 and throughput of each, ours as ratios of Zebra's, the breakdown by
   query kind and by result size, the load average before and after each phase; then,
   for the slowest requests, where their time goes (SQL statements against the rest of
   the request) and ``EXPLAIN (ANALYZE, BUFFERS)`` of their slowest statement, and a
   pyinstrument profile of the slowest one when pyinstrument is installed.

    .venv/bin/python bench/searchdata.py      # once: the data (make bench-data)
    .venv/bin/python bench/search.py          # make bench-search
    .venv/bin/python bench/search.py --queries 200 --clients 10 --only postgres
    .venv/bin/python bench/search.py --compare COMMIT COMMIT   # in process, alternating
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import searchdata as data  # noqa: E402
from bench.web import (  # noqa: E402
    CLK_TCK,
    _all_pids,
    _cpu_ticks,
    _percentile,
    _proc_stat,
    free_port,
    gunicorn_ticks,
    machine_busy,
    server_env,
    stop,
    ticks_delta,
)

HOST = "127.0.0.1"
SEED = 7
# gunicorn sync workers: a search request spends much of its time waiting for
# PostgreSQL (its own processes), so two workers per core keep both cores busy while
# one request waits on the database; more would only queue on the same two cores.
WORKERS = 4
NCPU = os.cpu_count() or 1
TARGETS_MS = {"postgres": 150.0, "sqlite": 100.0, "work": 50.0}
KINDS = ("title", "author", "isbn", "subject+facets", "typo")
MIX = (("title", 40), ("author", 20), ("isbn", 10), ("subject+facets", 20), ("typo", 10))
FACET_PARAMS = (("t", 3), ("b", 3), ("c", 2), ("l", 2), ("d", 2), ("p", 1), ("y", 1))
SRU_RECORDS = 20


def say(*args: object) -> None:
    print(*args, flush=True)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


class BenchError(RuntimeError):
    pass


# =========================================================================== queries


@dataclass
class Query:
    kind: str
    params: list[tuple[str, str]]  # the page's URL parameters
    cql: str  # the same query for Zebra's SRU
    total: int | None = None  # results (ours), read after the timed run
    exact: bool | None = None
    zebra_hits: int | None = None

    @property
    def path(self) -> str:
        return "/catalogue/?" + urlencode(self.params)


class Source:
    """Reads what queries are drawn from: the first works (those of the SQLite subset),
    from PostgreSQL or SQLite — the same rows in both."""

    def __init__(self, last_work: int):
        self.last_work = last_work
        stamp = data.postgres_stamp()
        if stamp:
            import psycopg

            # Autocommit: an open transaction would hold locks on the bench tables.
            self.conn = psycopg.connect(data.DATABASE_URL, autocommit=True)
            self.vendor = "postgresql"
        else:
            import sqlite3

            self.conn = sqlite3.connect(f"file:{data.SQLITE_PATH}?mode=ro", uri=True)
            self.vendor = "sqlite"

    def rows(self, sql: str) -> list[tuple]:
        cursor = self.conn.cursor()
        cursor.execute(sql.replace("%s", "?") if self.vendor == "sqlite" else sql, [self.last_work])
        return cursor.fetchall()

    def _json(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def works(self) -> list[tuple[int, str, str]]:
        return self.rows(
            "SELECT id, title, main_author FROM catalogue_work WHERE id <= %s ORDER BY id"
        )

    def work_ids(self) -> list[int]:
        """Every work of the PostgreSQL data set (merged works redirect: not pages)."""
        cursor = self.conn.cursor()
        cursor.execute("SELECT id FROM catalogue_work ORDER BY id")
        return [row[0] for row in cursor.fetchall()]

    def persons(self) -> list[str]:
        """First authors that are persons ("Surname, Forename"), one per record."""
        rows = self.rows("SELECT authors FROM catalogue_record WHERE work_id <= %s ORDER BY id")
        found = []
        for (value,) in rows:
            authors = self._json(value)
            if authors and authors[0]["kind"] == "person" and ", " in authors[0]["name"]:
                found.append(authors[0]["name"])
        return found

    def isbns(self) -> list[str]:
        rows = self.rows("SELECT isbns FROM catalogue_record WHERE work_id <= %s ORDER BY id")
        return [isbn for (value,) in rows for isbn in self._json(value)[:1]]

    def subjects(self) -> list[tuple[int, list[str]]]:
        rows = self.rows(
            "SELECT work_id, subjects FROM catalogue_record WHERE work_id <= %s ORDER BY id"
        )
        return [(w, s) for w, value in rows if (s := self._json(value))]

    def facets(self) -> dict[int, list[str]]:
        """Each work's facet tokens, sorted (as the documents list them)."""
        if self.vendor == "postgresql":
            cursor = self.conn.cursor()
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'catalogue_workindex'"
            )
            if "facets" in {row[0] for row in cursor.fetchall()}:  # before migration 0008
                rows = self.rows(
                    "SELECT work_id, facets FROM catalogue_workindex WHERE work_id <= %s"
                )
                return {w: list(f) for w, f in rows}
            return self._numbered()
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(catalogue_workindex)")}
        if "facet_ids" in columns:  # migration 0008: numbers
            return self._numbered()
        if "facet_list" not in columns:  # --snapshot of a commit before 58f4dea: a table
            found: dict[int, list[str]] = defaultdict(list)
            for work_id, token in self.rows(
                "SELECT work_id, facet FROM catalogue_workfacet WHERE work_id <= %s ORDER BY facet"
            ):
                found[work_id].append(token)
            return found
        # catalogue.search.sqlite: a work's facet tokens in one column, U+001F between them.
        rows = self.rows("SELECT work_id, facet_list FROM catalogue_workindex WHERE work_id <= %s")
        return {w: sorted(f.split("\x1f")) for w, f in rows if f}

    def _numbered(self) -> dict[int, list[str]]:
        """Facet tokens stored as numbers (catalogue.search.facet_ids), named."""
        from catalogue.search import facet_ids

        cursor = self.conn.cursor()
        cursor.execute("SELECT id, token FROM catalogue_facettoken")
        names = dict(cursor.fetchall())
        rows = self.rows("SELECT work_id, facet_ids FROM catalogue_workindex WHERE work_id <= %s")
        return {
            work_id: sorted(names[n] for n in facet_ids.unpack(value))
            for work_id, value in rows
            if value
        }


def draw(source: Source, count: int, warmup: int) -> tuple[list[Query], list[Query]]:
    """A run's queries and its warm-up's (other queries: their own seed)."""
    return make_queries(source, count, SEED), make_queries(source, warmup, SEED + 1)


def _content_words(text: str) -> list[str]:
    from catalogue.search.analysis import STOP_WORDS, fold

    words = []
    for token in data.title_tokens(text):
        word = data._ELISION.sub("", token)
        if len(word) >= 3 and word.isalpha() and fold(word) not in STOP_WORDS:
            words.append(word)
    return words


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    how = rng.choice(("drop", "double", "swap"))
    if how == "drop":
        return word[:i] + word[i + 1 :]
    if how == "double":
        return word[: i + 1] + word[i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _cql(index: str, words: list[str]) -> str:
    return " and ".join(f'{index}="{w.replace(chr(34), "")}"' for w in words)


def make_queries(source: Source, count: int, seed: int) -> list[Query]:
    """``count`` queries of the mix, drawn with ``seed`` (the same data, the same seed:
    the same queries)."""
    from stdnum import isbn as stdnum_isbn

    from catalogue.search.facets import BY_PREFIX

    rng = random.Random(seed)
    works = source.works()
    titled = [(w, words) for w, title, _a in works if (words := _content_words(title))]
    long_words = [(w, ws) for w, ws in titled if any(len(x) >= 5 for x in ws)]
    persons = source.persons()
    isbns = source.isbns()
    subjects = source.subjects()
    facets = source.facets()
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    queries = []
    for _ in range(count):
        kind = rng.choice(kinds)
        if kind in ("title", "typo"):
            _work, words = rng.choice(long_words if kind == "typo" else titled)
            n = min(len(words), rng.choice((1, 1, 1, 2, 2, 3)) if kind == "title" else 2)
            start = rng.randrange(0, len(words) - n + 1)
            chosen = words[start : start + n]
            if kind == "typo":
                at = max(range(len(chosen)), key=lambda i: len(chosen[i]))
                if len(chosen[at]) < 5:
                    chosen = [max(words, key=len)]
                    at = 0
                chosen[at] = _typo(rng, chosen[at])
            queries.append(Query(kind, [("q", " ".join(chosen))], _cql("dc.title", chosen)))
        elif kind == "author":
            surname, _, forename = rng.choice(persons).partition(", ")
            typed = surname if rng.random() < 0.7 or not forename else f"{forename} {surname}"
            queries.append(Query(kind, [("q", typed)], _cql("dc.creator", typed.split())))
        elif kind == "isbn":
            number = rng.choice(isbns)
            typed = stdnum_isbn.format(number) if rng.random() < 0.5 else number
            queries.append(Query(kind, [("q", typed)], f"bath.isbn={number}"))
        else:
            work_id, headings = rng.choice(subjects)
            words = _content_words(rng.choice(headings).split(" -- ")[0]) or ["histoire"]
            n = min(len(words), rng.choice((1, 1, 2)))
            start = rng.randrange(0, len(words) - n + 1)
            chosen = words[start : start + n]
            params = [("q", " ".join(chosen))]
            tokens = facets.get(work_id, [])
            wanted = rng.choice((1, 2))
            prefixes = [p for p, weight in FACET_PARAMS for _ in range(weight)]
            used: set[str] = set()
            while len(used) < wanted and len(used) < len(FACET_PARAMS):
                prefix = rng.choice(prefixes)
                values = [t[2:] for t in tokens if t.startswith(prefix + ":")]
                if prefix in used or not values:
                    if not any(t.startswith(p + ":") for p, _w in FACET_PARAMS for t in tokens):
                        break
                    used.add(prefix)
                    continue
                used.add(prefix)
                params.append((BY_PREFIX[prefix].name, rng.choice(values)))
            queries.append(Query(kind, params, _cql("dc.subject", chosen)))
    return queries


# =========================================================================== load


@dataclass
class Sample:
    index: int
    seconds: float
    status: int
    size: int


@dataclass
class Run:
    label: str
    samples: list[Sample]
    wall: float
    load_before: str
    load_after: str
    server_cpu: float = 0.0
    db_cpu: float | None = None
    db_faults: int | None = None  # minor page faults of its PostgreSQL backends
    generator_cpu: float = 0.0  # this process: the load generator's threads
    busy: float = 0.0
    reference_ms: tuple[float, float] = (0.0, 0.0)  # reference_loop() before and after
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for s in self.samples if s.status != 200)

    def percentile(self, pct: float, indexes: set[int] | None = None) -> float:
        values = sorted(s.seconds for s in self.samples if indexes is None or s.index in indexes)
        return _percentile(values, pct) * 1000 if values else float("nan")

    @property
    def rps(self) -> float:
        return len(self.samples) / self.wall if self.wall else 0.0


def fetch(host: str, port: int, path: str, timeout: float) -> tuple[int, int]:
    """GET ``path`` on a new connection (gunicorn's sync workers close each one): the
    status and the body's size, or (0, 0) when the request failed. Plain ``http.client``:
    the load generator shares the server's two cores, and httpx cost it about four times
    as much CPU a request (1.02 against 0.24 ms, 2,000 requests to a local server), 1.4 ms
    of a search's 20."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept": "text/html,*/*"})
        response = connection.getresponse()
        return response.status, len(response.read())
    except (OSError, http.client.HTTPException):
        return 0, 0
    finally:
        connection.close()


def replay(
    base: str, paths: list[str], clients: int, timeout: float = 120
) -> tuple[list[Sample], float]:
    """Every path once, by ``clients`` threads taking the next one as they finish; the
    latency of each request from sending it to its last byte."""
    address = urlsplit(base)
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for item in enumerate(paths):
        todo.put(item)
    samples: list[Sample] = []
    lock = threading.Lock()
    gate = threading.Barrier(clients + 1)

    def client() -> None:
        gate.wait()
        while True:
            try:
                index, path = todo.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            status, size = fetch(address.hostname, address.port, path, timeout)
            took = time.perf_counter() - started
            with lock:
                samples.append(Sample(index, took, status, size))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return samples, time.perf_counter() - started


APPLICATION = "metrobib-bench-search"  # the server's PostgreSQL sessions (pg_stat_activity)


def sessions() -> tuple[set[int], list[str]]:
    """The backends of the benchmark's server on the bench database, and what any other
    session there is doing (another process using the bench data disturbs the figures)."""
    import psycopg

    with psycopg.connect(data.DATABASE_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid, application_name, state, "
            "left(regexp_replace(query, '\\s+', ' ', 'g'), 70) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    ours = {pid for pid, name, _state, _query in rows if name == APPLICATION}
    others = [
        f"pid {pid} {name or '-'} {state}: {query}"
        for pid, name, state, query in rows
        if name != APPLICATION and state not in ("idle", None)
    ]
    return ours, others


def server_settings() -> str:
    """What the figures depend on in the server's configuration (it is shared: others
    may change it between runs)."""
    import psycopg

    names = ("server_version", "shared_buffers", "effective_cache_size", "work_mem", "jit",
             "random_page_cost", "autovacuum", "huge_pages")  # fmt: skip
    with psycopg.connect(data.DATABASE_URL, autocommit=True) as conn:
        values = [conn.execute(f"SHOW {name}").fetchone()[0] for name in names]
        started = conn.execute("SELECT pg_postmaster_start_time()::timestamp(0)").fetchone()[0]
        buffers, documents = conn.execute(
            "SELECT setting::bigint * current_setting('block_size')::bigint, "
            "pg_total_relation_size('catalogue_workindex') "
            "FROM pg_settings WHERE name = 'shared_buffers'"
        ).fetchone()
    settings = ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=True))
    described = f"{settings}; up since {started} UTC"
    if buffers < documents:
        # Then a narrow query's matches are copied from the system's cache page by page,
        # which costs PostgreSQL a third more CPU per search (bench/README.md, 5 December).
        described += (
            f"\nwarning: shared_buffers ({data.mb(buffers)}) is smaller than the search "
            f"documents ({data.mb(documents)}): give it a quarter of the memory (README)"
        )
    return described


def postgres_counters(pids: set[int]) -> tuple[dict[int, int], dict[int, int]]:
    """CPU ticks and minor page faults of these PostgreSQL backends (when the server runs
    on this machine). A backend maps each page of ``shared_buffers`` the first time it
    touches it, a few microseconds a fault on a virtual machine, unless the buffers are in
    huge pages (bench/README.md, 5 December, a sixth session)."""
    ticks, faults = {}, {}
    for pid in pids:
        fields = _proc_stat(pid)
        if fields:
            ticks[pid], faults[pid] = _cpu_ticks(fields), int(fields[9])  # minflt
    return ticks, faults


def group_ticks(leader: int) -> dict[int, int]:
    """CPU ticks of a process and its children, those that ended included (zebrasrv
    forks one per connection; the parent's cutime and cstime hold the ended ones)."""
    ticks = {}
    for pid in _all_pids():
        fields = _proc_stat(pid)
        if fields and pid == leader:
            ticks[pid] = _cpu_ticks(fields) + int(fields[15]) + int(fields[16])
        elif fields and int(fields[3]) == leader:
            ticks[pid] = _cpu_ticks(fields)
    return ticks


def reference_loop() -> float:
    """CPU milliseconds of a fixed pure-Python workload, the best of five: this machine's
    speed right now. A shared virtual machine's speed drifts by a fifth from one minute to
    the next (5 December 2026: the same loop took 268 to 399 ms on an idle machine), so a
    run's figures are read beside the loop's time measured with them."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        total = 0
        for number in range(200_000):
            total += number * number
        best = min(best, time.process_time() - started)
    return best * 1000


def measure(label: str, base: str, paths: list[str], clients: int, server_pid: int,
            postgres: bool = False) -> Run:  # fmt: skip
    reference_before = reference_loop()
    before = load()
    ours, others = sessions() if postgres else (set(), [])
    server0, busy0, own0 = group_ticks(server_pid), machine_busy(), os.times()
    db0, faults0 = postgres_counters(ours)
    samples, wall = replay(base, paths, clients)
    server1, busy1, own1 = group_ticks(server_pid), machine_busy(), os.times()
    if postgres:
        ours_after, others_after = sessions()
        others = list(dict.fromkeys(others + others_after))
    db1, faults1 = postgres_counters(ours_after) if postgres else ({}, {})
    run = Run(label, samples, wall, before, load())
    run.reference_ms = (reference_before, reference_loop())
    for other in others:
        run.notes.append(f"another session used the bench database during the run: {other}")
    run.server_cpu = ticks_delta(server0, server1)
    run.generator_cpu = (own1.user - own0.user) + (own1.system - own0.system)
    run.db_cpu = ticks_delta(db0, db1) if (db0 or db1) else None
    if faults1:
        run.db_faults = sum(n - faults0.get(pid, 0) for pid, n in faults1.items())
    busy, total = busy1[0] - busy0[0], busy1[1] - busy0[1]
    run.busy = busy / total if total else 0.0
    if run.errors:
        statuses = sorted({s.status for s in samples if s.status != 200})
        run.notes.append(f"{run.errors} failed requests (status {statuses})")
    say(
        f"  {label}: {len(samples)} requests in {wall:.1f} s, p95 {run.percentile(95):.0f} ms"
        f" (load {before} → {run.load_after})"
    )
    return run


# =========================================================================== servers


def collect_static(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BenchError(f"collectstatic failed:\n{result.stdout}{result.stderr}")


def start_gunicorn(env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "bench.wsgi_bench:application", "--chdir", str(ROOT),
        "--bind", f"{HOST}:{port}", "--workers", str(workers), "--worker-class", "sync",
        "--timeout", "300", "--log-level", "warning", "--error-logfile", str(log),
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode}:\n{log.read_text()}")
        ready = fetch(HOST, port, "/bench/bare/", 2)[0] == 200
        if ready and len(gunicorn_ticks(proc.pid)) >= workers + 1:
            return proc, base
        time.sleep(0.2)
    stop(proc)
    raise BenchError(f"gunicorn did not answer within 90 s:\n{log.read_text()}")


def start_zebrasrv(directory: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    template = (data.ZEBRA_CONFIG / "yazgfs.xml").read_text()
    (directory / "yazgfs.xml").write_text(template.replace("@LISTEN@", f"tcp:{HOST}:{port}"))
    log = (directory / "zebrasrv.log").open("w")
    proc = subprocess.Popen(
        ["zebrasrv", "-f", "yazgfs.xml"],
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"zebrasrv exited:\n{(directory / 'zebrasrv.log').read_text()}")
        try:
            httpx.get(
                base + "/Default", params={"version": "1.2", "operation": "explain"}, timeout=2
            )
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    stop_group(proc)
    raise BenchError("zebrasrv did not answer within 60 s")


def stop_group(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def sru_path(query: Query) -> str:
    params = {
        "version": "1.2",
        "operation": "searchRetrieve",
        "query": query.cql,
        "maximumRecords": str(SRU_RECORDS),
        "recordSchema": "marcxml",
    }
    return "/Default?" + urlencode(params)


def classify(base: str, queries: list[Query]) -> None:
    """Each query's result size, from the JSON API (same reading of the parameters as
    the page), after the timed run so that it does not warm what is measured."""
    import httpx

    with httpx.Client(base_url=base, timeout=300) as http:
        for query in queries:
            reply = http.get("/api/v1/catalogue/search", params=query.params)
            if reply.status_code == 200:
                body = reply.json()
                query.total, query.exact = body["total"], body["exact"]


def zebra_hits(base: str, queries: list[Query]) -> None:
    import httpx

    with httpx.Client(timeout=120) as http:
        for query in queries:
            reply = http.get(
                base + sru_path(query).replace("maximumRecords=20", "maximumRecords=0")
            )
            found = re.search(rb"<(?:zs:)?numberOfRecords>(\d+)<", reply.content)
            query.zebra_hits = int(found.group(1)) if found else None


# =========================================================================== report


def size_class(query: Query) -> str:
    if query.total is None:
        return "unknown"
    if not query.exact:
        return "estimated (> 10,000)"
    if query.total == 0:
        return "exact: none"
    if query.total <= 100:
        return "exact: 1–100"
    return "exact: 101–10,000"


def _row(label: str, run: Run, indexes: set[int] | None = None, reference: Run | None = None,
         target: float | None = None) -> str:  # fmt: skip
    p = [run.percentile(x, indexes) for x in (50, 95, 99)]
    n = len(indexes) if indexes is not None else len(run.samples)
    text = f"  {label:<34} {n:>5} {p[0]:>8.1f} {p[1]:>8.1f} {p[2]:>8.1f}"
    if indexes is None:
        text += f" {run.rps:>7.1f}"
    else:
        text += f" {'':>7}"
    if reference is not None:
        r = [reference.percentile(x, indexes) for x in (50, 95, 99)]
        text += "  " + " ".join(f"{a / b:>5.1f}×" for a, b in zip(p, r, strict=True))
    elif target is not None:
        text += " " * 22
    if target is not None:
        verdict = "PASS" if p[1] <= target else "FAIL"
        text += f"   p95 ≤ {target:.0f} ms: {verdict}"
    return text


def header(with_reference: bool) -> str:
    text = f"  {'':<34} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}"
    if with_reference:
        text += "  " + " ".join(f"{x:>6}" for x in ("p50", "p95", "p99")) + " (× Zebra)"
    return text


def breakdown(run: Run, queries: list[Query], reference: Run | None) -> None:
    say(f"  by kind ({run.label}):")
    for kind in KINDS:
        indexes = {i for i, q in enumerate(queries) if q.kind == kind}
        if indexes:
            say(_row(kind, run, indexes, reference))
    say(f"  by result size ({run.label}):")
    classes = defaultdict(set)
    for i, q in enumerate(queries):
        classes[size_class(q)].add(i)
    for name in ("exact: none", "exact: 1–100", "exact: 101–10,000", "estimated (> 10,000)",
                 "unknown"):  # fmt: skip
        if classes.get(name):
            say(_row(name, run, classes[name], reference))


def cpu_line(run: Run) -> str:
    capacity = run.wall * NCPU
    db = f", database {run.db_cpu:.1f} s" if run.db_cpu is not None else ""
    if run.db_faults is not None:
        db += f" ({run.db_faults / max(len(run.samples), 1):,.0f} minor page faults/request)"
    return (
        f"  {run.label}: server {run.server_cpu:.1f} CPU s "
        f"({run.server_cpu * 1000 / max(len(run.samples), 1):.1f} ms/request){db}, "
        f"load generator {run.generator_cpu:.1f} s; "
        f"machine busy {run.busy:.0%} of {NCPU} cores over {run.wall:.1f} s "
        f"({capacity:.0f} CPU s); load {run.load_before} → {run.load_after}; "
        f"reference loop {run.reference_ms[0]:.1f} → {run.reference_ms[1]:.1f} ms "
        "(the machine's speed: lower is faster)"
    )


# =========================================================================== diagnosis


# What each SQL statement of a request is, by the step of the engine that sends it (the
# statements of catalogue/search/postgres.py as of commit 3791dd6; markers matched in
# order on the statement's text, "other" for the rest).
STATEMENTS = (
    ("size on the 2 % sample", "FROM catalogue_workindex_sample"),
    ("narrow: count, rank, facets (one)", "total AS (SELECT count(*)"),
    ("broad: exact-title candidates", "WITH titled AS MATERIALIZED"),
    ("broad: title/author candidates", "SELECT work_id, rank FROM catalogue_workindex WHERE"),
    ("broad: rank-index walk", "ORDER BY rank DESC, work_id LIMIT"),
    ("broad: ranking the candidates", "WHERE work_id = ANY("),
    ("spelling: works holding a term", "SELECT count(*) FROM (SELECT 1 FROM catalogue_workindex"),
    ("spelling: vocabulary", "catalogue_searchterm"),
    ("result rows (works)", 'FROM "catalogue_work"'),
    ("facet labels (network)", 'FROM "network_'),
)


def statement_kind(sql: str) -> str:
    sql = " ".join(sql.split())
    return next((name for name, marker in STATEMENTS if marker in sql), "other")


def _ms(values: list[float], pct: float) -> float:
    return _percentile(sorted(values), pct) * 1000 if values else 0.0


def diagnose_child(spec_path: str) -> int:
    """In-process replay on the PostgreSQL data set (caches warm from the HTTP run): every
    query once, its service time split into SQL statements (by engine step) and the rest
    (Python: search module, selectors, template), by kind and result size; then, for the
    slowest requests, their statements and EXPLAIN (ANALYZE, BUFFERS) of the slowest;
    and pyinstrument profiles when it is installed."""
    spec = json.loads(Path(spec_path).read_text())
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    client = Client()
    client.get("/catalogue/?q=warm")

    def timed(path: str) -> tuple[float, float, list, int]:
        calls: list[tuple[float, str, object]] = []

        def timer(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                calls.append((time.perf_counter() - started, sql, params))

        started = time.perf_counter()
        with connection.execute_wrapper(timer):
            response = client.get(path)
        total = time.perf_counter() - started
        return total, sum(c[0] for c in calls), calls, response.status_code

    measured = [(query, *timed(query["path"])) for query in spec["queries"]]

    say(
        f"Service time of each request alone (in-process, one at a time, {len(measured)} "
        "requests): total = SQL + Python (view, search module, selectors, template)"
    )
    say(
        f"  {'':<24} {'n':>5} {'total p50':>10} {'p95':>8} {'max':>8}  {'SQL p50':>8} {'p95':>8}"
        f"  {'Python p50':>10} {'p95':>8}"
    )
    groups: dict[str, list] = defaultdict(list)
    for item in measured:
        groups[item[0]["kind"]].append(item)
        groups["size: " + item[0]["size"]].append(item)
        groups["all"].append(item)
    for name in ["all", *KINDS, *sorted(k for k in groups if k.startswith("size: "))]:
        items = groups.get(name)
        if not items:
            continue
        totals = [i[1] for i in items]
        sqls = [i[2] for i in items]
        pythons = [i[1] - i[2] for i in items]
        say(
            f"  {name:<24} {len(items):>5} {_ms(totals, 50):>10.1f} {_ms(totals, 95):>8.1f} "
            f"{max(totals) * 1000:>8.0f}  {_ms(sqls, 50):>8.1f} {_ms(sqls, 95):>8.1f}  "
            f"{_ms(pythons, 50):>10.1f} {_ms(pythons, 95):>8.1f}"
        )
    by_statement: dict[str, list[float]] = defaultdict(list)
    for _query, _total, _sql, calls, _status in measured:
        for seconds, sql, _params in calls:
            by_statement[statement_kind(sql)].append(seconds)
    grand = sum(i[1] for i in measured)
    say(f"\nWhere the time of all {len(measured)} requests goes ({grand:.1f} s in all):")
    say(f"  {'':<34} {'statements':>10} {'seconds':>8} {'share':>6} {'p50 ms':>7} {'max ms':>8}")
    for name, values in sorted(by_statement.items(), key=lambda kv: -sum(kv[1])):
        say(
            f"  {name:<34} {len(values):>10} {sum(values):>8.1f} {sum(values) / grand:>6.0%} "
            f"{_ms(values, 50):>7.1f} {max(values) * 1000:>8.0f}"
        )
    python_total = grand - sum(i[2] for i in measured)
    label = "Python (everything but SQL)"
    say(f"  {label:<34} {'':>10} {python_total:>8.1f} {python_total / grand:>6.0%}")

    slowest, kinds_seen = [], set()
    for item in sorted(measured, key=lambda i: -i[1]):
        if item[0]["kind"] not in kinds_seen:
            kinds_seen.add(item[0]["kind"])
            slowest.append(item)
        if len(slowest) == spec["explain"]:
            break
    for query, total, sql_time, calls, status in slowest:
        say(f"\n### slowest {query['kind']} request: {query['path']} ({query['size']})")
        say(
            f"status {status}: {total * 1000:.0f} ms, of which {sql_time * 1000:.0f} ms in "
            f"{len(calls)} SQL statements and {(total - sql_time) * 1000:.0f} ms in Python"
        )
        for seconds, sql, _params in sorted(calls, key=lambda c: -c[0])[:6]:
            say(
                f"  {seconds * 1000:8.1f} ms  [{statement_kind(sql)}] {' '.join(sql.split())[:110]}"
            )
        seconds, sql, params = max(calls, key=lambda c: c[0])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        say(f"EXPLAIN (ANALYZE, BUFFERS) of its slowest statement ({seconds * 1000:.0f} ms then):")
        say("  " + " ".join(sql.split()))
        say("  params: " + repr(params)[:400])
        say(plan)
    pages = [(path, *timed(path)) for path in spec["work_paths"]]
    if pages:
        totals = [p[1] for p in pages]
        sqls = [p[2] for p in pages]
        say(
            f"\nWork pages alone ({len(pages)}): total p50 {_ms(totals, 50):.1f} ms, p95 "
            f"{_ms(totals, 95):.1f} ms; SQL p50 {_ms(sqls, 50):.1f} ms "
            f"({sorted(len(p[3]) for p in pages)[len(pages) // 2]} statements), Python p50 "
            f"{_ms([t - q for t, q in zip(totals, sqls, strict=True)], 50):.1f} ms"
        )
    try:
        from pyinstrument import Profiler
    except ImportError:
        say("\n(pyinstrument is not installed: `.venv/bin/pip install pyinstrument` for profiles)")
        return 0
    most_python = max(measured, key=lambda i: i[1] - i[2])
    profiled = [
        ("slowest search request", slowest[0][0]["path"]),
        ("search request with the most Python time", most_python[0]["path"]),
    ]
    if pages:
        median = sorted(pages, key=lambda p: p[1])[len(pages) // 2]
        profiled.append(("median work page", median[0]))
    for label, path in profiled:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        client.get(path)
        profiler.stop()
        say(f"\n### pyinstrument profile ({label}): {path}")
        say(profiler.output_text(unicode=False, color=False, show_all=False))
    return 0


def diagnose(env: dict[str, str], queries: list[Query], work_paths: list[str], explain: int,
             workdir: Path) -> None:  # fmt: skip
    spec = workdir / "diagnose.json"
    spec.write_text(
        json.dumps(
            {
                "queries": [
                    {"path": q.path, "kind": q.kind, "size": size_class(q)} for q in queries
                ],
                "explain": explain,
                "work_paths": work_paths,
            }
        )
    )
    subprocess.run(
        [sys.executable, __file__, "--diagnose", str(spec)], cwd=ROOT, env=env, check=False
    )


# =========================================================================== comparing

_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def replay_child(spec_path: str) -> int:
    """A replaying process of ``--compare``, in this snapshot's code: draws the queries as
    a run draws them, warms up, says it is ready, then replays the blocks of queries it is
    sent on standard input ("FIRST LAST") through Django's test client on one
    connection, answering each with its CPU (this process's: Python; its PostgreSQL
    backend's: the database) and a digest of each page."""
    spec = json.loads(Path(spec_path).read_text())
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("collectstatic", interactive=False, verbosity=0)
    source = Source(spec["subset"])
    queries, warmup = draw(source, spec["queries"], spec["warmup"])
    source.conn.close()
    client = Client()
    for query in warmup:
        client.get(query.path)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    print(json.dumps({"ready": backend}), flush=True)
    for line in sys.stdin:
        first, last = map(int, line.split())
        database, python = _cpu_ticks(_proc_stat(backend)), time.process_time()
        digests = []
        for query in queries[first:last]:
            response = client.get(query.path)
            page = hashlib.sha256(_CSRF.sub(b"", response.content)).hexdigest()
            digests.append(f"{response.status_code}:{page}")
        python = time.process_time() - python
        database = _cpu_ticks(_proc_stat(backend)) - database
        print(json.dumps({"python": python, "database": database, "digests": digests}), flush=True)
    return 0


def compare(commits: list[str], rounds: int, queries: int, warmup: int) -> int:
    """Two commits' searches replayed in process on the PostgreSQL data set, by two
    processes (one per commit, each with its own connection) taking turns on blocks of
    50 queries, the first of each pair of blocks alternating: the machine's drift (a fifth
    from minute to minute) then weighs on both alike, where it hides a few per cent between
    HTTP runs. Both see the same queries; their pages are compared too."""
    pg_stamp = data.postgres_stamp()
    if not pg_stamp:
        raise SystemExit("no PostgreSQL data set: run bench/searchdata.py (make bench-data)")
    say(
        f"Comparing {commits[0]} and {commits[1]} in process: {rounds} rounds of {queries} "
        f"queries on {pg_stamp['records']:,} records (load average {load()}, {NCPU} CPUs)"
    )
    block = 50
    totals = {commit: {"python": 0.0, "database": 0.0} for commit in commits}
    second_minus_first = 0.0  # the order effect: commits' differences cancel over pairs
    pages = {commit: [] for commit in commits}
    with tempfile.TemporaryDirectory(prefix="metrobib-bench-compare-") as tmp:
        workdir = Path(tmp)
        spec = workdir / "spec.json"
        spec.write_text(
            json.dumps(
                {"subset": pg_stamp.get("sqlite_works"), "queries": queries, "warmup": warmup}
            )
        )
        processes = {}
        try:
            for commit in commits:
                static = workdir / f"static-{commit}"
                env = server_env(data.DATABASE_URL, static, workdir / "media", f"{HOST},testserver")
                command, cwd, env = data.snapshot_command(
                    commit, "search.py", ["--replay", str(spec)], env
                )
                processes[commit] = subprocess.Popen(
                    command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    text=True,
                )  # fmt: skip
            for commit, process in processes.items():
                say(f"  {commit}: ready, backend {_answer(commit, process)['ready']}")
            for number in range(rounds):
                for index, first in enumerate(range(0, queries, block)):
                    order = commits if (index + number) % 2 == 0 else commits[::-1]
                    costs = {}
                    for commit in order:
                        process = processes[commit]
                        process.stdin.write(f"{first} {min(first + block, queries)}\n")
                        process.stdin.flush()
                        answer = _answer(commit, process)
                        costs[commit] = answer["python"] + answer["database"] / CLK_TCK
                        totals[commit]["python"] += answer["python"]
                        totals[commit]["database"] += answer["database"] / CLK_TCK
                        if number == 0:
                            pages[commit] += answer["digests"]
                    second_minus_first += costs[order[1]] - costs[order[0]]
                done = (number + 1) * queries
                say(
                    f"  round {number + 1}: "
                    + "; ".join(
                        f"{c} {totals[c]['python'] * 1000 / done:.2f} + "
                        f"{totals[c]['database'] * 1000 / done:.2f} ms"
                        for c in commits
                    )
                    + f" (Python + PostgreSQL CPU a search so far; load {load()})"
                )
        finally:
            for process in processes.values():
                process.stdin.close()
                process.wait(timeout=60)
    searches = rounds * queries
    cpu = {c: (totals[c]["python"] + totals[c]["database"]) * 1000 / searches for c in commits}
    say(
        f"{commits[1]} minus {commits[0]}: {cpu[commits[1]] - cpu[commits[0]]:+.2f} ms of CPU a "
        f"search ({cpu[commits[0]]:.2f} → {cpu[commits[1]]:.2f}); the one run second in a pair "
        f"of blocks cost {second_minus_first * 1000 / searches:+.2f} ms a "
        "search more than the first, on average"
    )
    different = sum(a != b for a, b in zip(*pages.values(), strict=True))
    say(f"pages that differ between the two: {different} of {queries}")
    return 0


def _answer(commit: str, process: subprocess.Popen) -> dict:
    """The next answer of a replaying process (lines that are not one are shown)."""
    for line in process.stdout:
        if line.startswith("{"):
            return json.loads(line)
        say(f"  {commit}: {line.rstrip()}")
    raise SystemExit(f"the replaying process of {commit} ended ({process.wait()})")


# =========================================================================== main


def _terminated(signum, frame):
    say("\nbench: terminated; stopping the servers")
    sys.exit(128 + signum)


def phase(title: str) -> None:
    say(f"\n== {title} (load average {load()}, {NCPU} CPUs)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--records", type=int, default=data.RECORDS, help="PostgreSQL data set")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests per server")
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn sync workers")
    parser.add_argument("--only", choices=["postgres", "sqlite", "zebra"], action="append")
    parser.add_argument(
        "--explain", type=int, default=5, help="slowest kinds explained (0: no diagnosis)"
    )
    parser.add_argument(
        "--snapshot",
        metavar="COMMIT",
        help="serve the application's code of this commit (git archive), not the checkout's",
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar="COMMIT",
        help="compare two commits' searches in process, round after round (PostgreSQL)",
    )
    parser.add_argument("--rounds", type=int, default=4, help="rounds of --compare")
    parser.add_argument("--diagnose", help=argparse.SUPPRESS)
    parser.add_argument("--replay", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.diagnose:
        return diagnose_child(args.diagnose)
    if args.replay:
        return replay_child(args.replay)
    if args.compare:
        return compare(args.compare, args.rounds, args.queries, args.warmup)
    if args.snapshot:
        argv = data.without_option(sys.argv[1:], "--snapshot")
        return data.run_in_snapshot(args.snapshot, "search.py", argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminated)
    parts = args.only or ["postgres", "sqlite", "zebra"]

    say(f"Métrobib catalogue search benchmark — {NCPU} CPUs, load average {load()}")
    pg_stamp = data.postgres_stamp()
    sqlite_stamp = data.sqlite_stamp()
    zebra_stamp = data.zebra_stamp(args.records)
    if not data.matches(pg_stamp, args.records):
        pg_stamp = None
    if not data.matches(zebra_stamp, args.records):
        zebra_stamp = None
    # Queries come from the works every data set holds (the SQLite subset's).
    subset = (pg_stamp or {}).get("sqlite_works") or (sqlite_stamp or {}).get("works")
    for name, stamp, what in (
        ("postgres", pg_stamp, f"PostgreSQL data set of {args.records:,} records"),
        ("sqlite", sqlite_stamp, "SQLite data set"),
        ("zebra", zebra_stamp, f"Zebra index of {args.records:,} records"),
    ):
        if name in parts and not stamp:
            say(f"{what} missing: run `make bench-data` (skipped)")
    pg_stamp = pg_stamp if "postgres" in parts else None
    sqlite_stamp = sqlite_stamp if "sqlite" in parts else None
    zebra_stamp = zebra_stamp if "zebra" in parts else None
    if not subset:
        say("bench: error: no data set to draw queries from (`make bench-data`)")
        return 1
    code = data.search_code()
    changed = []
    if not os.environ.get("BENCH_CODE_COMMIT"):  # a snapshot has no uncommitted changes
        status = subprocess.run(
            ["git", "status", "--short", "--", "catalogue", "network", "metrobib", "templates"],
            cwd=ROOT, capture_output=True, text=True,
        ).stdout.split("\n")  # fmt: skip
        changed = [line[3:] for line in status if line.strip()]
    say(
        f"code measured: git {data.git_head()}"
        + (f" with uncommitted changes to {', '.join(changed)}" if changed else "")
        + f"; search code {code}"
    )
    for name, stamp in (("PostgreSQL", pg_stamp), ("SQLite", sqlite_stamp)):
        if stamp and stamp.get("search_code") != code:
            say(
                f"warning: the {name} search documents were written by other search code "
                f"({stamp.get('search_code', 'unknown')}, git {stamp.get('git_head', '?')}): "
                "`bench/searchdata.py --reindex` writes them again"
            )
    if pg_stamp and sqlite_stamp and pg_stamp["network"] != sqlite_stamp["network"]:
        say("warning: the two data sets have different networks: facet filters differ")
    if pg_stamp:
        say(f"PostgreSQL server: {server_settings()}")
        say(
            f"PostgreSQL: {pg_stamp['records']:,} records, {pg_stamp['works']:,} works, "
            f"{pg_stamp['items']:,} copies, {data.mb(pg_stamp['database_bytes'])}"
        )
    if sqlite_stamp:
        say(
            f"SQLite: {sqlite_stamp['records']:,} records, {sqlite_stamp['works']:,} works, "
            f"{data.mb(data.SQLITE_PATH.stat().st_size)}"
        )
    if zebra_stamp:
        say(
            f"Zebra: {zebra_stamp['records']:,} records, indexed in "
            f"{zebra_stamp['seconds']:.0f} s, register {data.mb(zebra_stamp['register_bytes'])}"
        )

    started = time.perf_counter()
    # The analyser and the facets' names come from the application (its settings are
    # read, no database is opened here).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metrobib.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    source = Source(subset)
    queries, warmup = draw(source, args.queries, args.warmup)
    rng = random.Random(SEED)
    work_ids = source.work_ids() if pg_stamp else [1]
    source.conn.close()
    work_paths = [f"/catalogue/oeuvre/{rng.choice(work_ids)}/" for _ in range(args.queries)]
    work_warmup = [f"/catalogue/oeuvre/{rng.choice(work_ids)}/" for _ in range(args.warmup)]
    counts = {kind: sum(q.kind == kind for q in queries) for kind in KINDS}
    say(
        f"{len(queries)} queries drawn in {time.perf_counter() - started:.1f} s "
        f"(seed {SEED}): {counts}"
    )
    for query in queries[:6]:
        say(f"  e.g. {query.kind:15} {query.path:60} | {query.cql}")

    runs: dict[str, Run] = {}
    sqlite_queries = [Query(q.kind, q.params, q.cql) for q in queries]
    server = zebra = None
    pg_env = None
    with tempfile.TemporaryDirectory(prefix="metrobib-bench-search-") as tmp:
        workdir = Path(tmp)
        try:
            if pg_stamp:
                phase(f"PostgreSQL {args.records:,} records: gunicorn, {args.workers} sync workers")
                separator = "&" if "?" in data.DATABASE_URL else "?"
                pg_url = f"{data.DATABASE_URL}{separator}application_name={APPLICATION}"
                pg_env = server_env(
                    pg_url, workdir / "static", workdir / "media", f"{HOST},testserver"
                )
                collect_static(pg_env)
                server, base = start_gunicorn(pg_env, args.workers, workdir / "gunicorn-pg.log")
                replay(base, [q.path for q in warmup], args.clients)
                runs["postgres"] = measure(
                    "PostgreSQL search", base, [q.path for q in queries], args.clients,
                    server.pid, postgres=True,
                )  # fmt: skip
                replay(base, work_warmup, args.clients)
                runs["work"] = measure(
                    "PostgreSQL work page",
                    base,
                    work_paths,
                    args.clients,
                    server.pid,
                    postgres=True,
                )
                say(f"  result sizes, from the API (untimed)… (load {load()})")
                classify(base, queries)
                stop(server)
                server = None
            if sqlite_stamp:
                phase(
                    f"SQLite {sqlite_stamp['records']:,} records: gunicorn, {args.workers} workers"
                )
                url = f"sqlite:///{data.SQLITE_PATH}"
                env = server_env(url, workdir / "static", workdir / "media", f"{HOST},testserver")
                if not (workdir / "static").exists():
                    collect_static(env)
                server, base = start_gunicorn(env, args.workers, workdir / "gunicorn-sqlite.log")
                replay(base, [q.path for q in warmup], args.clients)
                runs["sqlite"] = measure(
                    "SQLite search", base, [q.path for q in queries], args.clients, server.pid
                )
                classify(base, sqlite_queries)
                stop(server)
                server = None
            if zebra_stamp:
                phase(f"Zebra {args.records:,} records: zebrasrv, SRU searchRetrieve")
                zebra, base = start_zebrasrv(data.zebra_dir(args.records))
                replay(base, [sru_path(q) for q in warmup], args.clients)
                runs["zebra"] = measure(
                    "Zebra SRU", base, [sru_path(q) for q in queries], args.clients, zebra.pid
                )
                zebra_hits(base, queries)
                stop_group(zebra)
                zebra = None
        except BenchError as exc:
            say(f"bench: error: {exc}")
            return 1
        except KeyboardInterrupt:
            say("\nbench: interrupted")
            return 130
        finally:
            stop(server)
            stop_group(zebra)

        report(runs, queries, sqlite_queries)
        if "postgres" in runs and args.explain and pg_env:
            phase("Where the PostgreSQL requests spend their time (in-process replay)")
            diagnose(pg_env, queries, work_paths[:100], args.explain, workdir)
    say(f"\nload average at the end: {load()}")
    return 0


def report(runs: dict[str, Run], queries: list[Query], sqlite_queries: list[Query]) -> None:
    zebra = runs.get("zebra")
    say("\n== Results (latency from sending the request to the last byte, 10 clients)")
    say(header(zebra is not None))
    if "postgres" in runs:
        say(_row("PostgreSQL /catalogue/ (facets)", runs["postgres"], reference=zebra,
                 target=TARGETS_MS["postgres"]))  # fmt: skip
    if "work" in runs:
        say(_row("PostgreSQL /catalogue/oeuvre/<id>/", runs["work"], target=TARGETS_MS["work"]))
    if "sqlite" in runs:
        say(_row("SQLite 200k /catalogue/ (facets)", runs["sqlite"], reference=zebra,
                 target=TARGETS_MS["sqlite"]))  # fmt: skip
    if zebra is not None:
        say(_row("Zebra SRU (20 records, no facets)", zebra))
    if "postgres" in runs:
        say("")
        breakdown(runs["postgres"], queries, zebra)
    if "sqlite" in runs:
        say("")
        breakdown(runs["sqlite"], sqlite_queries, zebra)
    if zebra is not None:
        hits = [q.zebra_hits for q in queries if q.zebra_hits is not None]
        ours = [q.total for q in queries if q.total is not None]
        if hits:
            say(
                f"\n  Zebra hits per query: median {sorted(hits)[len(hits) // 2]:,}, max "
                f"{max(hits):,}; none for {sum(h == 0 for h in hits)} queries"
                + (
                    f" (ours on PostgreSQL: median {sorted(ours)[len(ours) // 2]:,}, "
                    f"none for {sum(t == 0 for t in ours)})"
                    if ours
                    else ""
                )
            )
        say(
            "  Zebra answers with the query's words on one index and no facets; ours search"
            " every field, rank by tiers and count facets (ARCHITECTURE.md, engine.py)."
        )
    say("\nCPU during each measured run:")
    for run in runs.values():
        say(cpu_line(run))
        for note in run.notes:
            say(f"    warning: {note}")


if __name__ == "__main__":
    sys.exit(main())
