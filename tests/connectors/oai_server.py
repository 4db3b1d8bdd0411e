"""A real OAI-PMH peer for the tests: an HTTP server on 127.0.0.1 replaying recorded
responses from ``tests/data/oai_pmh/``.

It routes a request by its query parameters (``verb``, ``metadataPrefix``, ``from``,
``set``, ``resumptionToken``) to a file, records every request it receives so a test can
assert what the client sent, and can be scripted to misbehave for the next requests
(answer 503 with ``Retry-After``, stall longer than the client's timeout, serve another
page)::

    def test_something(oai_server):
        oai_server.route("sickle_noRecordsMatch.xml", verb="ListRecords", set="vide")
        oai_server.then(status=503, headers={"Retry-After": "1"})
        oai_server.then(stall=1.0)
        ... OaiPmhDriver({"base_url": oai_server.url, ...}).harvest() ...
        assert oai_server.received[1].params["from"] == "2024-01-01"
"""

import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "oai_pmh"
PATH = "/oai"


@dataclass(frozen=True)
class Reply:
    """How to answer one request. Without ``file`` or ``body``, the route table decides
    the body (a stall or extra headers can then wrap the ordinary answer)."""

    status: int = 200
    file: str = ""
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds to wait before answering


@dataclass(frozen=True)
class Received:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


class OaiReplayServer:
    """Start with ``with OaiReplayServer() as server:`` (or the ``oai_server`` fixture)."""

    def __init__(self, data_dir: Path = DATA, *, path: str = PATH):
        self.data_dir = data_dir
        self.path = path  # the only path answered (others get 404)
        self.received: list[Received] = []
        self._routes: list[tuple[dict[str, str], str]] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- scripting

    def route(self, file: str, /, **params: str) -> None:
        """Answer requests carrying all of ``params`` with ``file``. The route naming the
        most parameters wins; among equals, the last one added (so a test overrides a
        default). ``from`` is a keyword: pass it as ``**{"from": "2024-01-01"}``."""
        with self._lock:
            self._routes.append((dict(params), file))

    def then(
        self,
        *,
        status: int = 200,
        file: str = "",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        stall: float = 0.0,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests so, whatever they ask, before routing resumes."""
        reply = Reply(status, file, body, dict(headers or {}), stall)
        with self._lock:
            self._script.extend([reply] * times)

    def requests(self, verb: str | None = None) -> list[dict[str, str]]:
        """The query parameters of the requests received (of one verb if given)."""
        return [r.params for r in self.received if verb is None or r.params.get("verb") == verb]

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    # --- running

    def __enter__(self) -> "OaiReplayServer":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"replay": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- answering (called from the handler threads)

    def _answer(self, path: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.received.append(Received(path, params, headers))
            scripted = self._script.popleft() if self._script else Reply()
            routes = list(self._routes)
        if scripted.stall:
            self._stopping.wait(scripted.stall)
        if scripted.body is not None or scripted.file or scripted.status != 200:
            return scripted
        if path != self.path:
            return Reply(404, body=f"no such path {path}".encode())
        matching = [
            (len(route), order, file)
            for order, (route, file) in enumerate(routes)
            if all(params.get(k) == v for k, v in route.items())
        ]
        if not matching:
            return Reply(404, body=f"no route for {params}".encode())
        file = max(matching)[2]
        return Reply(200, file=file, headers=scripted.headers)

    def _body(self, reply: Reply) -> bytes:
        if reply.body is not None:
            return reply.body
        if reply.file:
            return (self.data_dir / reply.file).read_bytes()
        return b""


class _Handler(BaseHTTPRequestHandler):
    replay: OaiReplayServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.replay._answer(url.path, params, headers)
        body = self.replay._body(reply)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "text/xml; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a stalled answer after its timeout)

    def log_message(self, format: str, *args) -> None:
        pass


def replay_repository() -> OaiReplayServer:
    """A server whose routes make one repository out of the recorded files:

    - ``Identify``: sickle's (day granularity, earliest 1970-01-01T00:00:00Z);
    - ``marcxml``: the three SYNTHETIC pages around real MARCXML records (11 records, one
      deleted), chained by the tokens ``marcxml-page-2`` and ``marcxml-page-3``;
    - ``oai_dc``: sickle's two real pages, whose second token (``ListRecords3.xml``) the
      repository no longer accepts (``badResumptionToken``), as real repositories do with
      expired tokens;
    - ``marc21``: ``cannotDisseminateFormat``.
    """
    server = OaiReplayServer()
    server.route("sickle_Identify.xml", verb="Identify")
    server.route(
        "synthetic_ListRecords_marcxml_1.xml", verb="ListRecords", metadataPrefix="marcxml"
    )
    for page in (2, 3):
        server.route(
            f"synthetic_ListRecords_marcxml_{page}.xml",
            verb="ListRecords",
            resumptionToken=f"marcxml-page-{page}",
        )
    server.route("sickle_ListRecords.xml", verb="ListRecords", metadataPrefix="oai_dc")
    server.route("sickle_ListRecords2.xml", verb="ListRecords", resumptionToken="ListRecords2.xml")
    server.route(
        "sickle_badResumptionToken.xml", verb="ListRecords", resumptionToken="ListRecords3.xml"
    )
    server.route("sickle_cannotDisseminateFormat.xml", verb="ListRecords", metadataPrefix="marc21")
    return server


@pytest.fixture(name="oai_server")
def oai_server_fixture():
    """The replayed repository of :func:`replay_repository`, started on a free port."""
    with replay_repository() as server:
        yield server
