"""Live availability of copies from Koha's ILS-DI service (``GetAvailability``).

One request for all the records asked: ``ilsdi.pl?service=GetAvailability&id=1+2+3&
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
"""

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from lxml import etree

from connectors.base import ConnectorError, Driver, ItemQuery, ItemStatus
from connectors.http import HttpClient
from connectors.ilsdi import settings as defaults
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
# Koha's own error codes (opac/ilsdi.pl).
ERROR_CODES = {
    "NotAllowed": "le service ILS-DI est désactivé dans Koha ou n'autorise pas l'adresse du "
    "portail (préférences « ILS-DI » et « ILS-DI:AuthorizedIPs »)",
    "MissingParameter": "paramètre manquant",
    "IllegalParameter": "paramètre refusé",
    "MultipleValuesNotAllowed": "paramètre répété",
    "NotSupported": "service non pris en charge",
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


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element, name: str):
    return [c for c in element if _local(c) == name]


def _text(element, name: str) -> str:
    found = next(iter(_children(element, name)), None)
    return " ".join((found.text or "").split()) if found is not None else ""


def _date(value: str) -> date | None:
    found = re.match(r"^\s*(\d{4})-(\d{2})-(\d{2})", value or "")
    if not found:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


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
            label = ERROR_CODES.get(code) or ERROR_CODES.get(message) or code or message
            detail = f" ({message})" if message and message != label else ""
            return f"{label}{detail}"
    return None


def parse_get_availability(content: bytes) -> dict[str, RecordAvailability]:
    """A GetAvailability answer, by biblionumber. Raises :class:`ConnectorError` for an
    error answer or what is not a DLF collection."""
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as error:
        raise ConnectorError(
            f"La réponse du service ILS-DI n'est pas du XML lisible : {error.msg}."
        ) from error
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


@register
class IlsdiDriver(Driver):
    """Live status of copies from Koha's ILS-DI (``GetAvailability``)."""

    name = "ilsdi"
    label = "Koha ILS-DI (disponibilité en direct)"
    capabilities = frozenset({"availability"})
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
        url = self.settings.get("base_url", "")
        if not url:
            raise ConnectorError("Réglages incomplets : l'adresse du service ILS-DI manque.")
        records: dict[str, RecordAvailability] = {}
        bibs = list(by_bib)
        for start in range(0, len(bibs), MAX_IDS):
            records.update(self._ask(url, bibs[start : start + MAX_IDS], timeout))
        return match(records, by_bib)

    def _ask(self, url: str, bibs: list[str], timeout: float) -> dict[str, RecordAvailability]:
        base, params = _base_and_params(url)
        params |= {"service": "GetAvailability", "id": " ".join(bibs), "id_type": "bib"}
        if self._http is not None:
            return parse_get_availability(self._http.get(base, params).content)
        limit = min(timeout, float(self.settings.get("timeout") or defaults.DEFAULT_TIMEOUT))
        # No retry: a live answer that comes late is of no use to the page waiting for it.
        with HttpClient(timeout=limit, connect_timeout=limit, max_retries=0) as http:
            return parse_get_availability(http.get(base, params).content)


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
