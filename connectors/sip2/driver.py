"""Live availability of copies, and patrons' logins and accounts, through SIP2.

Patrons (see :class:`Sip2Driver`'s methods): Patron Information (63/64) checks a card and
its PIN and gives the patron's identity, loans (``AU``, ``AT``) and holds (``AS``), named by
barcode, whose titles and due dates come from Item Information (17/18); Renew (29/30)
and Hold (15/16) act on them. A login is accepted only when the server says the PIN was
checked and right (CQ=Y); the account is read without a PIN, on the trust of the portal's
own SIP2 login (93). The card number and the PIN are never logged nor put in an error.

Availability (Item Information, messages 17/18):

One connection per call: login (93/94) when an account is configured, the server's status
(99/98) when asked, then one Item Information per copy, by barcode, one after the other,
all within the call's ``timeout``. The circulation status of each answer (SIP2 2.00,
fixed field 1 of message 18) becomes a French label:

== ====================================== ===================================== =========
01 other                                  Statut non précisé par la bibliothèque None
02 on order                               En commande                           False
03 available                              En rayon                              True
04 charged                                En prêt (jusqu'au JJ/MM/AAAA, AH)      False
05 charged; not to be recalled until ...  En prêt (jusqu'au JJ/MM/AAAA, AH)      False
06 in process                             En traitement                         False
07 recalled                               Rappelé                               False
08 waiting on hold shelf                  Réservé, en attente du lecteur        False
09 waiting to be re-shelved               En cours de rangement                 True
10 in transit between library locations   En transit                            False
11 claimed returned                       Déclaré rendu                         False
12 lost                                   Perdu                                 False
13 missing                                Manquant                              False
== ====================================== ===================================== =========

09 counts as available: the copy is back in the library and can be borrowed today (Koha
answers 09 for copies on its shelving cart, which it lends); the label tells the patron it
may not be on the shelf yet. A copy the server does not know (Koha answers 01 with an
empty title, AJ) is left out, so it keeps its harvested status.
"""

import logging
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from pysip2 import HoldResponse, ItemInformationResponse, PatronInformationResponse

from connectors.base import (
    Account,
    ActionResult,
    ConnectorError,
    Driver,
    Hold,
    InvalidCredentials,
    ItemQuery,
    ItemStatus,
    Loan,
    PatronIdentity,
    PatronRef,
)
from connectors.registry import register
from connectors.sip2 import settings as defaults
from connectors.sip2.client import Sip2Client, raw_field
from connectors.sip2.settings import Sip2Settings

log = logging.getLogger(__name__)

UNKNOWN_LABEL = "Statut non précisé par la bibliothèque"
# Circulation status → (available, French label). 04/05 get the due date when known.
CIRCULATION_STATUSES: dict[str, tuple[bool | None, str]] = {
    "01": (None, UNKNOWN_LABEL),
    "02": (False, "En commande"),
    "03": (True, "En rayon"),
    "04": (False, "En prêt"),
    "05": (False, "En prêt"),
    "06": (False, "En traitement"),
    "07": (False, "Rappelé"),
    "08": (False, "Réservé, en attente du lecteur"),
    "09": (True, "En cours de rangement"),
    "10": (False, "En transit"),
    "11": (False, "Déclaré rendu"),
    "12": (False, "Perdu"),
    "13": (False, "Manquant"),
}
CHARGED = frozenset({"04", "05"})
ON_HOLD_SHELF = "08"
HOLD_STATUSES = {ON_HOLD_SHELF: "Disponible au retrait", "10": "En transit"}

