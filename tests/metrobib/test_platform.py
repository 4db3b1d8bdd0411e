"""What the platform promises whatever the page: health check, error pages, robots and
sitemap, the Content-Security-Policy, and production settings that pass Django's checks."""

import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import DatabaseError, connections
from django.test import RequestFactory

from metrobib.views import server_error

BASE_DIR = settings.BASE_DIR


# --- Health check -----------------------------------------------------------------------


def test_healthz_says_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_fails(client, db, monkeypatch):
    # A mock, because the real test database cannot be made unreachable for one request:
    # stopping it would break this test's own transaction and the other xdist worker.
    def unreachable(*args, **kwargs):
        raise DatabaseError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(connections["default"], "cursor", unreachable)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def test_healthz_is_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    redirected = client.get("/bibliotheques/")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/bibliotheques/"


# --- Error pages ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/cette-page-n-existe-pas/", "/bibliotheques/atlantis/"])
def test_not_found_page_is_french_and_uses_the_site_layout(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="fr">' in page
    assert "<h1>Page introuvable</h1>" in page
    assert "erreur 404" in page
    # The base layout: skip links, the main menu and the footer.
    assert 'href="#contenu"' in page
    assert 'id="navigation"' in page
    assert 'id="pied-de-page"' in page


def test_server_error_page_is_french_and_needs_no_database():
    # No ``db`` fixture: any query here would fail the test, as it would fail in production
    # when the error comes from the database itself.
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert '<html lang="fr">' in page
    assert "Le service est momentanément indisponible" in page
    assert "erreur 500" in page


def test_an_unexpected_error_shows_the_french_500_page(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("network.selectors.list_sites", broken)
    client.raise_request_exception = False
    response = client.get("/bibliotheques/")
    assert response.status_code == 500
    assert "Le service est momentanément indisponible" in response.content.decode()


# --- Robots and sitemap -----------------------------------------------------------------


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_the_back_office(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "Disallow: /admin/" in lines
    assert "Disallow: /api/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_sitemap_lists_every_site_and_the_finder(client, cast):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    xml = response.content.decode()
    for site in (cast.site_a, cast.site_b):
        assert f"<loc>http://testserver/bibliotheques/{site.slug}/</loc>" in xml
    assert "<loc>http://testserver/bibliotheques/</loc>" in xml


# --- Content-Security-Policy ------------------------------------------------------------


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


class InlineScripts(HTMLParser):
    """Executable inline scripts and inline styles, which a strict policy would block."""

    DATA_TYPES = {"application/json", "application/ld+json"}

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        executable = attributes.get("type") not in self.DATA_TYPES
        if tag == "script" and "src" not in attributes and executable:
            self.found.append(f"<script {attributes}>")
        if "style" in attributes:
            self.found.append(f"<{tag} style=…>")
        self.found += [f"<{tag} {name}=…>" for name in attributes if name.startswith("on")]
        if tag == "style":
            self.found.append("<style>")


@pytest.fixture
def public_paths(cast):
    from editorial.services import ensure_library_page

    page = ensure_library_page(cast.library_a)
    return [
        "/",
        "/bibliotheques/",
        f"/bibliotheques/{cast.site_a.slug}/",
        page.url,
        "/plan-du-site/",
        "/cette-page-n-existe-pas/",
    ]


def test_public_pages_forbid_inline_scripts_and_styles(client, public_paths):
    for path in public_paths:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        policy = csp(response)
        assert policy["script-src"] == ["'self'"], path
        assert policy["style-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_public_pages_contain_nothing_the_policy_would_block(client, public_paths):
    for path in public_paths:
        parser = InlineScripts()
        parser.feed(client.get(path).content.decode())
        assert parser.found == [], path


def test_map_tiles_are_allowed_as_images(client, db):
    policy = csp(client.get("/bibliotheques/"))
    assert "https://tile.openstreetmap.org" in policy["img-src"]


def test_the_back_office_has_its_own_policy(client, cast):
    response = client.get("/admin/login/")
    policy = csp(response)
    assert "'unsafe-inline'" in policy["script-src"]
    assert policy["frame-ancestors"] == ["'self'"]
    client.force_login(cast.network_admin)
    assert "'unsafe-inline'" in csp(client.get("/admin/"))["script-src"]


def test_the_api_is_under_the_public_policy(client, db):
    policy = csp(client.get("/api/v1/sites"))
    assert policy["script-src"] == ["'self'"]


def test_public_pages_send_the_security_headers(client, db):
    response = client.get("/bibliotheques/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# --- Production settings ----------------------------------------------------------------


def _rsa_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


OIDC_KEY = _rsa_key_pem()


def production_env(tmp_path, **overrides) -> dict[str, str]:
    """The environment a production server gets; nothing inherited from the test run."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(45),  # 60 characters
        "ALLOWED_HOSTS": "metrobib.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "OIDC_RSA_PRIVATE_KEY": OIDC_KEY,
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    env = production_env(tmp_path)
    assert len(env["SECRET_KEY"]) == 60
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_deployment_checks_fail_without_the_openid_connect_signing_key(tmp_path):
    # The developer's var/oidc-rsa.pem is never read in production.
    result = run(
        ["manage.py", "check", "--deploy"], production_env(tmp_path, OIDC_RSA_PRIVATE_KEY=None)
    )
    assert result.returncode != 0
    assert "digital.E001" in result.stderr + result.stdout


SETTINGS_PROBE = """
import json
from django.conf import settings
import django
django.setup()
print(json.dumps({name: getattr(settings, name) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS",
    "ALLOWED_HOSTS", "EMAIL_BACKEND",
]} | {"static": settings.STORAGES["staticfiles"]["BACKEND"]}))
"""


def production_settings(tmp_path, **overrides) -> subprocess.CompletedProcess:
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="metrobib.settings", **overrides)
    return run(["-c", SETTINGS_PROBE], env)


def test_production_settings_are_secure(tmp_path):
    result = production_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["ALLOWED_HOSTS"] == ["metrobib.example"]
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = production_settings(tmp_path, SECRET_KEY=None)
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY is required." in result.stderr


def test_production_refuses_an_unreadable_boolean(tmp_path):
    result = production_settings(tmp_path, DEBUG="peut-être")
    assert result.returncode != 0
    assert re.search(r"DEBUG must be a boolean", result.stderr)


def test_production_without_allowed_hosts_fails_the_deployment_checks(tmp_path):
    env = production_env(tmp_path, ALLOWED_HOSTS=None)
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W020" in result.stdout + result.stderr
