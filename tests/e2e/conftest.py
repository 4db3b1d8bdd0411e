"""A real server on a throw-away database with the demo network, and Chromium to visit it.

Not pytest-django's ``live_server``: its flushes between tests would wipe the demo data
every journey relies on. The database is made once per session, from scratch: a fresh
PostgreSQL database when ``DATABASE_URL`` points to PostgreSQL, a temporary SQLite file
otherwise. Migrations, ``load_demo`` and ``runserver`` run as subprocesses, as a
developer would run them.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.databases import throwaway_postgres
from tests.e2e.browsing import LOCAL_HOST, Browsing

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(ROOT / "manage.py")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
STAFF_USERNAME = "e2e.coordination@metrobib.example"
STAFF_PASSWORD = "e2e-Clavier-Bleu-2026"
SCREENSHOT_DIR = ROOT / "test-artifacts" / "screenshots"

CREATE_STAFF = f"""
from accounts.models import Role, User
user = User.objects.filter(username={STAFF_USERNAME!r}).first() or User(username={STAFF_USERNAME!r})
user.email, user.first_name, user.last_name = {STAFF_USERNAME!r}, "Dominique", "Essai"
user.role, user.library = Role.NETWORK_ADMIN, None
user.set_password({STAFF_PASSWORD!r})
user.save()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCAL_HOST, 0))
        return sock.getsockname()[1]


# The demo single sign-on vendors (manage.py sso_demo_vendor) listen here; the demo's
# resources are loaded with this address (SSO_DEMO_VENDOR_URL).
SSO_VENDOR_PORT = _free_port()


def _environment(database_url: str, tmp: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DEBUG="1",
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="metrobib.settings",
        MEDIA_ROOT=str(tmp / "media"),
        HARVEST_UPLOAD_DIR=str(tmp / "harvest"),
        # E-mails as files, where a journey reads the link it was sent (sent_mail below).
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp / "mail"),
        SSO_DEMO_VENDOR_URL=f"http://{LOCAL_HOST}:{SSO_VENDOR_PORT}",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, MANAGE, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _serve(env: dict, log_path: Path, *options: str):
    """Start runserver on a free port; return the process and its base URL once healthy."""
    port = _free_port()
    base_url = f"http://{LOCAL_HOST}:{port}"
    env = {**env, "SITE_URL": base_url}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, MANAGE, "runserver", f"{LOCAL_HOST}:{port}", "--noreload", *options],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"runserver exited:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process, base_url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    _stop(process)
    raise RuntimeError(f"runserver not healthy after 60 s:\n{log_path.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def e2e_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def e2e_database(e2e_tmp):
    """The URL of an empty database that lives as long as the test session."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{e2e_tmp / 'metrobib.sqlite3'}"
        return
    with throwaway_postgres("metrobib_e2e", url) as database_url:
        yield database_url


@pytest.fixture(scope="session")
def demo_env(e2e_database, e2e_tmp) -> dict:
    """The environment of a migrated database holding the demo network and our staff user."""
    env = _environment(e2e_database, e2e_tmp)
    _manage(env, "migrate", "--no-input")
    summary = _manage(env, "load_demo")
    assert "sites_created=" in summary, summary
    _manage(env, "shell", "-c", CREATE_STAFF)
    return env


@pytest.fixture(scope="session")
def live_url(demo_env, e2e_tmp):
    """Base URL of ``runserver`` (DEBUG on, as in development) on the demo database."""
    process, base_url = _serve(demo_env, e2e_tmp / "runserver.log")
    yield base_url
    _stop(process)


@pytest.fixture(scope="session")
def worker(demo_env, e2e_tmp) -> Path:
    """A ``db_worker`` on every queue, so harvests queued from the back-office run.

    Yields the path of its log, for a test to show when a queued job never ends.
    """
    log_path = e2e_tmp / "db_worker.log"
    command = [sys.executable, MANAGE, "db_worker", "--queue-name", "*", "--interval", "0.5"]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*command, "--no-reload", "--no-startup-delay"],
            cwd=ROOT,
            env=demo_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    yield log_path
    _stop(process)


@pytest.fixture(scope="session")
def sso_vendor(demo_env, live_url, e2e_tmp) -> str:
    """The demo vendors opening through CAS and OpenID Connect, against ``live_url``."""
    log_path = e2e_tmp / "sso_vendor.log"
    command = [sys.executable, MANAGE, "sso_demo_vendor", "--port", str(SSO_VENDOR_PORT),
               "--portal", live_url]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=demo_env, stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://{LOCAL_HOST}:{SSO_VENDOR_PORT}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection((LOCAL_HOST, SSO_VENDOR_PORT), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"sso_demo_vendor did not start:\n{log_path.read_text()}"
                ) from None
            time.sleep(0.1)
    yield base_url
    _stop(process)


@pytest.fixture(scope="session")
def production_url(demo_env, e2e_tmp):
    """The same database served with DEBUG off: error pages are the portal's own.

    With DEBUG on, Django answers a 404 with its technical page, so the real 404 template
    is only reachable this way. Static files are served by ``runserver --insecure``.
    """
    env = {
        **demo_env,
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "tests.e2e.production_settings",
        "SECRET_KEY": "e2e-only-not-secret-" + "x" * 40,
        "ALLOWED_HOSTS": LOCAL_HOST,
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
    }
    process, base_url = _serve(env, e2e_tmp / "runserver-production.log", "--insecure")
    yield base_url
    _stop(process)


@pytest.fixture(scope="session")
def sent_mail(demo_env):
    """The e-mails the servers sent so far, oldest first, as ``email.message.Message``:
    call it after the page that sends one."""
    import email
    from email import policy

    directory = Path(demo_env["EMAIL_FILE_PATH"])

    def read() -> list:
        files = sorted(directory.glob("*.log"), key=lambda path: path.stat().st_mtime_ns)
        messages = []
        for path in files:
            # The file backend writes each message followed by a line of dashes.
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if raw.strip():
                    messages.append(email.message_from_bytes(raw, policy=policy.default))
        return messages

    return read


@pytest.fixture(scope="session")
def staff_credentials(demo_env) -> tuple[str, str]:
    """Username and password of a network administrator that exists in the demo database."""
    return STAFF_USERNAME, STAFF_PASSWORD


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def open_browsing(browser, live_url):
    """Open a browser context (Playwright ``new_context`` options) that stays on 127.0.0.1."""
    sessions = []

    def open_(base_url: str = live_url, **options) -> Browsing:
        session = Browsing(browser, base_url, options)
        sessions.append(session)
        return session

    yield open_
    for session in sessions:
        session.close()
    for session in sessions:
        session.assert_stayed_local()


@pytest.fixture
def browsing(open_browsing) -> Browsing:
    return open_browsing(viewport={"width": 1280, "height": 900})


@pytest.fixture
def page(browsing):
    return browsing.new_page()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
