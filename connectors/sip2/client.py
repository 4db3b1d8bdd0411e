"""A blocking SIP2 client (the SC side of 3M's Standard Interchange Protocol 2.00).

Messages are built and read by the codec of ``pysip2`` (typed messages, the ``AY``
sequence number and ``AZ`` checksum); this module owns the socket. One
:class:`Sip2Client` is one TCP connection (TLS if asked), used for a few exchanges and
closed: :meth:`Sip2Client.send` is the core (one request, one verified response), and
:meth:`login`, :meth:`sc_status`, :meth:`item_information`, :meth:`patron_status`,
:meth:`patron_information`, :meth:`renew` and :meth:`hold` are helpers over it. The last
frame received stays in :attr:`Sip2Client.last_frame`, for the fields pysip2's decoder
drops (3M's extensions: ``PA`` expiry, ``PB`` birth date, ``PC`` patron class):
:func:`raw_field` reads them.

Every exchange is bounded: by the client's ``timeout`` and, when given, by an overall
``deadline`` (a :func:`time.monotonic` instant) that no exchange goes past. Whatever goes
wrong becomes a :class:`~connectors.base.ConnectorError` with a French message:
retryable for what may work later (refused or dropped connection, no answer in time, a
server that reports itself offline), not retryable for what will not (a login refused, an
answer that is not SIP2, bad settings).

Quirks of real ACS handled here: some end each message with CR LF rather than CR (the LF
is skipped); some answer without ``AY``/``AZ`` even when asked with them (accepted; a
checksum that is there is always verified); character sets differ (UTF-8, code page
850, Latin-1: the ``encoding`` setting).
"""

import logging
import socket
import ssl
import time
from datetime import datetime

from pysip2 import (
    ACSStatusResponse,
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
    RequestACSResend,
    RequestSCResend,
    SCStatusRequest,
    SIP2ChecksumError,
    SIP2CodecError,
    SIP2UnknownCommand,
    SIPMessage,
    decode_message,
    encode_message,
)
from pysip2.models import spec_for_id

from connectors.base import ConnectorError

log = logging.getLogger(__name__)

ENCODINGS = ("utf-8", "cp850", "latin-1")
MAX_MESSAGE = 64 * 1024  # bytes; a SIP2 message is a few hundred
CR = b"\r"
# Resends asked of the server (97) after a bad checksum, or made for it after a 96.
MAX_RESENDS = 1
# The response each request expects; anything else is a protocol error.
EXPECTED = {
    LoginRequest: LoginResponse,
    SCStatusRequest: ACSStatusResponse,
    ItemInformationRequest: ItemInformationResponse,
    PatronStatusRequest: PatronStatusResponse,
    PatronInformationRequest: PatronInformationResponse,
    RenewRequest: RenewResponse,
    HoldRequest: HoldResponse,
}
UNKNOWN_LANGUAGE = "000"
# The lists of items a 63 may ask for: a Y at one position of its 10-character summary.
# Koha (and SIPServer) answer only the first Y, so each list is a request of its own.
SUMMARY = {"hold": 0, "overdue": 1, "charged": 2, "fine": 3, "recall": 4, "unavailable_hold": 5}


def transaction_date(now: datetime | None = None) -> str:
    """SIP2's 18-character date: YYYYMMDD, four blanks (local time), HHMMSS."""
    now = now or datetime.now()
    return now.strftime("%Y%m%d") + "    " + now.strftime("%H%M%S")


def raw_field(frame: str, code: str) -> str | None:
    """The value of the first variable field ``code`` of a raw frame (``AY``/``AZ``
    trailer included or not), or None when absent. For the fields pysip2's decoder drops,
    such as 3M's ``PA`` and ``PB``. The fixed part is skipped by its length for the
    message's type, since the first field follows it without a ``|`` (Koha starts with
    ``AO``, Evergreen with ``AA`` or ``AE``)."""
    try:
        spec = spec_for_id(frame[:2])
    except KeyError:
        return None
    fixed = 2 + sum(f.width or 0 for f in spec.fields if f.field_id is None)
    for part in frame[fixed:].split("|")[:-1]:  # the last piece is the trailer, or ""
        if part.startswith(code):
            return part[len(code) :]
    return None


