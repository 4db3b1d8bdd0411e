"""Patron login and "mon compte" benchmark (issue: patrons), printed, never a test.

What it does:

1. creates the throw-away PostgreSQL database of ``bench/web.py`` (``metrobib_bench``),
   migrates it and adds two libraries, each with a SIP2 connector to its own SIP2 server:
   a real SIP2 server over TCP on 127.0.0.1 (the tests' ``Sip2Peer``, pysip2's AnyIO
   server) run in a child process, which waits ``--latency`` (50 ms) before each answer,
   as a library system on the network would, and knows 100 patrons with two loans each;
2. starts gunicorn with the production settings as README's production command does: 4
   workers of 8 threads (logins wait on the library system: threads are what such waits
   need; ``--workers``/``--threads`` change it);
3. **bare SIP2 round trip**: the SIP2 driver's ``authenticate`` called directly, by 50
   concurrent clients (connect, login 93, patron information 63 with the PIN): the time the
   library system itself takes;
4. after an untimed warm-up, **the floor of a login**: the same clients each get the bare
   view and post a card and PIN to ``/bench/sip2/`` (``bench/urls_bench.py``), a view that
   only calls the SIP2 driver: gunicorn and the middleware stack plus the library system,
   without session, throttle, database or template. No login can cost less;
5. **portal login**: 50 concurrent clients each fetch the login form (CSRF) and post a card
   number and PIN, several times with different patrons; only the POST is timed;
6. **"mon compte"** of patrons with a card at each of the two libraries (both systems asked
   at once), 50 concurrent clients;
7. prints p50/p95/p99 of each, the logins per second, the machine's busy share during each
   timed run (and the load generator's own CPU), the CPU milliseconds per login or page of
   gunicorn, PostgreSQL, the SIP2 servers and the load generator, the floor's and the
   portal's login p95 minus the bare round trip's p95 against the target (≤ 150 ms), "mon
   compte" p95 against its target (≤ 300 ms), then stops everything and drops the database.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import web  # noqa: E402

HOST = web.HOST
PATRONS = 100
CARD = "BEN{:05d}"  # card numbers of library 1; library 2 uses "CAL{:05d}"
PIN = "4321"
LOGIN_TARGET_MS = 150.0
ACCOUNT_TARGET_MS = 300.0
WORKERS = 4  # as README's production command
THREADS = 8

PEER_SCRIPT = r"""
import sys, time, signal
sys.path.insert(0, sys.argv[1])
from tests.connectors.sip2_peers import bench_peer
peer = bench_peer(prefix=sys.argv[2], patrons=int(sys.argv[3]), pin=sys.argv[4],
                  latency=float(sys.argv[5]))
