"""Métrobib settings, read from the environment.

Every value that changes between a developer's machine and production comes from an
environment variable read through the small helpers below; nothing else is configurable.
"""

import contextlib
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# A development key is accepted only with DEBUG on; production must set SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-metrobib" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "accounts",
    "network",
    "editorial",
    "agenda",
    "digital",
    "stats",
    "catalogue",
    "connectors",
    "api",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "ninja",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
    "axes",
    "oauth2_provider",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "metrobib.middleware.PortalCSPMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if DEBUG:
    # runserver serves static files itself; whitenoise serves the collected ones in production.
    MIDDLEWARE.remove("whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "metrobib.urls"
WSGI_APPLICATION = "metrobib.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "metrobib.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'metrobib.sqlite3'}"),
        conn_max_age=int(env_str("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the timeout absorbs short locks.
    # Connections persist as on PostgreSQL (CONN_MAX_AGE): a new one per request starts
    # with an empty page cache and cost a search 2-4 ms more (bench/search.py, 200,000
    # records); pages are read through a memory map, shared by the processes, not copied.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=1073741824;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Web requests are many short queries: compiling them (JIT) or starting parallel
    # workers costs more than it saves, and steals the cores concurrent requests need;
    # search bitmaps of a few hundred thousand works stay exact (not lossy) in 32 MB.
    # Bitmap heap scans (every search) ask for the pages ahead of the one read only when
    # effective_io_concurrency is above 0: the catalogue is meant to be read from
    # PostgreSQL's memory (shared_buffers, README), where that request looks each page up
    # twice, 4-5 % of a search's database time (bench/search.py). A server whose catalogue
    # does not fit in its memory should set it to its disks' concurrency (SSD: 200).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c jit=off -c max_parallel_workers_per_gather=0 -c work_mem=32MB"
        f" -c effective_io_concurrency={int(env_str('DATABASE_IO_CONCURRENCY', '0'))}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"
# Patrons log in with a library card checked by their library's system (accounts/patrons.py);
# staff with Django's own passwords. django-axes goes first: it refuses everything during a
# lockout.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.LibraryCardBackend",
]
# Throttling (django-axes): after this many failed logins from one address, or on one card
# number (or staff user name), logins from there or with it are refused for a while. Axes
# keeps only a keyed digest of the card number (accounts/security.py), never the PIN.
AXES_FAILURE_LIMIT = int(env_str("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env_str("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_USERNAME_CALLABLE = "accounts.security.login_digest_of"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["username", "card_number", "pin", "ip_address"]
AXES_DISABLE_ACCESS_LOG = True  # successes go to our own audit trail (LoginEvent)
AXES_RESET_ON_SUCCESS = False  # accounts.security.forget_failures does it, keyed on the card
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
# How long a patron's library system is given to answer at login and in "mon compte".
PATRON_SYSTEM_TIMEOUT = float(env_str("PATRON_SYSTEM_TIMEOUT", "3"))
if not 0 < PATRON_SYSTEM_TIMEOUT <= 60:
    raise ImproperlyConfigured("PATRON_SYSTEM_TIMEOUT must be between 0 and 60 seconds.")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Harvests: network administrators are e-mailed when a connector fails this many times in a row.
HARVEST_ALERT_AFTER_FAILURES = int(env_str("HARVEST_ALERT_AFTER_FAILURES", "3"))
# Processes that parse the next batch of a harvest while the current one is stored
# (0: parse in the harvesting process). One is enough on two cores.
HARVEST_PARSE_PROCESSES = int(
    env_str("HARVEST_PARSE_PROCESSES", "1" if (os.cpu_count() or 1) > 1 else "0")
)
# Uploaded export files wait here for the worker (outside MEDIA_ROOT: never served).
HARVEST_UPLOAD_DIR = Path(env_str("HARVEST_UPLOAD_DIR", str(BASE_DIR / "var" / "harvest")))
# Live availability of copies (catalogue/availability.py): how long the libraries' systems
# are given, all asked at once, and how long their answers are kept in the shared cache.
AVAILABILITY_TIMEOUT = float(env_str("AVAILABILITY_TIMEOUT", "2"))
AVAILABILITY_CACHE_SECONDS = int(env_str("AVAILABILITY_CACHE_SECONDS", "300"))
if not 0 < AVAILABILITY_TIMEOUT <= 60:
    raise ImproperlyConfigured("AVAILABILITY_TIMEOUT must be between 0 and 60 seconds.")
if AVAILABILITY_CACHE_SECONDS < 0:
    raise ImproperlyConfigured("AVAILABILITY_CACHE_SECONDS must be 0 or more.")

MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }
    if os.environ.get("REDIS_URL")
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "metrobib_cache",
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
}

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        # "harvest" keeps long harvests apart: a worker can be dedicated to them.
        "QUEUES": ["default", "harvest"],
    }
}

