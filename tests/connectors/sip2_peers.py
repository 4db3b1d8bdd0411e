"""SIP2 peers for the tests, on free ports of 127.0.0.1.

- :class:`Sip2Peer`: a real SIP2 server, ``pysip2``'s ``SIP2Server`` (an AnyIO TCP
  server, run in a background thread with its own event loop), answering Login (93) from
  a table of accounts, Item Information (17) from a small store of copies, and Patron
  Status (23), Patron Information (63), Renew (29) and Hold (15) from a store of
  :class:`Patron`, as Koha's SIPServer does (C4/SIP/Sip/MsgType.pm): an unknown barcode
  is circulation status 01 with an empty title; an unknown patron is BL=N with every
  privilege denied and no CQ; CQ only when the request has an AD (an empty AD is checked
  too, and fails), with " -- Invalid password" added to the screen message when wrong;
  one list of items per 63, for the first Y of its summary; a refused renewal is "0NUN"
  with the reason in AF. The 3M extensions PA (expiry) and PB (birth date), which
  pysip2 cannot encode, are added to the frame and its checksum recomputed. It records
  the requests it received.
- :class:`RawPeer`: a plain socket server for the peers a real server is not: one that
  accepts and never answers, answers garbage, drops the connection in the middle of a
  message, gets checksums wrong, or speaks TLS. Each connection is handed to a function
  ``answer(frame) -> bytes | None`` (None: say nothing); ``close_after`` closes the
  connection after the bytes sent.

::

    def test_something(sip2_peer):
        sip2_peer.items["123"] = Copy("03", title="Lollipop")
        sip2_peer.patrons["29020001"] = Patron("29020001", "1234", "MARTIN, Camille")
        ... Sip2Client("127.0.0.1", sip2_peer.port) ...
"""

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import anyio
import pytest
from pysip2 import (
    HOLD,
    ITEM_INFORMATION,
    LOGIN,
    PATRON_INFORMATION,
    PATRON_STATUS,
    RENEW,
    HoldRequest,
    HoldResponse,
    ItemInformationRequest,
    ItemInformationResponse,
    LoginRequest,
    LoginResponse,
    PatronInformationRequest,
    PatronInformationResponse,
    PatronStatusRequest,
    PatronStatusResponse,
    RenewRequest,
    RenewResponse,
    SIP2Server,
    calculate_checksum,
    decode_message,
    encode_message,
)

INSTITUTION = "BRON"
COUNTS = (
    "hold_items_count",
    "overdue_items_count",
    "charged_items_count",
    "fine_items_count",
    "recall_items_count",
    "unavailable_holds_count",
)
START_TIMEOUT = 5.0
# Koha's screen messages (C4/SIP/Sip/MsgType.pm, C4/SIP/ILS/Patron.pm).
GREETINGS = "Greetings from Koha. "
INVALID_CARD = "Invalid cardnumber"
INVALID_PW = "Invalid password"


@dataclass(frozen=True)
class Copy:
    """A copy in the peer's store."""

    status: str  # SIP2 circulation status, "01".."13"
    title: str = "Titre"
    due_date: str | None = None  # AH, as the server writes it
    location: str | None = None  # AP


@dataclass
class Patron:
    """A patron in the peer's store. ``charged``, ``overdue`` and ``holds`` are barcodes
    (give the copies to the peer's ``items``); ``refuse_renewal``: barcode → the reason
    the server gives (AF); ``expiry`` (PA) and ``birth`` (PB) as the server writes them."""

    card: str
    pin: str
    name: str  # AE
    email: str = ""
    address: str = ""
    status: str = " " * 14
    expiry: str = ""
    birth: str = ""
    charged: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)
    fee: str = "0.00"
    refuse_renewal: dict[str, str] = field(default_factory=dict)


def add_fields(frame: bytes, fields: str, encoding: str) -> bytes:
    """``frame`` with variable ``fields`` ("PA...|PB...|") added before its AY/AZ trailer,
    the checksum recomputed."""
    body = frame[:-1]
    extra = fields.encode(encoding)
    if body[-6:-4] == b"AZ" and body[-9:-7] == b"AY":
        prefix = body[:-9] + extra + body[-9:-4]
        return prefix + calculate_checksum(prefix).encode("ascii") + b"\r"
    return body + extra + b"\r"