with peer:
    print(peer.port, flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
"""


def say(*args: object) -> None:
    print(*args, flush=True)


def percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    return tuple(web._percentile(ordered, pct) for pct in (50, 95, 99))  # type: ignore[return-value]


def start_peer(prefix: str, latency: float) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", PEER_SCRIPT, str(web.BASE_DIR), prefix, str(PATRONS), PIN,
         str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        raise web.BenchError(f"the SIP2 peer did not start: {line!r}")
    return proc, int(line)


SETUP = """
from connectors.models import Connector
from network.models import Commune, Library
for number, (prefix, port) in enumerate(PORTS.items()):
    commune = Commune.objects.create(insee_code=f"6990{number}", name=f"Commune {prefix}")
    library = Library.objects.create(name=f"Bibliothèque {prefix}", slug=prefix.lower())
    library.communes.add(commune)
    Connector.objects.create(
        library=library, name="SIP2", driver="sip2", schedule="manual",
        card_pattern=prefix + r"\\d{5}",
        settings={"host": "127.0.0.1", "port": port, "institution_id": prefix, "timeout": 5},
    )
"""


def setup_network(env: dict[str, str], ports: dict[str, int]) -> None:
    """Two libraries, each with a SIP2 connector to its own SIP2 server."""
    web.manage(env, "shell", "-c", f"PORTS = {ports!r}\n" + SETUP)


def bare_round_trips(ports: dict[str, int], clients: int, rounds: int) -> list[float]:
    """The SIP2 driver's authenticate, called directly: what the system itself takes."""
    import django

    django.setup()
    from connectors.sip2.driver import Sip2Driver

    prefix, port = next(iter(ports.items()))
    driver = Sip2Driver({"host": HOST, "port": port, "institution_id": prefix, "timeout": 5})
    timings: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for r in range(rounds):
            card = f"{prefix}{(n * rounds + r) % PATRONS:05d}"
            started = time.perf_counter()
            driver.authenticate(card, PIN, timeout=5)
            with lock:
                timings.append((time.perf_counter() - started) * 1000)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return timings


class Browser:
    """One patron's cookies over one keep-alive connection."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # gunicorn closes a keep-alive connection idle for 2 s: a browser reconnects.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.read().decode()

    def log_in(self, card: str) -> float:
        status, page = self.request("GET", "/compte/connexion/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode({"csrfmiddlewaretoken": token, "card_number": card, "pin": PIN})
        started = time.perf_counter()
        status, _ = self.request("POST", "/compte/connexion/", body)
        took = (time.perf_counter() - started) * 1000
        if status != 302:
            raise web.BenchError(f"login of {card} answered {status}")
        return took

    def link(self, card: str) -> None:
        status, page = self.request("GET", "/compte/cartes/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode({"csrfmiddlewaretoken": token, "card_number": card, "pin": PIN})
        status, _ = self.request("POST", "/compte/cartes/", body)
        if status != 302:
            raise web.BenchError(f"linking {card} answered {status}")

    def account(self) -> float:
        started = time.perf_counter()
        status, page = self.request("GET", "/compte/")
        took = (time.perf_counter() - started) * 1000
        if status != 200 or "n'a pas répondu" in page or page.count("Prêts (2)") != 2:
            raise web.BenchError("mon compte did not show both systems' loans")
        return took


def floor_logins(port: int, prefix: str, clients: int, rounds: int) -> list[float]:
    """The floor of a login: each client, as a new visitor, gets the bare view (where the
    form's page would be) and posts the card and PIN to ``/bench/sip2/``, which only asks
    the SIP2 server (``bench/urls_bench.py``); only the POST is timed."""
    timings: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for r in range(rounds):
            browser = Browser(port)
            browser.request("GET", web.BARE)
            body = urlencode({"card_number": f"{prefix}{(n * rounds + r) % PATRONS:05d}",
                              "pin": PIN})  # fmt: skip
            started = time.perf_counter()
            status, _ = browser.request("POST", "/bench/sip2/", body)
            took = (time.perf_counter() - started) * 1000
            if status != 204:
                raise web.BenchError(f"/bench/sip2/ answered {status}")
            with lock:
                timings.append(took)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return timings


def portal_logins(port: int, prefix: str, clients: int, rounds: int) -> list[float]:
    """Each client logs in ``rounds`` times, each time as a new visitor."""
    timings: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for r in range(rounds):
            browser = Browser(port)  # a new visitor each time: a new session
            took = browser.log_in(f"{prefix}{(n * rounds + r) % PATRONS:05d}")
            with lock:
                timings.append(took)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return timings


class CpuSplit:
    """Where the machine's CPU went during one timed run: gunicorn (master and workers),
    the PostgreSQL backends of the bench database, the SIP2 servers (which a library's
    system runs elsewhere in production) and this process (the load generator)."""

    def __init__(self, server_pid: int, peers: list[subprocess.Popen]):
        self.server_pid, self.peer_pids = server_pid, [p.pid for p in peers]
        self.before = self._snapshot()

    def _snapshot(self) -> dict[str, dict[int, int]]:
        own = os.times()
        return {
            "gunicorn": web.gunicorn_ticks(self.server_pid),
            "PostgreSQL": web.postgres_ticks(),  # a backend that ends meanwhile is missed
            "SIP2 servers": {pid: web._cpu_ticks(web._proc_stat(pid)) for pid in self.peer_pids},
            "generator": {0: round((own.user + own.system) * web.CLK_TCK)},
        }

    def per_request(self, requests: int) -> str:
        after = self._snapshot()
        return ", ".join(
            f"{name} {1000 * web.ticks_delta(self.before[name], after[name]) / requests:.1f}"
            for name in after
        )


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The machine's busy share (%) between two :func:`web.machine_busy` readings."""
    return 100 * (after[0] - before[0]) / max(after[1] - before[1], 1)


def accounts(
    port: int, prefixes: list[str], clients: int, rounds: int, cpu_split
) -> tuple[list[float], float, CpuSplit]:
    """Each client, logged in with a card of the first library and one of the second
    linked (set-up, not timed), opens "mon compte" ``rounds`` times. The timings, the
    machine's busy share while they ran, and where the CPU went (``cpu_split()`` taken
    when the timed run starts)."""
    browsers = []
    for n in range(clients):
        browser = Browser(port)
        browser.log_in(f"{prefixes[0]}{n % PATRONS:05d}")
        browser.link(f"{prefixes[1]}{n % PATRONS:05d}")
        browsers.append(browser)
    timings: list[float] = []
    lock = threading.Lock()

    def client(browser: Browser) -> None:
        for _ in range(rounds):
            took = browser.account()
            with lock:
                timings.append(took)

    busy, cpu = web.machine_busy(), cpu_split()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, browsers))
    return timings, busy_share(busy, web.machine_busy()), cpu


