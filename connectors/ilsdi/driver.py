"""Koha's ILS-DI service: live availability of copies (``GetAvailability``), and patrons'
logins, accounts, renewals and holds (below).

Availability: one request for all the records asked: ``ilsdi.pl?service=GetAvailability&id=1+2+3&
id_type=bib`` (Koha splits ``id`` on spaces and refuses a repeated parameter, see
``opac/ilsdi.pl``). The answer is a DLF ILS-DI 1.1 ``dlf:collection`` written by
``C4::ILSDI::Services::GetAvailability``: one ``dlf:record`` per biblionumber holding
items, each ``dlf:item id="itemnumber"`` with a ``dlf:simpleavailability``:

- ``dlf:availabilitystatus``: ``available``, ``not available`` or ``unknown`` (the DLF
  schema also has ``possibly available``);
- ``dlf:availabilitymsg``, Koha's reason, in English: ``Not for loan``, ``Checked out``,
  ``Item lost``, ``Item withdrawn``, ``Item damaged`` (``_availability`` in
  ``C4/ILSDI/Services.pm``, formerly ``Availability`` in ``C4/ILSDI/Utility.pm``);
- ``dlf:location``: the holding library's name; ``dlf:itemcallnumber`` in recent Koha;
  ``dlf:dateavailable`` in the DLF schema (when the copy is due back).

Older Koha versions answer a record without items with a record-level
``dlf:simpleavailability`` (``unknown``, "could not retrieve availability"); recent ones
leave such a record out. Errors come as Koha's ``<GetAvailability><code>NotAllowed</code>
<message>…</message></GetAvailability>`` with HTTP 200, or as ``<error>`` elements.

Copies are matched by Koha's itemnumber (``ItemQuery.item_id``, read from 995$9/952$9 at
harvest), otherwise by barcode when the answer carries one (a ``barcode`` element, or a
``dlf:identifier`` equal to the barcode). What Koha does not know is left out.

Patrons: logins, accounts, renewals and holds through Koha's patron services, whose
answers :mod:`connectors.ilsdi.patrons` reads (it describes them).

The PIN travels in the query of AuthenticatePatron (Koha's API takes no POST body), and
httpx logs every request's URL at INFO: ``connectors.http`` masks ``username`` and
``password`` in those log lines. The PIN is never logged nor put in an error.
"""

import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django.utils import timezone

from connectors.base import (
    Account,
    ActionResult,
    ConnectorError,
    Driver,
    InvalidCredentials,
    ItemQuery,
    ItemStatus,
    PatronIdentity,
    PatronRef,
)
from connectors.http import HttpClient
from connectors.ilsdi import settings as defaults
from connectors.ilsdi.patrons import (
    _children,
    _date,
    _describe,
    _local,
    _root,
    _text,
    parse_authentication,
    parse_hold_cancelled,
    parse_hold_placed,
    parse_lookup,
    parse_patron_info,
    parse_renewal,
)
from connectors.ilsdi.settings import IlsdiSettings
from connectors.registry import register

log = logging.getLogger(__name__)

DLF_NS = "http://diglib.org/ilsdi/1.1"
MAX_IDS = 200  # records in one request; a page asks about a handful
# Koha's reasons (availabilitymsg) in French, after "Indisponible : ".
REASONS = {
    "checked out": "en prêt",
    "not for loan": "exclu du prêt",
    "item lost": "perdu",
    "item withdrawn": "retiré des collections",
    "item damaged": "endommagé",
    "in transit": "en transit",
    "on hold": "réservé",
    "waiting": "réservé, en attente du lecteur",
}


@dataclass(frozen=True)
class SimpleAvailability:
    """One ``dlf:simpleavailability``, of an item or of a whole record."""

    status: str  # lower-cased availabilitystatus
    message: str = ""
    location: str = ""
    identifier: str = ""
    barcode: str = ""
    date_available: date | None = None


