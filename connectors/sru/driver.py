"""Harvesting a catalogue through SRU ``searchRetrieve`` (versions 1.1, 1.2 and 2.0).

The driver pages through the result of one CQL query (by default every record) and gives
each record's MARCXML as it came. SRU is not incremental: every harvest is a full one, and
the checkpoint after each page is the position of the next one.

Quirks met in real servers, and handled here:

- Zebra (the YAZ frontend server) never sends ``nextRecordPosition``, even in the middle of
  a result set: the next position is then the start of the page plus the records it held,
  and the harvest ends when ``numberOfRecords`` is reached.
- Namespaces vary (``http://www.loc.gov/zing/srw`` without the final slash is seen in the
  wild), so the envelope's elements are matched by local name.
- A record the server cannot give in the requested schema comes as a "surrogate
  diagnostic" in place of the record; it is kept as a rejected record, not an error.

Live availability (the ``availability`` capability) is one more ``searchRetrieve``: the
records asked, by identifier (``rec.id=1 or rec.id=2``, the index a setting), whose
copies are read with the connector's item mapping, as at harvest, and matched to the
copies asked by barcode. It says what the server's records say now: "En rayon" or
"Indisponible", or the source's own status when it is text ("Disponible", "En prêt").
"""

import copy
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from lxml import etree

from catalogue.marc import MarcError, parse_marcxml_record
from connectors import mapping as item_mapping
from connectors.base import (
    DEFAULT_TIMEOUT,
    MARCXML,
    Checkpoint,
    ConnectorError,
    Driver,
    HarvestedRecord,
    ItemQuery,
    ItemStatus,
)
from connectors.http import HttpClient
from connectors.registry import register
from connectors.sru import settings as defaults
from connectors.sru.settings import SruSettings

logger = logging.getLogger(__name__)

SRU_1_NS = "http://www.loc.gov/zing/srw/"
SRU_2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAGNOSTIC_PREFIX = "info:srw/diagnostic/1/"

# The SRU diagnostics staff are likely to meet (https://www.loc.gov/standards/sru/diagnostics/).
DIAGNOSTIC_LABELS = {
    "1": "erreur générale du serveur",
    "2": "serveur momentanément indisponible",
    "3": "authentification refusée",
    "4": "opération non prise en charge",
    "5": "version SRU non prise en charge",
    "6": "valeur de paramètre non prise en charge",
    "7": "paramètre obligatoire manquant",
    "8": "paramètre non pris en charge",
    "10": "erreur de syntaxe dans la requête CQL",
    "15": "jeu de contexte CQL inconnu",
    "16": "index CQL inconnu",
    "19": "relation CQL non prise en charge",
    "61": "position de départ hors du résultat",
    "64": "notice momentanément indisponible",
    "65": "notice supprimée",
    "66": "schéma de notice inconnu",
    "67": "notice non disponible dans ce schéma",
    "68": "notice non autorisée",
    "71": "format de transmission des notices non pris en charge",
}
# Only "temporarily unavailable" says that the same request may work later.
RETRYABLE_DIAGNOSTICS = frozenset({"2"})
FIRST_RECORD_OUT_OF_RANGE = "61"
MARC_ELEMENTS = frozenset({"record", "collection"})


@dataclass(frozen=True)
class Diagnostic:
    """One SRU diagnostic: a URI naming the problem, the server's message and details."""

    uri: str
    message: str = ""
    details: str = ""

    @property
    def code(self) -> str:
        return (
            self.uri.removeprefix(DIAGNOSTIC_PREFIX)
            if self.uri.startswith(DIAGNOSTIC_PREFIX)
            else ""
        )

    def describe(self) -> str:
        """In French for staff, with what the server said and the URI to search for."""
        label = DIAGNOSTIC_LABELS.get(self.code, "")
        said = " : ".join(part for part in (self.message, self.details) if part)
        text = " — ".join(part for part in (label, said) if part) or "erreur sans description"
        return f"{text} ({self.uri})" if self.uri else text


