"""Web throughput and latency benchmark of the public pages (``make bench``).

It prints figures and is never a test: it exits 0 whether the targets are met or not (and
non-zero only when it cannot run). What it does, in order:

1. creates a throw-away PostgreSQL database (``metrobib_bench`` on 127.0.0.1:5432, user
   ``postgres``; dropped first if a previous run left it), migrates it, loads the demo network
   (``load_demo --no-accounts``) and collects the static files into a temporary directory;
2. starts gunicorn with the production settings (DEBUG off) and 2 sync workers on a free
   127.0.0.1 port, through ``bench/wsgi_bench.py``, which adds the reference view
   ``/bench/bare/`` (``HttpResponse("ok")`` behind the full middleware stack);
3. loads each URL with 10 concurrent connections for a short warm-up, then ~10 s, using
   ``wrk`` if it is installed (``apt-get install -y wrk``) or else a pure-Python generator
   (threads + http.client keep-alive);
4. prints requests/s, p50/p95/p99 latency and the throughput relative to the bare view,
   with PASS/FAIL against the targets, and the CPU time used by the load generator, by the
   gunicorn master and workers and (when visible) by the PostgreSQL backends;
5. stops gunicorn and drops the database, also on error or Ctrl-C.

Environment: ``BENCH_DATABASE_SERVER`` (default ``postgresql://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DB_NAME = "metrobib_bench"
DB_SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
HOST = "127.0.0.1"
WORKERS = 2
BARE = "/bench/bare/"

# Targets (printed as PASS/FAIL; never turned into an exit status).
P95_TARGET_MS = 50.0
RATIO_TARGET = 0.40

CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1

# A URL ending in MISS_MARKER gets a new value on every request: the page cache misses.
MISS_MARKER = "bench-miss="

WRK_SCRIPT = r"""
counter = 0
request = function()
  if string.sub(wrk.path, -string.len("bench-miss=")) == "bench-miss=" then
    counter = counter + 1
    return wrk.format(nil, wrk.path .. os.time() .. "-" .. counter)
  end
  return wrk.format(nil, wrk.path)
end

done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH requests=%d duration_us=%d errors_connect=%d errors_read=%d errors_write=%d " ..
    "errors_status=%d errors_timeout=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def say(*args: object) -> None:
    print(*args, flush=True)


def loadavg() -> str:
    """The 1, 5 and 15 minutes load averages, as printed beside the figures."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class BenchError(RuntimeError):
    pass


# --------------------------------------------------------------------------- database


def _admin_connection():
    import psycopg

    try:
        return psycopg.connect(f"{DB_SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise BenchError(f"PostgreSQL is not reachable at {DB_SERVER}: {exc}") from exc


def lock_database(name: str = DB_NAME):
    """An admin connection holding a session lock, so that two runs never share the database."""
    conn = _admin_connection()
    if not conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [name]).fetchone()[0]:
        conn.close()
        raise BenchError(f"another benchmark run is using {name}; try again when it is done")
    return conn


def drop_database(name: str = DB_NAME) -> None:
    from psycopg import sql

    with _admin_connection() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def create_database(name: str = DB_NAME) -> None:
    from psycopg import sql

    drop_database(name)
    with _admin_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --------------------------------------------------------------------------- CPU accounting


def _proc_stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    return [str(pid), "comm", *raw[raw.rindex(")") + 2 :].split()]


def _cpu_ticks(fields: list[str]) -> int:
    return int(fields[13]) + int(fields[14])  # utime + stime


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def gunicorn_ticks(master_pid: int) -> dict[int, int]:
    """CPU ticks of the gunicorn master and of its children (the workers), by pid."""
    ticks = {}
    for pid in _all_pids():
        fields = _proc_stat(pid)
        if fields and (pid == master_pid or int(fields[3]) == master_pid):
            ticks[pid] = _cpu_ticks(fields)
    return ticks


def postgres_ticks() -> dict[int, int]:
    """CPU ticks of the PostgreSQL backends serving the bench database, if they are visible."""
    ticks = {}
    for pid in _all_pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if cmdline.startswith(b"postgres: ") and DB_NAME.encode() in cmdline:
            fields = _proc_stat(pid)
            if fields:
                ticks[pid] = _cpu_ticks(fields)
    return ticks


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def ticks_delta(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU seconds used between two snapshots (processes that appeared count from zero)."""
    return sum(t - before.get(pid, 0) for pid, t in after.items()) / CLK_TCK