def start_gunicorn(
    env: dict[str, str], port: int, log: Path, workers: int, threads: int, extra: list[str]
) -> subprocess.Popen:
    cmd = [
        sys.executable, "-m", "gunicorn", "bench.wsgi_bench:application", "--chdir",
        str(web.BASE_DIR), "--bind", f"{HOST}:{port}", "--workers", str(workers),
        "--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning",
        "--error-logfile", str(log), *extra,
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=web.BASE_DIR, env=env, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise web.BenchError(f"gunicorn exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if web.fetch(f"http://{HOST}:{port}{web.BARE}", timeout=2)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    raise web.BenchError("gunicorn did not start")


def line(label: str, values: list[float]) -> float:
    p50, p95, p99 = percentiles(values)
    say(
        f"  {label:<34} n={len(values):>4}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms"
    )
    return p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--latency", type=float, default=0.05, help="SIP2 answer delay (s)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--rounds", type=int, default=4, help="logins per client (4)")
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=THREADS, help="threads per worker")
    parser.add_argument("--gunicorn", default="", help="more gunicorn options, quoted")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, web._terminated)

    peers: list[subprocess.Popen] = []
    server = None
    db_lock = None
    db_created = False
    with tempfile.TemporaryDirectory(prefix="metrobib-bench-login-") as tmp:
        workdir = Path(tmp)
        try:
            env = web.server_env(f"{web.DB_SERVER}/{web.DB_NAME}", workdir / "s", workdir / "m")
            os.environ.update(env)  # for the bare round trips, made from this process
            say(f"Métrobib login benchmark — {web.NCPU} cores, Python {sys.version.split()[0]}")
            ports = {}
            for prefix in ("BEN", "CAL"):
                proc, port = start_peer(prefix, args.latency)
                peers.append(proc)
                ports[prefix] = port
            say(f"SIP2 servers (pysip2, {args.latency * 1000:.0f} ms per answer): {ports}")
            db_lock = web.lock_database()
            web.create_database()
            db_created = True
            say(f"  manage.py migrate {web.manage(env, 'migrate', '--no-input'):6.1f} s")
            setup_network(env, ports)
            web.collect_static(env)
            port = web.free_port()
            env.update(BENCH_SIP2_PORT=str(ports["BEN"]), BENCH_SIP2_INSTITUTION="BEN")
            server = start_gunicorn(
                env, port, workdir / "gunicorn.log", args.workers, args.threads,
                args.gunicorn.split(),
            )  # fmt: skip
            say(
                f"gunicorn: {args.workers} workers × {args.threads} threads (gthread) "
                f"{args.gunicorn}, DEBUG off"
            )

            busy0 = web.machine_busy()
            ticks0 = web.gunicorn_ticks(server.pid)
            say(f"{args.clients} concurrent clients, {args.rounds} rounds each:")
            bare = line(
                "bare SIP2 authenticate (reference)",
                bare_round_trips(ports, args.clients, args.rounds),
            )
            # Warm-up, not timed: every worker thread's first request (imports, templates,
            # database connection) would otherwise fall in the first timed run.
            floor_logins(port, "BEN", args.clients, 1)
            portal_logins(port, "BEN", args.clients, 1)
            floor_busy0, floor_cpu = web.machine_busy(), CpuSplit(server.pid, peers)
            floor = line(
                "floor: view asking SIP2 only (POST)",
                floor_logins(port, "BEN", args.clients, args.rounds),
            )
            say(
                f"  {'':<34} machine busy {busy_share(floor_busy0, web.machine_busy()):.0f} % "
                f"of {web.NCPU} cores; CPU ms per login (GET + POST): "
                f"{floor_cpu.per_request(args.clients * args.rounds)}"
            )
            started = time.perf_counter()
            own0 = os.times()
            login_busy0 = web.machine_busy()
            login_cpu = CpuSplit(server.pid, peers)
            login = line(
                "portal login (POST)", portal_logins(port, "BEN", args.clients, args.rounds)
            )
            took = time.perf_counter() - started
            own1 = os.times()
            login_busy1 = web.machine_busy()
            rate = args.clients * args.rounds / took
            generator = (own1.user + own1.system - own0.user - own0.system) / took
            say(f"  {'':<34} {rate:.0f} logins/s (each with its GET of the form)")
            share = busy_share(login_busy0, login_busy1)
            say(
                f"  {'':<34} machine busy {share:.0f} % of {web.NCPU} cores, of which the "
                f"load generator {100 * generator:.0f} % of one core"
            )
            say(
                f"  {'':<34} CPU ms per login (GET + POST): "
                f"{login_cpu.per_request(args.clients * args.rounds)}"
            )
            timings, share, account_cpu = accounts(
                port, list(ports), args.clients, args.rounds, lambda: CpuSplit(server.pid, peers)
            )
            account = line("mon compte, two systems", timings)
            say(f"  {'':<34} machine busy {share:.0f} % of {web.NCPU} cores")
            say(f"  {'':<34} CPU ms per page: {account_cpu.per_request(len(timings))}")
            busy1 = web.machine_busy()
            ticks1 = web.gunicorn_ticks(server.pid)
            over = login - bare
            say(
                f"floor p95 above the bare round trip: {floor - bare:.1f} ms: no login through "
                "this stack on this machine can do better"
            )
            say(
                f"login p95 above the bare round trip: {over:.1f} ms "
                f"(target ≤ {LOGIN_TARGET_MS:.0f}: {web.verdict(over <= LOGIN_TARGET_MS)}); "
                f"ratio {login / bare:.2f}×"
            )
            say(
                f"mon compte p95: {account:.1f} ms "
                f"(target ≤ {ACCOUNT_TARGET_MS:.0f}: {web.verdict(account <= ACCOUNT_TARGET_MS)})"
            )
            share = busy_share(busy0, busy1)
            say(f"machine busy from the first run to the last: {share:.0f} % of {web.NCPU} cores")
            hz = os.sysconf("SC_CLK_TCK")
            spent = [(ticks1[pid] - ticks0.get(pid, 0)) / hz for pid in sorted(ticks1)]
            say(
                "CPU seconds of gunicorn's master and workers: "
                + ", ".join(f"{t:.1f}" for t in spent)
            )
        except web.BenchError as error:
            say(f"error: {error}")
            return 1
        finally:
            web.stop(server)
            for proc in peers:
                proc.terminate()
                proc.wait(timeout=10)
            if db_created:
                web.drop_database()
            if db_lock is not None:
                db_lock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