@dataclass(frozen=True)
class SearchPage:
    """What one searchRetrieve response says, in our terms."""

    number_of_records: int
    records: tuple[HarvestedRecord, ...]
    next_position: int | None = None
    diagnostics: tuple[Diagnostic, ...] = ()


def _parser() -> etree.XMLParser:
    # Responses come from the network: no entities, no DTD, no network access.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(element, name: str):
    return next((c for c in element if _local(c) == name), None)


def _text(element, name: str) -> str:
    found = _child(element, name)
    return (found.text or "").strip() if found is not None else ""


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _diagnostic(element) -> Diagnostic:
    return Diagnostic(
        uri=_text(element, "uri"),
        message=_text(element, "message"),
        details=_text(element, "details"),
    )


def _standalone(element) -> bytes:
    # A copy keeps only the namespace declarations the record itself uses.
    record = copy.deepcopy(element)
    record.tail = None
    etree.cleanup_namespaces(record)
    return etree.tostring(record, encoding="utf-8")


def _record(element) -> HarvestedRecord:
    """One <record> of the response: its MARCXML, or the reason it cannot be used."""
    schema = _text(element, "recordSchema")
    # SRU 2.0 says recordXMLEscaping; 1.x says recordPacking (which 2.0 reuses for
    # packed/unpacked, unrelated to escaping).
    escaping = _text(element, "recordXMLEscaping") or _text(element, "recordPacking")
    if escaping.lower() in ("packed", "unpacked"):
        escaping = ""
    data = _child(element, "recordData")
    if data is None:
        return HarvestedRecord(b"", MARCXML, rejected="notice sans données (recordData absent)")
    if escaping and escaping.lower() != "xml":
        return HarvestedRecord(
            "".join(data.itertext()).encode("utf-8"),
            MARCXML,
            rejected=f"notice transmise en texte échappé (« {escaping} ») et non en XML : "
            "le serveur ne respecte pas la demande recordPacking=xml",
        )
    children = [c for c in data if isinstance(c.tag, str)]
    if not children:
        return HarvestedRecord(
            "".join(data.itertext()).strip().encode("utf-8"), MARCXML, rejected="notice vide"
        )
    payload = b"".join(_standalone(c) for c in children)
    first = children[0]
    namespace = etree.QName(first).namespace or ""
    if _local(first) == "diagnostic" and ("diagnostic" in namespace or "diagnostic" in schema):
        return HarvestedRecord(
            payload,
            MARCXML,
            rejected="le serveur n'a pas pu fournir cette notice : "
            + _diagnostic(first).describe(),
        )
    if len(children) > 1:
        return HarvestedRecord(
            payload, MARCXML, rejected="plusieurs éléments dans une même notice (recordData)"
        )
    if _local(first) not in MARC_ELEMENTS:
        return HarvestedRecord(
            payload,
            MARCXML,
            rejected=f"la notice n'est pas en MARCXML (élément <{_local(first)}>, schéma "
            f"« {schema} ») : vérifiez le schéma des notices dans les réglages",
        )
    return HarvestedRecord(payload, MARCXML)


def parse_search_retrieve(content: bytes) -> SearchPage:
    """Read a searchRetrieve response (SRU 1.1, 1.2 or 2.0).

    Records that cannot be used become rejected :class:`HarvestedRecord`; diagnostics are
    returned, not raised (the caller knows whether they are fatal). Raises
    :class:`ConnectorError` when the response is not XML or not a searchRetrieveResponse.
    """
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as error:
        raise ConnectorError(
            f"La réponse du serveur SRU n'est pas du XML lisible : {error.msg}."
        ) from error
    if _local(root) != "searchRetrieveResponse":
        raise ConnectorError(
            f"Réponse inattendue du serveur SRU : <{_local(root)}> au lieu de "
            "<searchRetrieveResponse>. Vérifiez l'adresse du serveur."
        )
    holder = _child(root, "diagnostics")
    diagnostics = tuple(
        _diagnostic(d) for d in (holder if holder is not None else ()) if _local(d) == "diagnostic"
    )
    count = _int(_text(root, "numberOfRecords"))
    if count is None and not diagnostics:
        raise ConnectorError(
            "Réponse SRU incomplète : le nombre de notices (numberOfRecords) manque."
        )
    records = _child(root, "records")
    return SearchPage(
        number_of_records=count or 0,
        records=tuple(
            _record(r) for r in (records if records is not None else ()) if _local(r) == "record"
        ),
        next_position=_int(_text(root, "nextRecordPosition")),
        diagnostics=diagnostics,
    )