# --------------------------------------------------------------------------- load generators


@dataclass
class LoadResult:
    requests: int
    wall: float
    p50: float  # seconds
    p95: float
    p99: float
    errors: int
    gen_cpu: float  # CPU seconds used by the load generator itself
    server_cpu: float = 0.0
    db_cpu: float | None = None
    machine_busy: float = 0.0  # fraction of all cores busy during the run
    other_cpu: float = 0.0  # CPU seconds used by everything else on the machine
    notes: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.wall if self.wall else 0.0


class Wrk:
    name = "wrk"

    def __init__(self, path: str, script: Path):
        self.path, self.script = path, script
        version = subprocess.run([path, "--version"], capture_output=True, text=True)
        self.version = (version.stdout + version.stderr).split("\n", 1)[0].strip()

    def run(self, url: str, connections: int, duration: float) -> LoadResult:
        cmd = [
            self.path,
            "--threads",
            "1",  # one epoll thread is plenty for 10 connections and leaves CPU to the server
            "--connections",
            str(connections),
            "--duration",
            f"{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "--script",
            str(self.script),
            url,
        ]
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
            try:
                # wait4 gives the child's own rusage: its CPU time, as /usr/bin/time would.
                _, status, usage = os.wait4(proc.pid, 0)
            except BaseException:  # Ctrl-C or SIGTERM: do not leave wrk running
                proc.kill()
                proc.wait()
                raise
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            text = out.read()
        match = re.search(r"^BENCH (.*)$", text, re.MULTILINE)
        if proc.returncode != 0 or not match:
            raise BenchError(f"wrk failed (exit {proc.returncode}):\n{text}")
        v = {k: int(x) for k, x in (kv.split("=") for kv in match.group(1).split())}
        errors = sum(v[k] for k in v if k.startswith("errors_"))
        return LoadResult(
            requests=v["requests"],
            wall=v["duration_us"] / 1e6,
            p50=v["p50_us"] / 1e6,
            p95=v["p95_us"] / 1e6,
            p99=v["p99_us"] / 1e6,
            errors=errors,
            gen_cpu=usage.ru_utime + usage.ru_stime,
        )