@dataclass
class RecordAvailability:
    bib_id: str
    items: dict[str, SimpleAvailability] = field(default_factory=dict)  # by itemnumber
    record: SimpleAvailability | None = None  # record-level, when there are no items


def _simple(element, holder=None) -> SimpleAvailability:
    holder = element if holder is None else holder
    return SimpleAvailability(
        status=_text(element, "availabilitystatus").lower(),
        message=_text(element, "availabilitymsg"),
        location=_text(element, "location"),
        identifier=_text(element, "identifier"),
        barcode=_text(element, "barcode") or _text(holder, "barcode"),
        date_available=_date(_text(element, "dateavailable")),
    )


def _error(root) -> str | None:
    """What an error answer says, or None when the answer is not one."""
    errors = [e for e in root.iter() if _local(e) == "error"]
    if errors:
        return " ; ".join(" ".join("".join(e.itertext()).split()) for e in errors) or "erreur"
    if _local(root) != "collection":
        code, message = _text(root, "code"), _text(root, "message")
        if code or message:
            return _describe(code, message)
    return None


def parse_get_availability(content: bytes) -> dict[str, RecordAvailability]:
    """A GetAvailability answer, by biblionumber. Raises :class:`ConnectorError` for an
    error answer or what is not a DLF collection."""
    root = _root(content)
    problem = _error(root)
    if problem:
        raise ConnectorError(f"Le service ILS-DI a répondu par une erreur : {problem}.")
    if _local(root) != "collection":
        raise ConnectorError(
            f"Réponse inattendue du service ILS-DI : <{_local(root)}> au lieu de "
            "<dlf:collection>. Vérifiez l'adresse du service."
        )
    records: dict[str, RecordAvailability] = {}
    for element in _children(root, "record"):
        bibliographic = next(iter(_children(element, "bibliographic")), None)
        bib_id = (bibliographic.get("id", "") if bibliographic is not None else "").strip()
        record = records.setdefault(bib_id, RecordAvailability(bib_id))
        for items in _children(element, "items"):
            for item in _children(items, "item"):
                simple = next(iter(_children(item, "simpleavailability")), None)
                if simple is None:
                    continue
                availability = _simple(simple, item)
                item_id = (item.get("id") or availability.identifier).strip()
                record.items[item_id] = availability
        level = next(iter(_children(element, "simpleavailability")), None)
        if level is not None:
            record.record = _simple(level)
    return records


def item_status(availability: SimpleAvailability) -> ItemStatus | None:
    """Our status for one simpleavailability, or None when Koha does not know the copy."""
    due = availability.date_available
    if availability.status == "available":
        return ItemStatus(True, "En rayon", location=availability.location)
    if availability.status == "not available":
        reason = REASONS.get(availability.message.casefold(), "")
        if not reason:
            text = availability.message.casefold()
            reason = next((v for k, v in REASONS.items() if k in text), "")
        label = f"Indisponible : {reason}" if reason else "Indisponible"
        if due is not None:
            label = (
                f"Indisponible : en prêt jusqu'au {due:%d/%m/%Y}"
                if reason in ("", "en prêt")
                else f"{label} (jusqu'au {due:%d/%m/%Y})"
            )
        return ItemStatus(False, label, due_date=due, location=availability.location)
    if availability.status == "possibly available":
        return ItemStatus(None, "Disponibilité incertaine", location=availability.location)
    return None  # "unknown", or empty (old Koha): nothing to tell


def _base_and_params(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="")), dict(parse_qsl(parts.query))


# ---------------------------------------------------------------- patrons

# ilsdi.pl requires HoldTitle's request_location ("IP address where the end user request is
# being placed") but no Koha version reads it; the patron's own address is not passed on.
REQUEST_LOCATION = "127.0.0.1"