def _base_and_params(url: str) -> tuple[str, dict[str, str]]:
    # httpx replaces a URL's query with the request's params: keep the base URL's own.
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="")), dict(parse_qsl(parts.query))


@register
class SruDriver(Driver):
    """Full harvests from an SRU server (Koha/Zebra, BnF, Sudoc-like catalogues...)."""

    name = "sru"
    label = "Serveur SRU"
    capabilities = frozenset({"harvest", "availability"})
    settings_form = SruSettings
    incremental = False

    def __init__(
        self, settings: Mapping[str, Any] | None = None, *, http: HttpClient | None = None
    ):
        super().__init__(settings)
        self._http = http

    def harvest(
        self, *, since: str = "", resume: Mapping[str, Any] | None = None
    ) -> Iterator[HarvestedRecord | Checkpoint]:
        """Every record the query finds, page by page, with ``Checkpoint(resume={"start": n})``
        after each page but the last and a final ``Checkpoint(done=True)``. ``since`` is
        ignored (SRU has no notion of change dates). Raises :class:`ConnectorError`: an SRU
        diagnostic (bad query, unknown schema...) is not retryable unless the server says it
        is temporarily unavailable; timeouts and HTTP failures are."""
        start = self._resume_position(resume)
        if self._http is not None:
            yield from self._pages(self._http, start)
            return
        timeout = float(self.settings.get("timeout") or DEFAULT_TIMEOUT)
        with HttpClient(timeout=timeout) as http:
            yield from self._pages(http, start)

    def _pages(self, http: HttpClient, start: int) -> Iterator[HarvestedRecord | Checkpoint]:
        while True:
            page = self._search(http, start)
            if page.diagnostics and not page.records:
                codes = {d.code for d in page.diagnostics}
                if start > 1 and codes == {FIRST_RECORD_OUT_OF_RANGE}:
                    # The result set shrank since the checkpoint: nothing is left after it.
                    logger.warning("SRU %s: resumed at %d, past the end", self._url, start)
                    break
                raise ConnectorError(
                    "Le serveur SRU a renvoyé une erreur : "
                    + " ; ".join(d.describe() for d in page.diagnostics),
                    retryable=bool(codes & RETRYABLE_DIAGNOSTICS),
                )
            for diagnostic in page.diagnostics:
                logger.warning("SRU %s: %s", self._url, diagnostic.describe())
            yield from page.records
            following = page.next_position or start + len(page.records)
            if not page.records or following > page.number_of_records:
                break
            if following <= start:
                raise ConnectorError(
                    f"Le serveur SRU indique une page suivante ({following}) qui ne suit pas "
                    f"la page demandée ({start}) : moisson interrompue."
                )
            yield Checkpoint(resume={"start": following})
            start = following
        yield Checkpoint(done=True)

    def _search(
        self, http: HttpClient, start: int, *, query: str = "", maximum: int = 0
    ) -> SearchPage:
        version = self.settings.get("version") or defaults.DEFAULT_VERSION
        base, params = _base_and_params(self._url)
        params |= {
            "version": version,
            "query": query or self.settings.get("query") or defaults.DEFAULT_QUERY,
            "recordSchema": self.settings.get("record_schema") or defaults.DEFAULT_SCHEMA,
            "maximumRecords": str(
                maximum or self.settings.get("page_size") or defaults.DEFAULT_PAGE_SIZE
            ),
            "startRecord": str(start),
        }
        if version == "2.0":
            # SRU 2.0 dropped the operation parameter and renamed recordPacking.
            params["recordXMLEscaping"] = "xml"
        else:
            params |= {"operation": "searchRetrieve", "recordPacking": "xml"}
        return parse_search_retrieve(http.get(base, params).content)

    # ------------------------------------------------------------ availability

    def availability(
        self,
        items: Sequence[ItemQuery],
        *,
        timeout: float,
        mapping: Mapping[str, Any] | item_mapping.CompiledMapping | None = None,
    ) -> dict[int, ItemStatus]:
        """One searchRetrieve for the records of ``items``; each copy found in them with
        the barcode asked gets its status. Raises :class:`ConnectorError` without an item
        mapping (the records' copies cannot be read), or when the server fails."""
        if not mapping:
            raise ConnectorError(
                "Disponibilité impossible : ce connecteur SRU n'a pas de lecture des "
                "exemplaires (choisissez où le système range les exemplaires)."
            )
        record_ids = list(dict.fromkeys(i.record_id for i in items if i.record_id and i.barcode))
        if not record_ids:
            return {}
        query = record_query(
            self.settings.get("record_id_index") or defaults.DEFAULT_RECORD_ID_INDEX, record_ids
        )
        if self._http is not None:
            page = self._search(self._http, 1, query=query, maximum=len(record_ids))
        else:
            limit = min(timeout, float(self.settings.get("timeout") or DEFAULT_TIMEOUT))
            with HttpClient(timeout=limit, connect_timeout=limit, max_retries=0) as http:
                page = self._search(http, 1, query=query, maximum=len(record_ids))
        if page.diagnostics and not page.records:
            raise ConnectorError(
                "Le serveur SRU a renvoyé une erreur : "
                + " ; ".join(d.describe() for d in page.diagnostics),
                retryable=bool({d.code for d in page.diagnostics} & RETRYABLE_DIAGNOSTICS),
            )
        return copies_statuses(page.records, items, mapping)

    @property
    def _url(self) -> str:
        url = self.settings.get("base_url", "")
        if not url:
            raise ConnectorError("Réglages incomplets : l'adresse du serveur SRU manque.")
        return url

    @staticmethod
    def _resume_position(resume: Mapping[str, Any] | None) -> int:
        start = (resume or {}).get("start", 1)
        if not isinstance(start, int) or isinstance(start, bool) or start < 1:
            raise ConnectorError(f"Point de reprise SRU invalide : {start!r}.")
        return start