# Patron status (fixed field of 24 and 64): a Y at a position denies a privilege. Any Y
# blocks the patron; the reason shown is the first of this list found, the precise ones
# before the bare "privileges denied" that systems set along with them (Koha and
# Evergreen deny charge, renewal, recall and hold for an expired or suspended card).
BLOCKING_STATUS = (
    (4, "Carte signalée perdue"),
    (10, "Amendes à régler"),
    (11, "Frais à régler"),
    (13, "Trop de documents facturés"),
    (6, "Trop de documents en retard"),
    (12, "Document rappelé non rendu"),
    (9, "Trop de documents perdus"),
    (8, "Trop de documents déclarés rendus"),
    (5, "Trop de documents empruntés"),
    (7, "Trop de renouvellements"),
    (0, "Prêts suspendus par la bibliothèque"),
    (1, "Renouvellements suspendus par la bibliothèque"),
    (3, "Réservations suspendues par la bibliothèque"),
    (2, "Rappels suspendus par la bibliothèque"),
)
GENERIC_DENIALS = frozenset({0, 1, 2, 3})
RENEWAL_REFUSED = "Le renouvellement a été refusé par la bibliothèque."
# Koha's reasons for refusing a renewal (AF of a 30): English sentences for some, the
# bare codes of CanBookBeRenewed for the others. Keys casefolded, without final period.
KOHA_RENEWAL_REASONS = {
    "item unavailable due to outstanding holds": "Ce document est réservé par un autre lecteur.",
    "on_reserve": "Ce document est réservé par un autre lecteur.",
    "item has reached maximum renewals": "Ce document a atteint le nombre maximal de "
    "renouvellements.",
    "too_many": "Ce document a atteint le nombre maximal de renouvellements.",
    "item has reached maximum consecutive renewals without being seen": "Ce document doit "
    "être présenté à la bibliothèque avant d'être renouvelé à nouveau.",
    "item renewal is not allowed": "Ce document ne peut pas être renouvelé.",
    "item_denied_renewal": "Ce document ne peut pas être renouvelé.",
    "too_soon": "Ce document ne peut pas encore être renouvelé.",
    "auto_too_soon": "Ce document sera renouvelé automatiquement.",
    "auto_renew": "Ce document sera renouvelé automatiquement.",
    "restriction": "Votre compte est suspendu : renouvellement impossible.",
    "overdue": "Un document en retard empêche le renouvellement.",
    "onsite_checkout": "Un prêt sur place ne peut pas être renouvelé.",
}
HOLD_REFUSED = "La réservation a été refusée par la bibliothèque."
CANCEL_REFUSED = "L'annulation a été refusée par la bibliothèque."
UNKNOWN_CARD = "La bibliothèque ne reconnaît pas cette carte."
POSTAL_CODE = re.compile(r"\b(\d{5})\b[\s,]*([^,\d]*)")
# Field and message delimiters of SIP2: a value holding one cannot be sent.
UNSENDABLE = re.compile(r"[|\r\n]")

# Due dates (AH) as ACS write them: SIP2's own 18-character date (Koha, SIPServer),
# ISO dates, or day/month/year (French systems).
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:\D|$)")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})")


def parse_due_date(value: str | None) -> date | None:
    """The date of an AH field, or None when it cannot be read."""
    if not value:
        return None
    for pattern, order in ((_COMPACT, "ymd"), (_ISO, "ymd"), (_DAY_FIRST, "dmy")):
        found = pattern.match(value)
        if found:
            parts = [int(p) for p in found.groups()]
            year, month, day = parts if order == "ymd" else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def item_status(answer: ItemInformationResponse) -> ItemStatus | None:
    """What a message 18 says of a copy, or None when the server does not know it."""
    code = answer.circulation_status
    if code == "01" and not (answer.title_identifier or "").strip():
        return None  # Koha, SIPServer: an unknown barcode is "other" with no title
    available, label = CIRCULATION_STATUSES.get(code, (None, UNKNOWN_LABEL))
    due = parse_due_date(answer.due_date) if code in CHARGED else None
    if due is not None:
        label = f"En prêt jusqu'au {due:%d/%m/%Y}"
    location = (answer.current_location or answer.permanent_location or "").strip()
    return ItemStatus(available=available, label=label, due_date=due, location=location)