class _Server(SIP2Server):
    """pysip2's server, letting the peer add to a frame what pysip2 cannot encode."""

    def __init__(self, *args, extend: Callable[[bytes], bytes], latency: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self._extend = extend
        self._latency = latency

    async def _send(self, stream, state, frame: bytes) -> None:
        if self._latency:  # a library system across the network, not on loopback
            await anyio.sleep(self._latency)
        await super()._send(stream, state, self._extend(frame))


def sip_date(day: date) -> str:
    return day.strftime("%Y%m%d") + "    235900"


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
    """A pysip2 SIP2 server with a store of copies and one of patrons. ``accounts``:
    login → password (None: no login asked, any login accepted); ``login_required``: the
    server closes the connection after a refused login, as pysip2 and Koha do;
    ``checks_pin=False``: a server that never says whether a PIN is right (no CQ)."""

    items: dict[str, Copy] = field(default_factory=lambda: dict(STORE))
    patrons: dict[str, Patron] = field(default_factory=dict)
    checks_pin: bool = True
    accounts: dict[str, str] | None = None
    login_required: bool = False
    encoding: str = "utf-8"
    delay: float = 0.0  # seconds before each item answer
    latency: float = 0.0  # seconds before every answer
    received: list = field(default_factory=list)
    port: int = 0

    def __post_init__(self):
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _extend(self, frame: bytes) -> bytes:
        """Adds PA and PB to a 64 about a known patron."""
        if not frame.startswith(b"64"):
            return frame
        text = frame.decode(self.encoding)
        start = text.find("|AA") + 3
        patron = self.patrons.get(text[start : text.find("|", start)])
        if patron is None:
            return frame
        extra = (f"PA{patron.expiry}|" if patron.expiry else "") + (
            f"PB{patron.birth}|" if patron.birth else ""
        )
        return add_fields(frame, extra, self.encoding) if extra else frame

    def _app(self) -> SIP2Server:
        app = _Server(
            institution_id=INSTITUTION,
            encoding=self.encoding,
            login_required=self.login_required,
            extend=self._extend,
            latency=self.latency,
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

        def check_pin(patron: Patron, pin: str | None) -> str | None:
            """CQ as Koha writes it: only when an AD was sent."""
            if pin is None or not self.checks_pin:
                return None
            return "Y" if pin == patron.pin else "N"

        def greeting(cq: str | None) -> tuple[str, ...]:
            return (GREETINGS + (f" -- {INVALID_PW}" if cq == "N" else ""),)

        @app.route(PATRON_STATUS)
        def patron_status(request: PatronStatusRequest, ctx) -> PatronStatusResponse:
            self.received.append(request)
            patron = self.patrons.get(request.patron_identifier)
            if patron is None:
                return PatronStatusResponse(
                    patron_status="YYYY" + " " * 10,
                    language=request.language,
                    transaction_date=ctx.now_18(),
                    institution_id=request.institution_id,
                    patron_identifier=request.patron_identifier,
                    personal_name="",
                    valid_patron="N",
                    screen_message=(INVALID_CARD,),
                )
            cq = check_pin(patron, request.patron_password or None)
            return PatronStatusResponse(
                patron_status=patron.status,
                language=request.language,
                transaction_date=ctx.now_18(),
                institution_id=request.institution_id,
                patron_identifier=patron.card,
                personal_name=patron.name,
                valid_patron="Y",
                valid_patron_password=cq,
                screen_message=greeting(cq),
            )

        @app.route(PATRON_INFORMATION)
        def patron_information(request: PatronInformationRequest, ctx):
            self.received.append(request)
            patron = self.patrons.get(request.patron_identifier)
            if patron is None:  # Koha: every privilege denied, no name, BL=N, no CQ
                return PatronInformationResponse(
                    patron_status="YYYY" + " " * 10,
                    language=request.language,
                    transaction_date=ctx.now_18(),
                    **dict.fromkeys(COUNTS, "0000"),
                    institution_id=request.institution_id,
                    patron_identifier=request.patron_identifier,
                    personal_name="",
                    valid_patron="N",
                    screen_message=(INVALID_CARD,),
                )
            lists = {
                0: ("hold_items", patron.holds),
                1: ("overdue_items", patron.overdue),
                2: ("charged_items", patron.charged),
            }
            asked = lists.get(request.summary.find("Y"))
            owed = float(patron.fee) > 0
            cq = check_pin(patron, request.patron_password)
            return PatronInformationResponse(
                patron_status=patron.status,
                language=request.language,
                transaction_date=ctx.now_18(),
                hold_items_count=f"{len(patron.holds):04d}",
                overdue_items_count=f"{len(patron.overdue):04d}",
                charged_items_count=f"{len(patron.charged):04d}",
                fine_items_count="0000",
                recall_items_count="0000",
                unavailable_holds_count="0000",
                institution_id=request.institution_id,
                patron_identifier=patron.card,
                personal_name=patron.name,
                valid_patron="Y",
                valid_patron_password=cq,
                currency_type="EUR" if owed else None,
                fee_amount=patron.fee if owed else None,
                home_address=patron.address or None,
                email_address=patron.email or None,
                screen_message=greeting(cq),
                **({asked[0]: tuple(asked[1])} if asked else {}),
            )

        @app.route(RENEW)
        def renew(request: RenewRequest, ctx) -> RenewResponse:
            self.received.append(request)
            patron = self.patrons.get(request.patron_identifier)
            barcode = request.item_identifier or ""
            copy = self.items.get(barcode)
            refusal: str | None = None  # the reason (AF, may be empty) when refused
            if patron is None or barcode not in patron.charged:
                refusal = "Item not checked out"
            elif barcode in patron.refuse_renewal:
                refusal = patron.refuse_renewal[barcode]
            due = "" if refusal is not None else sip_date(date.today() + timedelta(days=28))
            if refusal is None and copy is not None:
                self.items[barcode] = Copy(copy.status, copy.title, due, copy.location)
            return RenewResponse(  # Koha: "0NUN" and an empty AH when refused
                ok="0" if refusal is not None else "1",
                renewal_ok="N" if refusal is not None else "Y",
                magnetic_media="U",
                desensitize="N",
                transaction_date=ctx.now_18(),
                institution_id=request.institution_id,
                patron_identifier=request.patron_identifier,
                item_identifier=barcode,
                title_identifier=copy.title if copy else "",
                due_date=due,
                screen_message=(refusal,) if refusal else (),
            )

        @app.route(HOLD)
        def hold(request: HoldRequest, ctx) -> HoldResponse:
            self.received.append(request)
            patron = self.patrons.get(request.patron_identifier)
            target = request.item_identifier or request.title_identifier or ""
            message = ""
            if patron is None:
                message = "Lecteur inconnu."
            elif request.hold_mode == "+":
                patron.holds.append(target)
            elif target in patron.holds:
                patron.holds.remove(target)
            else:
                message = "Aucune réservation de ce document."
            return HoldResponse(
                ok="0" if message else "1",
                available="N",
                transaction_date=ctx.now_18(),
                pickup_location=request.pickup_location,
                institution_id=request.institution_id,
                patron_identifier=request.patron_identifier,
                item_identifier=request.item_identifier,
                title_identifier=request.title_identifier,
                screen_message=(message,) if message else (),
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


def bench_peer(prefix: str, patrons: int, pin: str, latency: float) -> Sip2Peer:
    """The peer of ``bench/login.py``: ``patrons`` patrons, cards ``prefix`` + 5 digits,
    all with ``pin`` and two loans of their own, every answer ``latency`` seconds late."""
    due = sip_date(date.today() + timedelta(days=14))
    items: dict[str, Copy] = {}
    store: dict[str, Patron] = {}
    for n in range(patrons):
        card = f"{prefix}{n:05d}"
        loans = [f"{card}-{copy}" for copy in (1, 2)]
        items.update({barcode: Copy("04", f"Document {barcode}", due) for barcode in loans})
        store[card] = Patron(card=card, pin=pin, name=f"LECTEUR, Banc {n}", charged=loans)
    return Sip2Peer(items=items, patrons=store, latency=latency)


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
