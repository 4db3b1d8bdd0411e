"""SIP2 peers for the tests, on free ports of 127.0.0.1.

- :class:`Sip2Peer`: a real SIP2 server, ``pysip2``'s ``SIP2Server`` (an AnyIO TCP
  server, run in a background thread with its own event loop), answering Login (93) from
  a table of accounts and Item Information (17) from a small store of copies, as Koha's
  SIPServer does (an unknown barcode is circulation status 01 with an empty title).
  It records the requests it received.
- :class:`RawPeer`: a plain socket server for the peers a real server is not: one that
  accepts and never answers, answers garbage, drops the connection in the middle of a
  message, gets checksums wrong, or speaks TLS. Each connection is handed to a function
  ``answer(frame) -> bytes | None`` (None: say nothing); ``close_after`` closes the
  connection after the bytes sent.

::

    def test_something(sip2_peer):
        sip2_peer.items["123"] = Copy("03", title="Lollipop")
        ... Sip2Client("127.0.0.1", sip2_peer.port) ...
"""

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest
from pysip2 import (
    ITEM_INFORMATION,
    LOGIN,
    ItemInformationRequest,
    ItemInformationResponse,
    LoginRequest,
    LoginResponse,
    SIP2Server,
    decode_message,
    encode_message,
)

INSTITUTION = "BRON"
START_TIMEOUT = 5.0


@dataclass(frozen=True)
class Copy:
    """A copy in the peer's store."""

    status: str  # SIP2 circulation status, "01".."13"
    title: str = "Titre"
    due_date: str | None = None  # AH, as the server writes it
    location: str | None = None  # AP


# The store most tests use: a copy on the shelf, one on loan with its due date written as
# Koha writes it (SIP2's 18-character date), one in transit, one on the reshelving cart.
STORE = {
    "3700000000017": Copy("03", "Lollipop", location="Médiathèque Jean Prévost"),
    "3700000000024": Copy("04", "Harry Potter à l'école des sorciers", "20261212    235900"),
    "3700000000031": Copy("10", "Le Petit Prince", location="Navette"),
    "3700000000048": Copy("09", "Les Misérables"),
}


@dataclass
class Sip2Peer:
    """A pysip2 SIP2 server with a store of copies. ``accounts``: login → password
    (None: no login asked, any login accepted); ``login_required``: the server closes the
    connection after a refused login, as pysip2 and Koha do."""

    items: dict[str, Copy] = field(default_factory=lambda: dict(STORE))
    accounts: dict[str, str] | None = None
    login_required: bool = False
    encoding: str = "utf-8"
    delay: float = 0.0  # seconds before each item answer
    received: list = field(default_factory=list)
    port: int = 0

    def __post_init__(self):
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _app(self) -> SIP2Server:
        app = SIP2Server(
            institution_id=INSTITUTION, encoding=self.encoding, login_required=self.login_required
        )

        @app.route(LOGIN)
        def login(request: LoginRequest, ctx) -> LoginResponse:
            self.received.append(request)
            accounts = self.accounts or {}
            ok = self.accounts is None or accounts.get(request.login_user_id) == (
                request.login_password
            )
            return LoginResponse(ok="1" if ok else "0")

        @app.route(ITEM_INFORMATION)
        async def item_information(request: ItemInformationRequest, ctx):
            self.received.append(request)
            if self.delay:
                await anyio.sleep(self.delay)
            copy = self.items.get(request.item_identifier)
            if copy is None:  # Koha: "other", no title
                return ItemInformationResponse(
                    circulation_status="01",
                    security_marker="01",
                    fee_type="01",
                    transaction_date=ctx.now_18(),
                    item_identifier=request.item_identifier,
                    title_identifier="",
                )
            return ItemInformationResponse(
                circulation_status=copy.status,
                security_marker="02",
                fee_type="01",
                transaction_date=ctx.now_18(),
                due_date=copy.due_date,
                item_identifier=request.item_identifier,
                title_identifier=copy.title,
                current_location=copy.location,
            )

        return app

    async def _serve(self) -> None:
        async with self._app().start() as port:
            self.port = port
            self._ready.set()
            while not self._stop.is_set():
                await anyio.sleep(0.02)

    def _run(self) -> None:
        try:
            anyio.run(self._serve)
        except BaseException as error:  # reported by start()
            self._failure = error
            self._ready.set()

    def requests(self, kind: type) -> list:
        return [r for r in self.received if isinstance(r, kind)]

    def __enter__(self) -> "Sip2Peer":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._failure is not None:
            raise RuntimeError(f"the SIP2 peer did not start: {self._failure!r}")
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


# ---------------------------------------------------------------- broken peers


class RawPeer:
    """A socket server answering each CR-terminated frame with ``answer(frame)``."""

    def __init__(
        self,
        answer: Callable[[bytes], bytes | None],
        *,
        close_after: bool = False,
        tls: ssl.SSLContext | None = None,
    ):
        self.answer, self.close_after, self.tls = answer, close_after, tls
        self.frames: list[bytes] = []
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "RawPeer":
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _address = self._listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn.settimeout(5)
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the client refused our certificate
            conn.settimeout(0.05)
            buffer = b""
            while not self._stop.is_set():
                try:
                    data = conn.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\r" in buffer:
                    frame, buffer = buffer.split(b"\r", 1)
                    self.frames.append(frame + b"\r")
                    reply = self.answer(frame + b"\r")
                    if reply is not None:
                        conn.sendall(reply)
                    if self.close_after:
                        return
        finally:
            conn.close()


def hangs(frame: bytes) -> None:
    """Reads and never answers."""
    return None


def item_answer(frame: bytes, *, status: str = "03", title: str = "Lollipop") -> bytes:
    """A correct 18 for a 17 (same sequence number, checksummed like the request)."""
    decoded = decode_message(frame, encoding="utf-8")
    response = ItemInformationResponse(
        circulation_status=status,
        security_marker="02",
        fee_type="01",
        transaction_date="20261201    120000",
        item_identifier=decoded.message.item_identifier,
        title_identifier=title,
    )
    return encode_message(
        response,
        sequence_number=decoded.sequence_number,
        checksum=decoded.checksum is not None,
        encoding="utf-8",
    )


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a certificate made for the test (openssl)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def free_port() -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(name="sip2_peer")
def sip2_peer_fixture():
    """A :class:`Sip2Peer` with the usual store, no login asked."""
    with Sip2Peer() as peer:
        yield peer


def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