@register
class IlsdiDriver(Driver):
    """Live status of copies (``GetAvailability``), and patrons' logins, accounts,
    renewals and holds, from Koha's ILS-DI."""

    name = "ilsdi"
    label = "Koha ILS-DI (disponibilité et comptes lecteurs)"
    capabilities = frozenset({"availability", "authenticate", "account", "hold"})
    settings_form = IlsdiSettings

    def __init__(
        self, settings: Mapping[str, Any] | None = None, *, http: HttpClient | None = None
    ):
        super().__init__(settings)
        self._http = http

    def biblionumber(self, record_id: str) -> str:
        """Koha's biblionumber in our record identifier, or "" when it has none."""
        pattern = self.settings.get("biblionumber_pattern") or defaults.DEFAULT_BIBLIONUMBER_PATTERN
        found = re.search(pattern, record_id or "")
        if not found:
            return ""
        value = found.group(1) if found.re.groups else found.group(0)
        return value.strip()

    def availability(
        self,
        items: Sequence[ItemQuery],
        *,
        timeout: float,
        mapping: Mapping[str, Any] | None = None,
    ) -> dict[int, ItemStatus]:
        by_bib: dict[str, list[ItemQuery]] = {}
        for item in items:
            bib = self.biblionumber(item.record_id)
            if bib and " " not in bib:
                by_bib.setdefault(bib, []).append(item)
        if not by_bib:
            return {}
        deadline = self._deadline(timeout)
        records: dict[str, RecordAvailability] = {}
        bibs = list(by_bib)
        for start in range(0, len(bibs), MAX_IDS):
            asked = {
                "service": "GetAvailability",
                "id": " ".join(bibs[start : start + MAX_IDS]),
                "id_type": "bib",
            }
            records.update(parse_get_availability(self._get(asked, deadline)))
        return match(records, by_bib)

    # ------------------------------------------------------------ patrons

    def authenticate(self, card_number: str, pin: str, *, timeout: float) -> PatronIdentity:
        """AuthenticatePatron with the card (or Koha login) and PIN, then GetPatronInfo for
        who the patron is, both within ``timeout``. :class:`InvalidCredentials` for an
        unknown card or a wrong PIN alike (and for an expired PIN, saying so)."""
        if not card_number.strip() or not pin:
            raise InvalidCredentials()
        deadline = self._deadline(timeout)
        borrowernumber = parse_authentication(
            self._get(
                {"service": "AuthenticatePatron", "username": card_number, "password": pin},
                deadline,
            )
        )
        asked = {"service": "GetPatronInfo", "patron_id": borrowernumber, "show_contact": "1"}
        account = parse_patron_info(
            self._get(asked, deadline), today=timezone.localdate(), card_number=card_number
        )
        return account.patron

    def account(self, patron: PatronRef, *, timeout: float) -> Account:
        """GetPatronInfo with the loans and holds. Loans are named by itemnumber (what
        :meth:`renew` takes) and overdue when due before today; holds by reserve_id (what
        :meth:`cancel_hold` takes), cancellable while Koha has not found a copy for them.
        Raises :class:`ConnectorError`, also when Koha no longer knows the patron."""
        deadline = self._deadline(timeout)
        asked = {
            "service": "GetPatronInfo",
            "patron_id": self._borrowernumber(patron, deadline),
            "show_contact": "1",
            "show_loans": "1",
            "show_holds": "1",
        }
        return parse_patron_info(
            self._get(asked, deadline),
            today=timezone.localdate(),
            card_number=patron.card_number,
        )

    def renew(self, patron: PatronRef, item_id: str, *, timeout: float) -> ActionResult:
        """RenewLoan of this itemnumber: ``ok`` with the new due date when Koha gives it,
        or Koha's reason (CanBookBeRenewed's) in French."""
        deadline = self._deadline(timeout)
        asked = {
            "service": "RenewLoan",
            "patron_id": self._borrowernumber(patron, deadline),
            "item_id": item_id,
        }
        return parse_renewal(self._get(asked, deadline))

    def place_hold(
        self,
        patron: PatronRef,
        *,
        record_id: str,
        item_id: str = "",
        pickup_location: str = "",
        timeout: float,
    ) -> ActionResult:
        """HoldItem on this itemnumber when given, else HoldTitle on the record's
        biblionumber, to be picked up at ``pickup_location`` (a Koha branchcode; the
        patron's own library when empty). A refusal is ``ok=False`` with the reason."""
        bib = self.biblionumber(record_id)
        if not bib:
            log.warning("ILS-DI hold: no biblionumber in record identifier %r", record_id)
            return ActionResult(ok=False, message="Ce document ne peut pas être réservé en ligne.")
        deadline = self._deadline(timeout)
        service = "HoldItem" if item_id else "HoldTitle"
        asked = {"service": service, "patron_id": self._borrowernumber(patron, deadline)}
        asked["bib_id"] = bib
        if item_id:
            asked["item_id"] = item_id
        else:
            asked["request_location"] = REQUEST_LOCATION
        if pickup_location:
            asked["pickup_location"] = pickup_location
        return parse_hold_placed(self._get(asked, deadline), service)

    def cancel_hold(self, patron: PatronRef, hold_id: str, *, timeout: float) -> ActionResult:
        """CancelHold of this reserve_id (:attr:`Hold.hold_id`). A refusal is ``ok=False``
        with the reason."""
        deadline = self._deadline(timeout)
        asked = {
            "service": "CancelHold",
            "patron_id": self._borrowernumber(patron, deadline),
            "item_id": hold_id,
        }
        return parse_hold_cancelled(self._get(asked, deadline))

    # ------------------------------------------------------------ HTTP

    def _deadline(self, timeout: float) -> float:
        limit = min(timeout, float(self.settings.get("timeout") or defaults.DEFAULT_TIMEOUT))
        return time.monotonic() + limit

    def _borrowernumber(self, patron: PatronRef, deadline: float) -> str:
        """Koha's borrowernumber of a patron: kept since login, or asked by card number."""
        if patron.system_id:
            return patron.system_id
        asked = {"service": "LookupPatron", "id": patron.card_number, "id_type": "cardnumber"}
        return parse_lookup(self._get(asked, deadline))

    def _get(self, params: Mapping[str, str], deadline: float) -> bytes:
        """The body of Koha's answer to one ILS-DI request, asked before ``deadline``
        (``time.monotonic()``). :class:`ConnectorError` (retryable) when Koha does not
        answer in time, cannot be reached or fails (HTTP 5xx)."""
        url = self.settings.get("base_url", "")
        if not url:
            raise ConnectorError("Réglages incomplets : l'adresse du service ILS-DI manque.")
        base, query = _base_and_params(url)
        query |= params
        if self._http is not None:
            return self._http.get(base, query).content
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            host = urlsplit(base).hostname or base
            raise ConnectorError(
                f"Le serveur {host} ne répond pas (délai dépassé) ; abandon.", retryable=True
            )
        # No retry: a live answer that comes late is of no use to the page waiting for it.
        with HttpClient(timeout=remaining, connect_timeout=remaining, max_retries=0) as http:
            return http.get(base, query).content


def match(
    records: Mapping[str, RecordAvailability], by_bib: Mapping[str, Sequence[ItemQuery]]
) -> dict[int, ItemStatus]:
    """Our copies' statuses from what Koha said: by itemnumber, then barcode, then the
    record-level answer of a record without items."""
    by_item_id: dict[str, SimpleAvailability] = {}
    by_barcode: dict[str, SimpleAvailability] = {}
    for record in records.values():
        for item_id, availability in record.items.items():
            by_item_id[item_id] = availability
            for code in {availability.barcode, availability.identifier} - {"", item_id}:
                by_barcode.setdefault(code, availability)
    statuses: dict[int, ItemStatus] = {}
    for bib, queries in by_bib.items():
        record = records.get(bib)
        for query in queries:
            availability = (query.item_id and by_item_id.get(query.item_id)) or (
                query.barcode and by_barcode.get(query.barcode)
            )
            if not availability and record is not None and not record.items:
                availability = record.record
            status = item_status(availability) if availability else None
            if status is not None:
                statuses[query.key] = status
    return statuses