def block_reason(patron_status: str, expires_on: date | None = None) -> str:
    """The French reason a patron status (24, 64) denies service, or "" when it does
    not. Bare denials on a card past its end date say so."""
    denied = {n for n, flag in enumerate(patron_status) if flag == "Y"}
    if denied and denied <= GENERIC_DENIALS and expires_on and expires_on < date.today():
        return f"Carte expirée depuis le {expires_on:%d/%m/%Y}"
    for position, reason in BLOCKING_STATUS:
        if position in denied:
            return reason
    return ""


def split_name(personal_name: str) -> dict[str, str]:
    """The name of AE, whole, and split into first and last names when written
    "LAST, First" (Koha's "First Last" is too ambiguous to split)."""
    name = " ".join(personal_name.split()).strip(" ,")
    last, comma, first = name.partition(",")
    if comma and last.strip() and first.strip():
        return {"full_name": name, "first_name": first.strip(), "last_name": last.strip()}
    return {"full_name": name}


def postal_code_and_city(address: str) -> tuple[str, str]:
    """The 5-digit postal code of a BD address and the city after it. The last one
    wins: a street number or a post-office box (BP) may come before."""
    matches = list(POSTAL_CODE.finditer(address or ""))
    if not matches:
        return "", ""
    return matches[-1].group(1), matches[-1].group(2).strip()


def screen_messages(answer: Any) -> tuple[str, ...]:
    return tuple(m.strip() for m in answer.screen_message if m.strip())


def identity(card_number: str, answer: PatronInformationResponse, frame: str) -> PatronIdentity:
    """What a 64 (and its raw frame, for PA and PB) says of a patron."""
    postal_code, city = postal_code_and_city(answer.home_address or "")
    expires_on = parse_due_date(raw_field(frame, "PA"))
    reason = block_reason(answer.patron_status, expires_on)
    return PatronIdentity(
        card_number=card_number,
        email=(answer.email_address or "").strip(),
        birth_date=parse_due_date(raw_field(frame, "PB")),
        expires_on=expires_on,
        postal_code=postal_code,
        city=city,
        blocked=bool(reason),
        block_reason=reason,
        messages=screen_messages(answer),
        **split_name(answer.personal_name or ""),
    )


def fines(answer: PatronInformationResponse) -> str:
    """BV (with BH) when the patron owes something, else ""."""
    amount = (answer.fee_amount or "").strip()
    try:
        owed = float(amount.replace(",", "."))
    except ValueError:
        return ""
    return f"{amount} {answer.currency_type or ''}".strip() if owed > 0 else ""


def listed(answers: Sequence[PatronInformationResponse], name: str) -> list[str]:
    """The barcodes of one list of items (AS, AT, AU...) of some 64, once each. Empty
    entries are left out (Koha's title-level holds, with no copy yet)."""
    values = (value.strip() for answer in answers for value in getattr(answer, name))
    return list(dict.fromkeys(value for value in values if value))


def title_of(detail: ItemInformationResponse | None) -> str:
    return (detail.title_identifier or "").strip() if detail is not None else ""


def action_result(answer: HoldResponse, refused: str) -> ActionResult:
    messages = screen_messages(answer)
    if answer.ok == "1":
        return ActionResult(ok=True, message=" ".join(messages))
    return ActionResult(ok=False, message=" ".join(messages) or refused)


