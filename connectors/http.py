"""The one HTTP client every driver uses: explicit timeouts, a User-Agent, bounded retries.

Library systems are slow, restart at night and ask clients to come back later (HTTP 503 or
429 with ``Retry-After``). :class:`HttpClient` retries what may succeed later a bounded
number of times, never waits longer than a cap, and turns every failure into a
:class:`~connectors.base.ConnectorError` with a French message and the right
``retryable`` flag. The ``sleep`` function is injectable so tests do not really wait.
"""

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from connectors.base import ConnectorError

USER_AGENT = "Metrobib/0.1 (+https://metrobib.example)"
MAX_RETRIES = 3
MAX_WAIT = 120.0  # seconds; a server asking for a longer pause is retried by a later run
MAX_BYTES = 64 * 1024 * 1024  # one response; far above any sane OAI-PMH or SRU page
# Proxies in front of library systems answer 502/504 while the system restarts.
RETRY_STATUSES = frozenset({429, 502, 503, 504})

_SECRET_PARAMETER = re.compile(r"(?i)([?&](?:username|password)=)[^&#\s\"']*")


class HideCredentials(logging.Filter):
    """Masks credentials in the URLs httpx logs at INFO for every request: some library
    systems' APIs take a patron's card and PIN in the query (Koha's ILS-DI
    AuthenticatePatron)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _SECRET_PARAMETER.sub(r"\1***", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_PARAMETER.sub(r"\1***", str(arg))
                if isinstance(arg, str | httpx.URL)
                else arg
                for arg in record.args
            )
        return True


HIDE_CREDENTIALS = HideCredentials()
logging.getLogger("httpx").addFilter(HIDE_CREDENTIALS)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or
    None when the header is absent or unreadable. A date in the past gives 0."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class HttpReply:
    """A response whose body has been read (and decompressed)."""

    status_code: int
    url: str
    content: bytes = field(repr=False)
    headers: httpx.Headers = field(repr=False, default_factory=httpx.Headers)


class HttpClient:
    """GET with retries. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_retries: int = MAX_RETRIES,
        max_wait: float = MAX_WAIT,
        max_bytes: int = MAX_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ):
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.max_bytes = max_bytes
        self.sleep = sleep
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            transport=transport,
        )

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, params: Mapping[str, str] | None = None) -> HttpReply:
        """The response to a GET (status 2xx, body read), after at most ``max_retries``
        retries of timeouts, connection errors and 429/502/503/504 answers.

        Raises :class:`ConnectorError`: ``retryable=True`` when the retries are exhausted,
        the server asks to wait longer than ``max_wait``, or answers another 5xx;
        ``retryable=False`` for a 4xx, a bad URL or an oversized response."""
        host = httpx.URL(url).host or url
        attempt = 0
        while True:
            try:
                response = self._fetch(url, params)
            except (httpx.TransportError, httpx.InvalidURL) as error:
                problem, wait = self.transport_problem(error, url, host), None
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status not in RETRY_STATUSES:
                    raise _status_error(host, status)
                problem = f"Le serveur {host} est indisponible (HTTP {status})"
                wait = parse_retry_after(response.headers.get("Retry-After"))
                if wait is not None and wait > self.max_wait:
                    raise ConnectorError(
                        f"{problem} et demande de revenir dans {wait:.0f} s : "
                        "la moisson sera reprise plus tard.",
                        retryable=True,
                    )
            if attempt >= self.max_retries:
                raise ConnectorError(
                    f"{problem} ; abandon après {attempt + 1} essais.",
                    retryable=True,
                )
            self.sleep(min(self.max_wait, wait if wait is not None else 2.0**attempt))
            attempt += 1

    def transport_problem(self, error: Exception, url: str, host: str) -> str:
        """What went wrong on the way, in French, for a retry's message; a bad address
        (never worth retrying) raises :class:`ConnectorError`."""
        if isinstance(error, httpx.TimeoutException):
            return f"Le serveur {host} ne répond pas (délai de {self.timeout:g} s dépassé)"
        if isinstance(error, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
            raise ConnectorError(f"Adresse invalide « {url} » : {error}") from error
        if isinstance(error, httpx.ConnectError):
            return f"Impossible de joindre le serveur {host} (adresse ou port injoignable)"
        return f"La connexion avec le serveur {host} a été interrompue"

    def _fetch(self, url: str, params: Mapping[str, str] | None) -> HttpReply:
        # Streamed so that a runaway response is cut at max_bytes instead of filling memory.
        with self._client.stream("GET", url, params=params) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > self.max_bytes:
                    raise ConnectorError(
                        f"Réponse trop volumineuse de {response.url.host} "
                        f"(plus de {self.max_bytes // (1024 * 1024)} Mo)."
                    )
            return HttpReply(response.status_code, str(response.url), bytes(body), response.headers)


def _status_error(host: str, status: int) -> ConnectorError:
    if status == 404:
        reason = "adresse introuvable (HTTP 404) : vérifiez l'URL"
    elif status in (401, 403):
        reason = f"accès refusé (HTTP {status})"
    elif status < 500:
        reason = f"requête refusée (HTTP {status})"
    else:
        return ConnectorError(f"Erreur du serveur {host} (HTTP {status}).", retryable=True)
    return ConnectorError(f"Le serveur {host} a répondu : {reason}.")