class Sip2Client:
    """One connection to an ACS. Use as a context manager (connects, then closes)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 10.0,
        deadline: float | None = None,
        tls: bool = False,
        tls_verify: bool = True,
        encoding: str = "utf-8",
        error_detection: bool = True,
    ):
        if encoding not in ENCODINGS:
            raise ConnectorError(f"Encodage SIP2 inconnu : « {encoding} ».")
        self.host, self.port = host, int(port)
        self.timeout = float(timeout)
        self.deadline = deadline
        self.tls, self.tls_verify = tls, tls_verify
        self.encoding = encoding
        self.error_detection = error_detection
        self._socket: socket.socket | None = None
        self._buffer = bytearray()
        self._sequence = -1
        self.last_frame = ""  # the last response as received, decoded, CR stripped

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    # ------------------------------------------------------------ connection

    def __enter__(self) -> "Sip2Client":
        self.connect()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def connect(self) -> None:
        try:
            raw = socket.create_connection((self.host, self.port), timeout=self._remaining())
        except TimeoutError:
            raise self._no_answer("à la connexion") from None
        except ConnectionRefusedError:
            raise ConnectorError(
                f"Le serveur SIP2 {self.where} refuse la connexion (service arrêté ou port "
                "incorrect).",
                retryable=True,
            ) from None
        except socket.gaierror:
            raise ConnectorError(
                f"Serveur SIP2 introuvable : « {self.host} » (vérifiez l'adresse).",
                retryable=True,
            ) from None
        except OSError as error:
            raise ConnectorError(
                f"Impossible de joindre le serveur SIP2 {self.where} ({error.strerror or error}).",
                retryable=True,
            ) from None
        if self.tls:
            context = ssl.create_default_context()
            if not self.tls_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            try:
                raw = context.wrap_socket(raw, server_hostname=self.host)
            except TimeoutError:
                raw.close()
                raise self._no_answer("pendant l'établissement de la connexion chiffrée") from None
            except ssl.SSLCertVerificationError as error:
                raw.close()
                raise ConnectorError(
                    f"Certificat du serveur SIP2 {self.where} refusé : {error.verify_message}.",
                ) from None
            except (ssl.SSLError, OSError) as error:
                raw.close()
                raise ConnectorError(
                    f"La connexion chiffrée (TLS) avec le serveur SIP2 {self.where} a échoué "
                    f"({getattr(error, 'reason', None) or error}).",
                    retryable=True,
                ) from None
        self._socket = raw

    def close(self) -> None:
        if self._socket is not None:
            try:
                self._socket.close()
            finally:
                self._socket = None

    # ------------------------------------------------------------ the core

    def send(self, message: SIPMessage) -> SIPMessage:
        """Send one request and return the server's verified response: a frame ending in
        CR, its checksum right and its sequence number ours (when it carries them), and of
        the type the request expects."""
        if self._socket is None:
            raise ConnectorError("Connexion SIP2 non ouverte.")
        self._sequence = (self._sequence + 1) % 10
        frame = self._encode(message, self._sequence)
        self._write(frame)
        resends = 0
        while True:
            raw = self._read_frame()
            self.last_frame = raw[:-1].decode(self.encoding, errors="replace")
            try:
                decoded = decode_message(raw, encoding=self.encoding)
            except SIP2ChecksumError:
                if resends >= MAX_RESENDS:
                    raise self._malformed("somme de contrôle (AZ) incorrecte") from None
                resends += 1
                log.debug("SIP2 %s: bad checksum, asking for a resend", self.where)
                self._write(encode_message(RequestACSResend(), checksum=True))
                continue
            except SIP2UnknownCommand as error:
                raise self._malformed(f"message de type inconnu « {error} »") from None
            except SIP2CodecError as error:
                raise self._malformed(str(error)) from None
            except UnicodeDecodeError:
                raise self._malformed(
                    f"caractères illisibles en {self.encoding} (vérifiez l'encodage dans les "
                    "réglages)"
                ) from None
            answer = decoded.message
            if isinstance(answer, RequestSCResend):  # 96: the server asks us to send again
                if resends >= MAX_RESENDS:
                    raise self._malformed("le serveur redemande sans cesse le message")
                resends += 1
                self._write(frame)
                continue
            if (
                decoded.sequence_number is not None
                and self.error_detection
                and decoded.sequence_number != self._sequence
            ):
                raise self._malformed(
                    f"numéro de séquence {decoded.sequence_number} au lieu de {self._sequence}"
                )
            expected = EXPECTED.get(type(message))
            if expected is not None and not isinstance(answer, expected):
                raise self._malformed(
                    f"réponse {type(answer).__name__} à un message {type(message).__name__}"
                )
            return answer

    def _encode(self, message: SIPMessage, sequence: int) -> bytes:
        try:
            if self.error_detection:
                return encode_message(
                    message, sequence_number=sequence, checksum=True, encoding=self.encoding
                )
            return encode_message(message, encoding=self.encoding)
        except SIP2CodecError as error:
            raise ConnectorError(f"Message SIP2 impossible à construire : {error}.") from None
        except UnicodeEncodeError:
            raise ConnectorError(
                f"Un réglage contient des caractères que l'encodage {self.encoding} ne connaît pas."
            ) from None

    def _write(self, frame: bytes) -> None:
        assert self._socket is not None
        self._socket.settimeout(self._remaining())
        try:
            self._socket.sendall(frame)
        except TimeoutError:
            raise self._no_answer("à l'envoi") from None
        except OSError:
            raise self._dropped() from None

    def _read_frame(self) -> bytes:
        """The next message, up to and including its CR (a LF after the previous one is
        skipped)."""
        assert self._socket is not None
        while True:
            while self._buffer[:1] == b"\n":
                del self._buffer[:1]
            end = self._buffer.find(CR)
            if end != -1:
                frame = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                return frame
            if len(self._buffer) > MAX_MESSAGE:
                raise self._malformed("message sans fin (pas de retour chariot)")
            self._socket.settimeout(self._remaining())
            try:
                chunk = self._socket.recv(4096)
            except TimeoutError:
                raise self._no_answer() from None
            except OSError:
                raise self._dropped() from None
            if not chunk:
                raise self._dropped()
            self._buffer.extend(chunk)

    # ------------------------------------------------------------ helpers

    def login(self, user_id: str, password: str, location_code: str = "") -> None:
        """93/94. Raises a non-retryable :class:`ConnectorError` when the server refuses."""
        answer = self.send(
            LoginRequest(
                uid_algorithm="0",
                pwd_algorithm="0",  # noqa: S106 (SIP2: "0" = not encrypted)
                login_user_id=user_id,
                login_password=password,
                location_code=location_code or None,
            )
        )
        assert isinstance(answer, LoginResponse)
        if answer.ok != "1":
            raise ConnectorError(
                f"Le serveur SIP2 {self.where} refuse la connexion du compte « {user_id} » : "
                "vérifiez l'identifiant (CN) et le mot de passe (CO) dans les réglages."
            )

    def sc_status(self) -> ACSStatusResponse:
        """99/98. Raises a retryable :class:`ConnectorError` when the ACS says it is
        offline."""
        answer = self.send(
            SCStatusRequest(status_code="0", max_print_width="080", protocol_version="2.00")
        )
        assert isinstance(answer, ACSStatusResponse)
        if answer.online_status != "Y":
            raise ConnectorError(
                f"Le serveur SIP2 {self.where} se déclare hors ligne.", retryable=True
            )
        return answer

    def item_information(self, barcode: str, institution_id: str) -> ItemInformationResponse:
        """17/18 for the copy with this barcode (SIP2's item identifier)."""
        answer = self.send(
            ItemInformationRequest(
                transaction_date=transaction_date(),
                institution_id=institution_id,
                item_identifier=barcode,
            )
        )
        assert isinstance(answer, ItemInformationResponse)
        return answer

    def patron_status(self, card: str, pin: str, institution_id: str) -> PatronStatusResponse:
        """23/24: the patron's status, and whether ``pin`` is theirs (CQ) when not empty."""
        answer = self.send(
            PatronStatusRequest(
                language=UNKNOWN_LANGUAGE,
                transaction_date=transaction_date(),
                institution_id=institution_id,
                patron_identifier=card,
                terminal_password="",
                patron_password=pin,
            )
        )
        assert isinstance(answer, PatronStatusResponse)
        return answer

    def patron_information(
        self, card: str, pin: str | None, institution_id: str, summary: str | None = None
    ) -> PatronInformationResponse:
        """63/64 for the patron with this card. ``pin`` goes in ``AD``; None sends no
        ``AD`` at all (the portal acting on its own SIP2 login: Koha would check an empty
        one, answer CQ=N and add "Invalid password" to the screen message). ``summary``
        names the one list of items asked (a key of :data:`SUMMARY`), all of it (no
        BP/BQ: Evergreen's SIPServer returns a single item when given a range)."""
        wanted = [" "] * 10
        if summary is not None:
            wanted[SUMMARY[summary]] = "Y"
        answer = self.send(
            PatronInformationRequest(
                language=UNKNOWN_LANGUAGE,
                transaction_date=transaction_date(),
                summary="".join(wanted),
                institution_id=institution_id,
                patron_identifier=card,
                patron_password=pin,
            )
        )
        assert isinstance(answer, PatronInformationResponse)
        return answer

    def renew(
        self, card: str, item_barcode: str, institution_id: str, pin: str = ""
    ) -> RenewResponse:
        """29/30: renew the loan of this copy to this patron (``AD`` only with a PIN)."""
        now = transaction_date()
        answer = self.send(
            RenewRequest(
                third_party_allowed="N",
                no_block="N",
                transaction_date=now,
                nb_due_date=now,  # only read with no_block=Y; pysip2 wants a date there
                institution_id=institution_id,
                patron_identifier=card,
                patron_password=pin or None,
                item_identifier=item_barcode,
            )
        )
        assert isinstance(answer, RenewResponse)
        return answer

    def hold(
        self,
        mode: str,
        card: str,
        institution_id: str,
        item_id: str = "",
        title_id: str = "",
        pickup_location: str = "",
        pin: str = "",
    ) -> HoldResponse:
        """15/16: place (``mode`` "+") or cancel ("-") a hold on a copy (``AB``) or a
        title (``AJ``), to be picked up at ``pickup_location`` (``BS``)."""
        answer = self.send(
            HoldRequest(
                hold_mode=mode,
                transaction_date=transaction_date(),
                pickup_location=pickup_location or None,
                institution_id=institution_id,
                patron_identifier=card,
                patron_password=pin or None,
                item_identifier=item_id or None,
                title_identifier=title_id or None,
            )
        )
        assert isinstance(answer, HoldResponse)
        return answer

    # ------------------------------------------------------------ time and errors

    def remaining(self) -> float:
        """Seconds left before the overall deadline (the client's timeout without one)."""
        if self.deadline is None:
            return self.timeout
        return self.deadline - time.monotonic()

    def _remaining(self) -> float:
        left = min(self.timeout, self.remaining())
        if left <= 0:
            raise self._no_answer()
        return left

    def _no_answer(self, when: str = "") -> ConnectorError:
        suffix = f" {when}" if when else ""
        return ConnectorError(
            f"Le serveur SIP2 {self.where} ne répond pas dans le délai imparti{suffix}.",
            retryable=True,
        )

    def _dropped(self) -> ConnectorError:
        partial = " au milieu d'un message" if self._buffer else ""
        return ConnectorError(
            f"Le serveur SIP2 {self.where} a coupé la connexion{partial}.", retryable=True
        )

    def _malformed(self, detail: str) -> ConnectorError:
        return ConnectorError(f"Réponse SIP2 illisible de {self.where} : {detail}.")