# The public base URL (e-mails, permanent URLs of works, the OAI-PMH base URL).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Wagtail
WAGTAIL_SITE_NAME = "Métrobib"
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "wagtail.search.backends.database"},
}
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = True
WAGTAILADMIN_PERMITTED_LANGUAGES = [("fr", "Français")]
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No avatar requests to gravatar.com: staff e-mail hashes stay here.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "odt", "ods", "docx", "xlsx", "txt"]

# Open data: the OAI-PMH provider at /oai. The repository identifier is the middle part
# of every item identifier (oai:<identifier>:<record id>): it must never change once
# harvesters know it, so production sets it rather than relying on SITE_URL's host.
OAI_REPOSITORY_IDENTIFIER = env_str(
    "OAI_REPOSITORY_IDENTIFIER", urlsplit(SITE_URL).hostname or "localhost"
)
OAI_ADMIN_EMAIL = env_str("OAI_ADMIN_EMAIL", "catalogue@metrobib.example")
OAI_PAGE_SIZE = int(env_str("OAI_PAGE_SIZE", "100"))
# How long a resumption token is accepted after it was issued (seconds).
OAI_TOKEN_LIFETIME = int(env_str("OAI_TOKEN_LIFETIME", str(24 * 3600)))

# E-mail
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env_str("EMAIL_PORT", "25"))
# With EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend, one file per message
# there (the browser tests read the links the portal sends from it).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Métrobib <ne-pas-repondre@metrobib.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Maps: the tile server is a setting so that a public body can use its own.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">les contributeurs OpenStreetMap</a>',
)

# Security
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(env_str("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind one reverse proxy, the client's address is the last one the proxy appended to
# X-Forwarded-For (accounts/security.py client_ip); otherwise the socket's.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by the load balancer.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]


def _tile_origin(url: str) -> str:
    """The CSP source for a Leaflet tile URL template ({s} subdomains become a wildcard)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


# django-csp 4: public pages get a strict policy (no inline script or style at all); the
# Wagtail back-office needs inline scripts and gets its own policy (metrobib.middleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", _tile_origin(MAP_TILE_URL)],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
ADMIN_CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:", _tile_origin(MAP_TILE_URL)],
    "connect-src": ["'self'"],
    "font-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'self'"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING" if not DEBUG else "INFO"}},
}


def _oidc_private_key() -> str:
    """The RSA key signing ID tokens: OIDC_RSA_PRIVATE_KEY (PEM), or the file
    OIDC_RSA_PRIVATE_KEY_FILE; a developer's machine makes one in var/ on first use (and
    production never reads that one). Without a key in production the provider stays
    off and ``check --deploy`` says so."""
    if os.environ.get("OIDC_RSA_PRIVATE_KEY"):
        return os.environ["OIDC_RSA_PRIVATE_KEY"]
    default = str(BASE_DIR / "var" / "oidc-rsa.pem") if DEBUG else ""
    path = Path(env_str("OIDC_RSA_PRIVATE_KEY_FILE", default))
    if not default and not os.environ.get("OIDC_RSA_PRIVATE_KEY_FILE"):
        return ""
    if not path.exists() and DEBUG:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        draft.chmod(0o600)
        # Processes starting together keep the first key made, whichever it is.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text() if path.exists() else ""


# django-oauth-toolkit as the OpenID Connect provider of vendors (digital/oidc.py): the
# authorization code flow with PKCE only, short-lived codes and tokens, and claims the
# resource's settings allow (the validator decides them, not the scopes a vendor asks).
OIDC_RSA_PRIVATE_KEY = _oidc_private_key()
# Where `manage.py sso_demo_vendor` serves the demo vendors (digital/demo.py).
SSO_DEMO_VENDOR_URL = env_str("SSO_DEMO_VENDOR_URL", "http://127.0.0.1:8001")
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"  # digital.Resource links it
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": bool(OIDC_RSA_PRIVATE_KEY),
    "OIDC_RSA_PRIVATE_KEY": OIDC_RSA_PRIVATE_KEY,
    "PKCE_REQUIRED": True,
    "SCOPES": {
        "openid": "Identifiant pseudonyme propre au fournisseur",
        "email": "Adresse électronique",
    },
    "DEFAULT_SCOPES": ["openid"],
    "OAUTH2_VALIDATOR_CLASS": "digital.oidc.VendorValidator",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"] if DEBUG else ["https"],
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 300,
    "ID_TOKEN_EXPIRE_SECONDS": 300,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 3600,
    # RFC 9700 (OAuth 2.0 Security Best Current Practice), the toolkit's 4.0 defaults now:
    # no implicit or password grant, S256 PKCE only, tokens never in query strings,
    # ``iss`` in authorization responses, hashed token storage, refresh reuse revokes.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