@register
class Sip2Driver(Driver):
    """Live status of copies, patrons' logins, loans and holds, from a library system's
    SIP2 server (Koha, Evergreen, Aleph, Symphony, Orphée, Decalog...)."""

    name = "sip2"
    label = "Serveur SIP2 (disponibilité et comptes lecteurs)"
    capabilities = frozenset({"availability", "authenticate", "account", "hold"})
    settings_form = Sip2Settings

    def client(self, *, timeout: float, deadline: float | None = None) -> Sip2Client:
        """A client for this server (not connected yet)."""
        host = self.settings.get("host", "")
        if not host or not self.settings.get("institution_id"):
            raise ConnectorError(
                "Réglages incomplets : l'adresse du serveur SIP2 ou le code de "
                "l'établissement (AO) manque."
            )
        return Sip2Client(
            host,
            int(self.settings.get("port") or defaults.DEFAULT_PORT),
            timeout=timeout,
            deadline=deadline,
            tls=bool(self.settings.get("tls")),
            tls_verify=not self.settings.get("tls_insecure"),
            encoding=self.settings.get("encoding") or defaults.DEFAULT_ENCODING,
            error_detection=not self.settings.get("without_checksum"),
        )

    def open_session(self, client: Sip2Client) -> None:
        """Connect, log in when an account is configured, check the status if asked."""
        client.connect()
        if self.settings.get("login_user"):
            client.login(
                self.settings["login_user"],
                self.settings.get("login_password", ""),
                self.settings.get("location_code", ""),
            )
        if self.settings.get("check_status"):
            client.sc_status()

    @contextmanager
    def session(self, timeout: float) -> Iterator[Sip2Client]:
        """An open session (see :meth:`open_session`) whose exchanges all end within
        ``timeout`` seconds from now; closed on leaving."""
        per_exchange = float(self.settings.get("timeout") or defaults.DEFAULT_TIMEOUT)
        client = self.client(
            timeout=min(per_exchange, timeout), deadline=time.monotonic() + timeout
        )
        try:
            self.open_session(client)
            yield client
        finally:
            client.close()

    def availability(
        self,
        items: Sequence[ItemQuery],
        *,
        timeout: float,
        mapping: Mapping[str, Any] | None = None,
    ) -> dict[int, ItemStatus]:
        """Asks for each copy with a barcode, in order, over one connection. When the
        time runs out after some answers, returns those (the others keep their harvested
        status); with none, raises a retryable :class:`ConnectorError`."""
        wanted = [item for item in items if item.barcode]
        if not wanted:
            return {}
        statuses: dict[int, ItemStatus] = {}
        with self.session(timeout) as client:
            institution = self.settings["institution_id"]
            for position, item in enumerate(wanted):
                try:
                    answer = client.item_information(item.barcode, institution)
                except ConnectorError as error:
                    if not (statuses and error.retryable and client.remaining() <= 0):
                        raise
                    log.warning(
                        "SIP2 %s: out of time after %d of %d copies",
                        client.where,
                        position,
                        len(wanted),
                    )
                    break
                if answer.item_identifier.strip() not in ("", item.barcode):
                    log.warning("SIP2 %s: answer about another copy, ignored", client.where)
                    continue
                status = item_status(answer)
                if status is not None:
                    statuses[item.key] = status
        return statuses

    # ------------------------------------------------------------ patrons

    def authenticate(self, card_number: str, pin: str, *, timeout: float) -> PatronIdentity:
        """One 63 with the PIN in AD. An unknown card (BL=N), a wrong PIN (CQ=N) or an
        answer that does not say the PIN was checked (no CQ) raise
        :class:`InvalidCredentials`; other failures :class:`ConnectorError`."""
        if not card_number or not pin or UNSENDABLE.search(card_number + pin):
            raise InvalidCredentials()
        with self.session(timeout) as client:
            answer = client.patron_information(card_number, pin, self.settings["institution_id"])
            frame = client.last_frame
        pin_checked = answer.valid_patron_password == "Y"  # noqa: S105 (CQ, a Y/N flag)
        if answer.valid_patron == "N" or not pin_checked:
            raise InvalidCredentials()
        return identity(card_number, answer, frame)

    def account(self, patron: PatronRef, *, timeout: float) -> Account:
        """The patron's loans and holds, over one connection, within ``timeout``: a 63
        per list of items (charged, then overdue and holds when their counts are not
        zero), without ``AD`` (the server trusts the portal's own SIP2 login), then a 17
        per copy for its title, due date and whether it waits on the hold shelf, while
        time remains (copies left without keep an empty title). Raises
        :class:`ConnectorError` (not retryable when the server no longer knows the card)."""
        institution = self.settings["institution_id"]
        card = patron.card_number
        with self.session(timeout) as client:
            first = client.patron_information(card, None, institution, "charged")
            frame = client.last_frame
            if first.valid_patron == "N":
                raise ConnectorError(UNKNOWN_CARD)
            answers = [first]
            for summary, count in (
                ("overdue", first.overdue_items_count),
                ("hold", first.hold_items_count),
            ):
                if count != "0000":
                    answers.append(client.patron_information(card, None, institution, summary))
            # Some servers send every list whatever the summary asks: take them from all.
            overdue = listed(answers, "overdue_items")
            charged = list(dict.fromkeys((*listed(answers, "charged_items"), *overdue)))
            held = listed(answers, "hold_items")
            details = self._item_details(client, [*charged, *held], institution)
        today = date.today()
        loans = []
        for barcode in charged:
            detail = details.get(barcode)
            due = parse_due_date(detail.due_date) if detail else None
            loans.append(
                Loan(
                    item_id=barcode,
                    barcode=barcode,
                    title=title_of(detail),
                    due_date=due,
                    overdue=barcode in overdue or (due is not None and due < today),
                )
            )
        holds = []
        for barcode in held:
            detail = details.get(barcode)
            code = detail.circulation_status if detail else ""
            holds.append(
                Hold(
                    hold_id=barcode,
                    item_id=barcode,
                    title=title_of(detail),
                    ready=code == ON_HOLD_SHELF,
                    status=HOLD_STATUSES.get(code, "En attente"),
                )
            )
        person = identity(card, first, frame)
        return Account(
            patron=person,
            loans=tuple(loans),
            holds=tuple(holds),
            messages=person.messages,
            fines=fines(first),
        )

    def _item_details(
        self, client: Sip2Client, barcodes: Sequence[str], institution: str
    ) -> dict[str, ItemInformationResponse]:
        """A 17 per copy, by barcode, until time runs out (then what was answered)."""
        wanted = list(dict.fromkeys(barcodes))
        details: dict[str, ItemInformationResponse] = {}
        for barcode in wanted:
            try:
                details[barcode] = client.item_information(barcode, institution)
            except ConnectorError as error:
                if not (error.retryable and client.remaining() <= 0):
                    raise
                log.warning(
                    "SIP2 %s: out of time after %d of %d copies of an account",
                    client.where,
                    len(details),
                    len(wanted),
                )
                break
        return details

    def renew(self, patron: PatronRef, item_id: str, *, timeout: float) -> ActionResult:
        """A 29 for this barcode: ``ok`` with the new due date (AH), or the server's
        reason (AF) for refusing, in French when it is one of Koha's (which are English
        or bare codes)."""
        with self.session(timeout) as client:
            answer = client.renew(patron.card_number, item_id, self.settings["institution_id"])
        messages = " ".join(screen_messages(answer))
        if answer.ok == "1":
            return ActionResult(ok=True, message=messages, due_date=parse_due_date(answer.due_date))
        reason = KOHA_RENEWAL_REASONS.get(messages.strip(" .").casefold(), messages)
        return ActionResult(ok=False, message=reason or RENEWAL_REFUSED)

    def place_hold(
        self,
        patron: PatronRef,
        *,
        record_id: str,
        item_id: str = "",
        pickup_location: str = "",
        timeout: float,
    ) -> ActionResult:
        """A 15 "+" on the copy (AB) when given, else on the title (AJ = ``record_id``),
        to be picked up at ``pickup_location`` (BS)."""
        with self.session(timeout) as client:
            answer = client.hold(
                "+",
                patron.card_number,
                self.settings["institution_id"],
                item_id=item_id,
                title_id="" if item_id else record_id,
                pickup_location=pickup_location,
            )
        return action_result(answer, HOLD_REFUSED)

    def cancel_hold(self, patron: PatronRef, hold_id: str, *, timeout: float) -> ActionResult:
        """A 15 "-" on the copy of the hold (:attr:`Hold.hold_id` is its barcode)."""
        with self.session(timeout) as client:
            answer = client.hold(
                "-", patron.card_number, self.settings["institution_id"], item_id=hold_id
            )
        return action_result(answer, CANCEL_REFUSED)
