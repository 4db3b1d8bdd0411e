"""A SUSHI server for the tests: real HTTP on 127.0.0.1, replaying the real reports of
``tests/data/counter/`` and synthetic exception answers (listed as such in
``tests/data/SOURCES.md``), one answer per (path, begin_date), in order when several are
scripted (the last one then repeats). A (report, month) nobody scripted gets a synthetic
3030 "No Usage Available" header, as real servers answer.

::

    def test_something(sushi_server):
        sushi_server.answer("tr_b1", "2022-12", file="r51_TR_B1_sample.json")
        sushi_server.answer("tr_b1", "2022-11", status=503, body={"Code": 1000, ...})
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "counter"
BASE = "/sushi"


@dataclass
class Reply:
    status: int = 200
    content: bytes = b""
    headers: dict = field(default_factory=dict)
    stall: float = 0.0


def no_usage(report_id: str, month: str, release: str) -> dict:
    """SYNTHETIC: the header-only 3030 answer of a month without usage."""
    header = {
        "Release": release, "Report_ID": report_id.upper(), "Report_Name": report_id.upper(),
        "Created": "2023-01-10T09:00:00Z", "Created_By": "Test server",
        "Institution_Name": "Métrobib", "Report_Filters": {
            "Begin_Date": f"{month}-01", "End_Date": f"{month}-28"},
        "Exceptions": [{"Code": 3030, "Message": "No Usage Available for Requested Dates"}],
    }  # fmt: skip
    return {"Report_Header": header, "Report_Items": []}


class SushiServer:
    def __init__(self):
        self.routes: dict[tuple[str, str | None], list[Reply]] = {}
        self.received: list[tuple[str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.replay = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{BASE}"

    def answer(self, report: str, month: str | None, *, release: str = "5.1", file: str = "",
               body=None, status: int = 200, headers=None, stall: float = 0.0) -> None:  # fmt: skip
        """Script the answer to ``/reports/<report>`` (R5.1: ``/r51/reports/<report>``)
        for ``begin_date=month`` (None: the report list)."""
        prefix = "/r51" if release == "5.1" else ""
        path = f"{prefix}/reports/{report}" if report else f"{prefix}/reports"
        if file:
            content = (DATA / file).read_bytes()
        elif isinstance(body, bytes):
            content = body
        else:
            content = json.dumps(body).encode()
        self.routes.setdefault((path, month), []).append(
            Reply(status, content, dict(headers or {}), stall)
        )

    def requests(self) -> list[tuple[str, dict[str, str]]]:
        return list(self.received)

    def _reply(self, path: str, params: dict[str, str]) -> Reply:
        self.received.append((path, params))
        if not path.startswith(BASE):
            return Reply(404, b"not found")
        path = path[len(BASE) :]
        if not path.startswith(("/reports", "/r51/reports")):
            return Reply(404, b"<html><body>Not Found</body></html>")
        queue = self.routes.get((path, params.get("begin_date")))
        if queue:
            return queue.pop(0) if len(queue) > 1 else queue[0]
        if path.endswith("/reports"):
            return Reply(200, b"[]")
        release = "5.1" if path.startswith("/r51/") else "5"
        body = no_usage(path.rsplit("/", 1)[-1], params.get("begin_date", ""), release)
        return Reply(200, json.dumps(body).encode())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlsplit(self.path)
        reply = self.server.replay._reply(url.path, dict(parse_qsl(url.query)))
        if reply.stall:
            time.sleep(reply.stall)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.content)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, format, *args):
        pass


@pytest.fixture(name="sushi_server")
def sushi_server_fixture():
    with SushiServer() as server:
        yield server