class PythonLoad:
    """Threads, one http.client connection each (keep-alive when the server allows it).

    gunicorn's sync workers close the connection after every response, so each request
    reconnects; the latency measured includes that (loopback) connect.
    """

    name = "python"
    version = f"threads + http.client (Python {sys.version.split()[0]})"

    def run(self, url: str, connections: int, duration: float) -> LoadResult:
        host, port_path = url.removeprefix("http://").split(":", 1)
        port, path = port_path.split("/", 1)
        path = "/" + path
        start_gate = threading.Barrier(connections + 1)
        latencies: list[list[float]] = [[] for _ in range(connections)]
        errors = [0] * connections
        deadline = [0.0]

        def worker(i: int) -> None:
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            mine = latencies[i]
            start_gate.wait()
            sent = 0
            while True:
                t0 = time.perf_counter()
                if t0 >= deadline[0]:
                    break
                sent += 1
                target = (
                    f"{path}{time.time_ns()}-{i}-{sent}" if path.endswith(MISS_MARKER) else path
                )
                try:
                    conn.request("GET", target)
                    response = conn.getresponse()
                    response.read()
                    mine.append(time.perf_counter() - t0)
                    if response.status != 200:
                        errors[i] += 1
                except (OSError, http.client.HTTPException):
                    errors[i] += 1
                    conn.close()
            conn.close()

        threads = [
            threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)
        ]
        for thread in threads:
            thread.start()
        cpu0 = os.times()
        t0 = time.perf_counter()
        deadline[0] = t0 + duration
        try:
            start_gate.wait()
            for thread in threads:
                thread.join()
        finally:
            deadline[0] = 0.0  # on Ctrl-C or SIGTERM, the threads stop after their request
        wall = time.perf_counter() - t0
        cpu1 = os.times()
        samples = sorted(x for per_thread in latencies for x in per_thread)
        if not samples:
            raise BenchError(f"no response at all from {url}")
        return LoadResult(
            requests=len(samples),
            wall=wall,
            p50=_percentile(samples, 50),
            p95=_percentile(samples, 95),
            p99=_percentile(samples, 99),
            errors=sum(errors),
            gen_cpu=(cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
        )


def _percentile(sorted_values: list[float], pct: float) -> float:
    rank = max(1, round(pct / 100 * len(sorted_values) + 0.5))  # nearest rank
    return sorted_values[min(rank, len(sorted_values)) - 1]


def choose_generator(requested: str, workdir: Path) -> Wrk | PythonLoad:
    wrk = shutil.which("wrk")
    if requested in ("auto", "wrk") and wrk:
        script = workdir / "report.lua"
        script.write_text(WRK_SCRIPT)
        return Wrk(wrk, script)
    if requested == "wrk":
        raise BenchError("wrk is not installed: apt-get install -y wrk (Debian/Ubuntu)")
    if requested == "auto":
        say(
            "note: wrk not found; install it with `apt-get install -y wrk` (Debian/Ubuntu) or\n"
            "      `brew install wrk`. Falling back to the pure-Python load generator, which\n"
            "      needs far more CPU per request and so takes more from the server."
        )
    return PythonLoad()


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def manage(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return time.perf_counter() - started


def server_env(
    database_url: str, static_root: Path, media_root: Path, allowed_hosts: str = HOST
) -> dict[str, str]:
    """The environment of a benchmarked server: production settings (DEBUG off, a random
    key) on this database. A local Redis or Django settings override would make runs
    incomparable, so they are left out."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "SITE_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings_bench",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=allowed_hosts,
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        BENCH_STATIC_ROOT=str(static_root),
        MEDIA_ROOT=str(media_root),
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def collect_static(env: dict[str, str]) -> None:
    """collectstatic as production runs it (a failure here is a deployment bug)."""
    took = manage(env, "collectstatic", "--no-input")
    say(f"  manage.py {'collectstatic --no-input':<28} {took:6.1f} s")


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "bench.wsgi_bench:application",
        "--chdir",
        str(BASE_DIR),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
    ]
    proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode}:\n{log.read_text()}")
        # Wait until every worker is up too, so that the first run is not skewed.
        with contextlib.suppress(OSError):
            answered = fetch(f"http://{HOST}:{port}{BARE}", timeout=2)[0] == 200
            if answered and len(gunicorn_ticks(proc.pid)) >= WORKERS + 1:
                return proc
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer on {HOST}:{port} within 60 s:\n{log.read_text()}")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- report


def measure(gen, url: str, master_pid: int, connections: int, duration: float) -> LoadResult:
    gunicorn0, pg0, busy0 = gunicorn_ticks(master_pid), postgres_ticks(), machine_busy()
    result = gen.run(url, connections, duration)
    gunicorn1, pg1, busy1 = gunicorn_ticks(master_pid), postgres_ticks(), machine_busy()
    result.server_cpu = ticks_delta(gunicorn0, gunicorn1)
    result.db_cpu = ticks_delta(pg0, pg1) if (pg0 or pg1) else None
    busy, total = busy1[0] - busy0[0], busy1[1] - busy0[1]
    result.machine_busy = busy / total if total else 0.0
    busy_seconds = busy / CLK_TCK
    result.other_cpu = max(
        0.0, busy_seconds - result.gen_cpu - result.server_cpu - (result.db_cpu or 0.0)
    )
    if result.other_cpu > 0.1 * result.wall * NCPU:
        result.notes.append(
            f"other processes used {result.other_cpu / (result.wall * NCPU):.0%} of the machine:"
            " throughput and latency are understated (gunicorn ms/req is the sturdier figure)"
        )
    if len(gunicorn1) != WORKERS + 1 or set(gunicorn1) != set(gunicorn0):
        result.notes.append("gunicorn workers changed during the run (restart or crash?)")
    if result.errors:
        result.notes.append(f"{result.errors} errors (non-200, socket errors or timeouts)")
    return result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: list[tuple[str, str, LoadResult]], gen, connections: int) -> None:
    bare_rps = results[0][2].rps
    width = max(len(path) for _label, path, _r in results)
    say()
    say(f"Throughput and latency ({connections} concurrent connections, {WORKERS} sync workers)")
    header = (
        f"{'page':<16} {'URL':<{width}} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'vs bare':>7}  targets (p95 < {P95_TARGET_MS:.0f} ms, >= {RATIO_TARGET:.0%} of bare)"
    )
    say(header)
    say("-" * len(header))
    for label, path, r in results:
        ratio = r.rps / bare_rps if bare_rps else 0.0
        if path == BARE:
            targets = "reference"
        elif path.endswith(MISS_MARKER):
            targets = "cache missed on purpose: the cost of building the page"
        else:
            targets = (
                f"p95 {verdict(r.p95 * 1000 < P95_TARGET_MS)}, "
                f"throughput {verdict(ratio >= RATIO_TARGET)}"
            )
        say(
            f"{label:<16} {path:<{width}} {r.rps:>7.1f} {r.p50 * 1000:>7.1f} {r.p95 * 1000:>7.1f} "
            f"{r.p99 * 1000:>7.1f} {ratio:>6.0%}   {targets}"
        )
    say()
    say(f"CPU over each measured run (machine: {NCPU} cores, shared by generator, server and DB)")
    header = (
        f"{'page':<16} {'wall s':>6} {'requests':>8}  {'generator CPU s':>15} {'(share)':>7}  "
        f"{'gunicorn CPU s':>14} {'(share)':>7} {'ms/req':>6}  {'postgres CPU s':>14}  "
        f"{'others CPU s':>12}  {'machine busy':>12}"
    )
    say(header)
    say("-" * len(header))
    for label, _path, r in results:
        capacity = r.wall * NCPU
        pg = f"{r.db_cpu:>14.2f}" if r.db_cpu is not None else f"{'not visible':>14}"
        say(
            f"{label:<16} {r.wall:>6.1f} {r.requests:>8}  {r.gen_cpu:>15.2f} "
            f"{r.gen_cpu / capacity:>7.1%}  {r.server_cpu:>14.2f} {r.server_cpu / capacity:>7.1%} "
            f"{r.server_cpu * 1000 / max(r.requests, 1):>6.2f}  {pg}  {r.other_cpu:>12.2f}  "
            f"{r.machine_busy:>12.0%}"
        )
    say(
        "share = CPU seconds / (wall seconds x cores); gunicorn = master + workers (/proc stat);"
        "\nms/req = gunicorn CPU per request; others = all other processes on the machine"
        "\n(/proc/stat busy time less the rest); generator CPU from "
        + (
            "wait4() rusage of the wrk child."
            if gen.name == "wrk"
            else "os.times() of this process."
        )
    )
    notes = [(label, note) for label, _path, r in results for note in r.notes]
    if notes:
        say()
        for label, note in notes:
            say(f"warning: {label}: {note}")
    pages = [
        (label, r) for label, path, r in results if path != BARE and not path.endswith(MISS_MARKER)
    ]
    failed = [
        label
        for label, r in pages
        if r.p95 * 1000 >= P95_TARGET_MS or (r.rps / bare_rps if bare_rps else 0) < RATIO_TARGET
    ]
    say()
    if failed:
        say(f"Targets missed by: {', '.join(failed)} (figures only: the exit status stays 0).")
    else:
        say("All pages meet the targets.")


# --------------------------------------------------------------------------- main


def _terminated(signum, frame):
    say("\nbench: terminated; stopping gunicorn and dropping the database")
    sys.exit(128 + signum)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per URL (10)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per URL (2)")
    parser.add_argument("--connections", type=int, default=10, help="concurrent clients (10)")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()

    # Ctrl-C raises KeyboardInterrupt (even when started in the background, where SIGINT
    # starts ignored); SIGTERM unwinds through the same clean-up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminated)

    server = None
    db_lock = None
    db_created = False
    with tempfile.TemporaryDirectory(prefix="metrobib-bench-") as tmp:
        workdir = Path(tmp)
        try:
            gen = choose_generator(args.generator, workdir)
            env = server_env(f"{DB_SERVER}/{DB_NAME}", workdir / "static", workdir / "media")
            say(f"Métrobib web benchmark — {NCPU} cores, Python {sys.version.split()[0]}")
            say(f"load generator: {gen.version}")
            say(f"database: {DB_SERVER}/{DB_NAME} (throw-away)")
            db_lock = lock_database()
            create_database()
            db_created = True
            for step in (("migrate", "--no-input"), ("load_demo", "--no-accounts")):
                say(f"  manage.py {' '.join(step):<28} {manage(env, *step):6.1f} s")
            collect_static(env)

            port = free_port()
            server = start_gunicorn(env, port, workdir / "gunicorn.log")
            base = f"http://{HOST}:{port}"
            say(f"gunicorn: pid {server.pid}, {WORKERS} sync workers on {base}, DEBUG off")

            status, body = fetch(f"{base}/api/v1/sites")
            if status != 200:
                raise BenchError(f"/api/v1/sites answered {status}")
            sites = json.loads(body)
            if not sites:
                raise BenchError("the demo network has no site")
            # A real site, with coordinates so that its page renders the map as well.
            site = next((s for s in sites if s["latitude"] is not None), sites[0])
            targets = [
                ("bare (ref)", BARE),
                ("site list", "/bibliotheques/"),
                ("site page", site["url"]),
                ("sites.geojson", "/api/v1/sites.geojson"),
                ("home", "/"),
                # The same pages built on every request (page cache missed on purpose).
                ("list, built", f"/bibliotheques/?{MISS_MARKER}"),
                ("page, built", f"{site['url']}?{MISS_MARKER}"),
                ("geojson, built", f"/api/v1/sites.geojson?{MISS_MARKER}"),
                ("home, built", f"/?{MISS_MARKER}"),
            ]
            say(f"{len(sites)} sites in the demo network; site page: {site['name']}")
            for label, path in targets:
                status, body = fetch(base + path)
                if status != 200:
                    raise BenchError(f"{path} answered {status} before the benchmark")
                say(f"  {label:<14} {path:<58} {len(body):>8} bytes")

            say(
                f"\nEach URL: {args.warmup:.0f} s warm-up, then {args.duration:.0f} s measured, "
                f"{args.connections} connections, generator {gen.name}."
            )
            results = []
            for label, path in targets:
                if args.warmup > 0:
                    gen.run(base + path, args.connections, args.warmup)
                result = measure(gen, base + path, server.pid, args.connections, args.duration)
                say(
                    f"  {label:<14} {result.rps:8.1f} req/s  p95 {result.p95 * 1000:6.1f} ms"
                    f"  ({result.requests} requests, {result.errors} errors)"
                )
                results.append((label, path, result))
            report(results, gen, args.connections)
            return 0
        except BenchError as exc:
            say(f"bench: error: {exc}")
            return 1
        except KeyboardInterrupt:
            say("\nbench: interrupted; stopping gunicorn and dropping the database")
            return 130
        finally:
            stop(server)
            if db_created:
                try:
                    drop_database()
                except Exception as exc:  # noqa: BLE001 - clean-up must go on
                    say(f"bench: could not drop {DB_NAME}: {exc}")
            if db_lock is not None:
                db_lock.close()


if __name__ == "__main__":
    sys.exit(main())
