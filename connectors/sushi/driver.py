"""COUNTER_SUSHI (R5) and COUNTER API (R5.1) servers: the vendors' usage reports, the
``usage_reports`` capability.

The driver only asks: one report for one month per request (Celus's practice, so that a
failure costs one month and storage is keyed by month), through the project's HTTP client
with its timeouts. Reading the answer is ``stats.counter``'s job, and what to do with each
COUNTER exception (backoff, cool-down, stop) is ``stats.sushi``'s; so the driver returns
the answer whatever its HTTP status, since SUSHI puts an Exception in the body of its 4xx
and 5xx answers.

Credentials travel as query parameters (the SUSHI standard); they are masked in the HTTP
client's logs below.
"""

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from connectors.base import DEFAULT_TIMEOUT, ConnectorError, Driver
from connectors.http import HttpClient, HttpReply, parse_retry_after
from connectors.registry import register
from connectors.sushi.settings import SushiSettings

log = logging.getLogger(__name__)

MAX_REPORT_BYTES = 64 * 1024 * 1024
_SECRET = re.compile(r"(?i)([?&](?:api_key|requestor_id|customer_id)=)[^&#\s\"']*")

# What each COUNTER Report shows beside its counts (its Standard Views take none).
ATTRIBUTES_TO_SHOW = {
    "5": {
        "PR": "Data_Type|Access_Method",
        "DR": "Data_Type|Access_Method",
        "TR": "Data_Type|Section_Type|YOP|Access_Type|Access_Method",
        "IR": "Data_Type|YOP|Access_Type|Access_Method",
    },
    "5.1": {
        "PR": "Access_Method",
        "DR": "Access_Method",
        "TR": "YOP|Access_Type|Access_Method",
        "IR": "YOP|Access_Type|Access_Method",
    },
}


class HideSushiCredentials(logging.Filter):
    """httpx logs every URL at INFO; SUSHI URLs carry the api_key."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET.sub(r"\1***", str(arg)) if isinstance(arg, str | httpx.URL) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _SECRET.sub(r"\1***", record.msg)
        return True


logging.getLogger("httpx").addFilter(HideSushiCredentials())


@dataclass(frozen=True)
class SushiReply:
    """A server's answer, whatever its status. ``url`` has its credentials masked."""

    status_code: int
    content: bytes = field(repr=False)
    url: str = ""
    retry_after: float | None = None


class SushiHttp(HttpClient):
    """The project's client, asked once per call: the harvest's state decides when to try
    again (a SUSHI 503 or 429 carries a COUNTER exception that says how)."""

    def fetch(self, url: str, params: Mapping[str, str]) -> HttpReply:
        try:
            return self._fetch(url, params)
        except (httpx.TransportError, httpx.InvalidURL) as error:
            problem = self.transport_problem(error, url, httpx.URL(url).host or url)
            raise ConnectorError(f"{problem}.", retryable=True) from None


@register
class SushiDriver(Driver):
    name = "sushi"
    label = "Statistiques COUNTER (SUSHI)"
    capabilities = frozenset({"usage_reports"})
    settings_form = SushiSettings

    def __init__(self, settings: Mapping[str, Any] | None = None, *, http=None):
        super().__init__(settings)
        self._http = http

    @property
    def release(self) -> str:
        return self.settings.get("release", "5.1")

    def _base(self) -> str:
        base = self.settings["base_url"].rstrip("/")
        if self.release == "5.1" and not base.endswith("/r51"):
            base += "/r51"
        return base

    def _credentials(self) -> dict[str, str]:
        params = {"customer_id": self.settings["customer_id"]}
        for name in ("requestor_id", "api_key", "platform"):
            if self.settings.get(name):
                params[name] = self.settings[name]
        return params

    def _get(self, url: str, params: dict[str, str]) -> SushiReply:
        timeout = float(self.settings.get("timeout", DEFAULT_TIMEOUT))
        if self._http is not None:
            reply = self._http.fetch(url, params)
        else:
            with SushiHttp(timeout=timeout, max_bytes=MAX_REPORT_BYTES, max_retries=0) as http:
                reply = http.fetch(url, params)
        return SushiReply(
            reply.status_code,
            reply.content,
            _SECRET.sub(r"\1***", reply.url),
            parse_retry_after(reply.headers.get("Retry-After")),
        )

    def report_url(self, report_id: str) -> str:
        return f"{self._base()}/reports/{report_id.lower()}"

    def fetch_report(self, report_id: str, month: date) -> SushiReply:
        """One report for one month. Raises :class:`ConnectorError` only when no answer
        came (timeout, connection refused: ``retryable``) or the address is unusable."""
        params = {
            **self._credentials(),
            "begin_date": f"{month:%Y-%m}",
            "end_date": f"{month:%Y-%m}",
        }
        attributes = ATTRIBUTES_TO_SHOW[self.release].get(report_id.upper())
        if attributes:
            params["attributes_to_show"] = attributes
        return self._get(self.report_url(report_id), params)

    def available_reports(self) -> SushiReply:
        """The server's list of reports (R5.1 says First/Last_Month_Available there)."""
        return self._get(f"{self._base()}/reports", self._credentials())