def _cql_term(value: str) -> str:
    # A CQL term in double quotes: backslash and quote escaped, masking characters too.
    return '"' + re.sub(r'(["\\*?^])', r"\\\1", value) + '"'


def record_query(index: str, record_ids: Sequence[str]) -> str:
    """``rec.id="1" or rec.id="2"``: the records with these identifiers."""
    return " or ".join(f"{index}={_cql_term(record_id)}" for record_id in record_ids)


def status_of(item) -> ItemStatus:
    """An :class:`ItemStatus` from a copy read in a record (:class:`ItemData`)."""
    text = item.status.strip()
    if text and any(c.isalpha() for c in text) and len(text) > 3:
        label = text  # the source's own words ("Disponible", "En prêt")
    elif item.available is True:
        label = "En rayon"
    elif item.available is False:
        label = "Indisponible"
    else:
        label = "Disponibilité non précisée"
    return ItemStatus(available=item.available, label=label)


def copies_statuses(
    records: Sequence[HarvestedRecord], items: Sequence[ItemQuery], mapping
) -> dict[int, ItemStatus]:
    """The statuses of the copies asked (by barcode) among the copies of ``records``."""
    found = {}
    for harvested in records:
        if harvested.rejected:
            continue
        try:
            record = parse_marcxml_record(harvested.payload)
        except MarcError:
            continue
        for copy_ in item_mapping.read_items(record, mapping):
            if copy_.barcode:
                found.setdefault(copy_.barcode, copy_)
    return {item.key: status_of(found[item.barcode]) for item in items if item.barcode in found}
