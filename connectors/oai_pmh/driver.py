"""Harvesting an OAI-PMH 2.0 repository: ListRecords, page by page, following
resumption tokens.

One harvest asks ``Identify`` once (for the repository's datestamp granularity and
earliest datestamp), then ``ListRecords`` with ``from`` in that granularity, then follows
``resumptionToken`` until the repository sends none or an empty one. Memory holds one page
at a time. After each page a :class:`Checkpoint` carries the next token, so a crashed
harvest goes on from there; the last one says where the next incremental harvest starts:
the ``responseDate`` of the first page, the repository's own clock, so that a record
changed while the harvest ran is harvested again next time rather than missed.
"""

import copy
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from connectors.base import (
    DEFAULT_TIMEOUT,
    MARCXML,
    OAI_DC,
    Checkpoint,
    ConnectorError,
    Driver,
    HarvestedRecord,
    ResumptionLost,
)
from connectors.http import HttpClient
from connectors.oai_pmh.settings import OaiPmhSettings
from connectors.registry import register

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI}
MARC_PREFIXES = frozenset({"marcxml", "marc21", "unimarc"})
DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")

# What each OAI-PMH error code means for staff; the repository's own message follows.
ERROR_REASONS = {
    "badArgument": "l'entrepôt refuse un paramètre de la requête",
    "badVerb": "l'entrepôt ne reconnaît pas la requête : est-ce bien l'adresse OAI-PMH ?",
    "cannotDisseminateFormat": "l'entrepôt ne propose pas le format « {prefix} »",
    "noSetHierarchy": "l'entrepôt ne gère pas les ensembles (set) : laissez le champ vide",
    "noMetadataFormats": "l'entrepôt ne propose aucun format de notices",
    "idDoesNotExist": "identifiant inconnu de l'entrepôt",
}


@register
class OaiPmhDriver(Driver):
    name = "oai_pmh"
    label = "Entrepôt OAI-PMH"
    capabilities = frozenset({"harvest"})
    settings_form = OaiPmhSettings
    incremental = True

    def __init__(
        self, settings: Mapping[str, Any] | None = None, *, http: HttpClient | None = None
    ):
        super().__init__(settings)
        self._http = http  # given by tests (an injected sleep); otherwise one per harvest

    def harvest(
        self, *, since: str = "", resume: Mapping[str, Any] | None = None
    ) -> Iterator[HarvestedRecord | Checkpoint]:
        """Every record of the repository (of its set, changed since ``since`` when given,
        ``since`` being trimmed or extended to the repository's granularity), deleted
        ones included with ``deleted=True``, and a :class:`Checkpoint` after each page.
        ``resume={"token": ...}`` goes on with that resumption token.

        Raises :class:`ConnectorError`: retryable for timeouts, unavailable servers and
        malformed pages; not retryable for an OAI-PMH error (``badResumptionToken``: the
        harvest must start again from the beginning; ``cannotDisseminateFormat``...)."""
        base_url = self.settings.get("base_url", "")
        if not base_url:
            raise ConnectorError("Réglages incomplets : l'adresse de l'entrepôt manque.")
        http = self._http or HttpClient(
            timeout=float(self.settings.get("timeout") or DEFAULT_TIMEOUT)
        )
        try:
            yield from self._harvest(http, base_url, since, resume or {})
        finally:
            if self._http is None:
                http.close()

    def _harvest(
        self, http: HttpClient, base_url: str, since: str, resume: Mapping[str, Any]
    ) -> Iterator[HarvestedRecord | Checkpoint]:
        prefix = self.settings.get("metadata_prefix", "marcxml")
        record_format = MARCXML if prefix in MARC_PREFIXES else OAI_DC
        if resume.get("token"):
            params = {"verb": "ListRecords", "resumptionToken": resume["token"]}
            since = resume.get("since", "")
            until = resume.get("until", "")
            granularity = resume.get("granularity", DAY)
        else:
            granularity, earliest = self._identify(http, base_url)
            since = _from_datestamp(since, granularity, earliest)
            params = {"verb": "ListRecords", "metadataPrefix": prefix}
            if self.settings.get("set_spec"):
                params["set"] = self.settings["set_spec"]
            if since:
                params["from"] = since
            until = ""

        while True:
            root, no_records = _request(http, base_url, params, prefix)
            until = until or _text(root, "oai:responseDate")
            if no_records:
                break
            page = root.find("oai:ListRecords", NS)
            if page is None:
                raise ConnectorError("Réponse de l'entrepôt sans élément ListRecords.")
            yield from (_record(e, record_format) for e in page.iterfind("oai:record", NS))
            token = _text(page, "oai:resumptionToken")
            if not token:
                break
            if token == params.get("resumptionToken"):
                raise ConnectorError(
                    "L'entrepôt renvoie sans fin le même jeton de reprise ; moisson arrêtée."
                )
            yield Checkpoint(
                resume={"token": token, "since": since, "until": until, "granularity": granularity}
            )
            params = {"verb": "ListRecords", "resumptionToken": token}
            del root, page  # the page is freed before the next one is read
        yield Checkpoint(done=True, next_since=_in_granularity(until, granularity) or since)

    def _identify(self, http: HttpClient, base_url: str) -> tuple[str, str]:
        root, _ = _request(http, base_url, {"verb": "Identify"}, "")
        identify = root.find("oai:Identify", NS)
        if identify is None:
            raise ConnectorError("Réponse à Identify sans élément Identify : est-ce un entrepôt ?")
        granularity = _text(identify, "oai:granularity")
        # The protocol allows only these two; anything else is read as days (the coarser).
        return (SECONDS if granularity == SECONDS else DAY), _text(
            identify, "oai:earliestDatestamp"
        )


def _parser() -> etree.XMLParser:
    # One per document: lxml parsers must not be shared between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _request(
    http: HttpClient, base_url: str, params: Mapping[str, str], prefix: str
) -> tuple[etree._Element, bool]:
    """The parsed response, and whether it is a ``noRecordsMatch`` error; raises
    :class:`ConnectorError` for any other OAI-PMH error or an unreadable page."""
    reply = http.get(base_url, params=params)
    try:
        root = etree.fromstring(reply.content, _parser())
    except etree.XMLSyntaxError as error:
        raise ConnectorError(
            f"Réponse XML mal formée de l'entrepôt ({params['verb']}) : {error.msg}.",
            retryable=True,
        ) from error
    if root.tag != f"{{{OAI}}}OAI-PMH":
        raise ConnectorError(
            f"La réponse n'est pas une réponse OAI-PMH (élément « {etree.QName(root).localname} »)"
            " : vérifiez l'adresse de l'entrepôt."
        )
    errors = [
        (error.get("code", ""), " ".join((error.text or "").split()))
        for error in root.iterfind("oai:error", NS)
    ]
    if not errors:
        return root, False
    if all(code == "noRecordsMatch" for code, _ in errors):
        return root, True
    code, message = next((c, m) for c, m in errors if c != "noRecordsMatch")
    detail = f" (« {message} »)" if message else ""
    if code == "badResumptionToken":
        raise ResumptionLost(
            "L'entrepôt n'accepte plus le jeton de reprise (badResumptionToken)"
            f"{detail} : la moisson doit reprendre depuis le début."
        )
    reason = ERROR_REASONS.get(code, "erreur de l'entrepôt").format(prefix=prefix)
    raise ConnectorError(f"Erreur OAI-PMH {code} : {reason}{detail}.")


def _record(element: etree._Element, record_format: str) -> HarvestedRecord:
    header = element.find("oai:header", NS)
    identifier = _text(header, "oai:identifier") if header is not None else ""
    datestamp = _text(header, "oai:datestamp") if header is not None else ""
    if not identifier:
        return HarvestedRecord(
            payload=_standalone(element),
            format=record_format,
            datestamp=datestamp,
            rejected="Notice sans identifiant OAI dans son en-tête.",
        )
    if header.get("status") == "deleted":
        return HarvestedRecord(
            payload=b"",
            format=record_format,
            local_id=identifier,
            datestamp=datestamp,
            deleted=True,
        )
    metadata = element.find("oai:metadata", NS)
    content = None
    if metadata is not None:
        content = next((child for child in metadata if isinstance(child.tag, str)), None)
    if content is None:
        return HarvestedRecord(
            payload=_standalone(element),
            format=record_format,
            local_id=identifier,
            datestamp=datestamp,
            rejected="Notice sans métadonnées alors qu'elle n'est pas marquée supprimée.",
        )
    return HarvestedRecord(
        payload=_standalone(content), format=record_format, local_id=identifier, datestamp=datestamp
    )


def _standalone(element: etree._Element) -> bytes:
    """The element as a document of its own: the namespaces it uses declared on it, the
    envelope's others (``oai:``, ``xsi:`` when unused) left out."""
    alone = copy.deepcopy(element)
    alone.tail = None
    etree.cleanup_namespaces(alone)
    return etree.tostring(alone, encoding="utf-8")


def _text(parent: etree._Element, path: str) -> str:
    # Some repositories (BnF's) wrap every value in newlines and tabs.
    found = parent.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _parse_datestamp(value: str) -> datetime | None:
    value = value.strip()
    try:
        if _DATE_ONLY.fullmatch(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _in_granularity(value: str, granularity: str) -> str:
    """A datestamp in the repository's granularity (a day keeps its date: ``from`` is
    inclusive, so trimming never skips a record); ``""`` when unreadable."""
    parsed = _parse_datestamp(value) if value else None
    if parsed is None:
        return ""
    return parsed.strftime("%Y-%m-%d" if granularity == DAY else "%Y-%m-%dT%H:%M:%SZ")


def _from_datestamp(since: str, granularity: str, earliest: str) -> str:
    """``from`` for ListRecords: ``since`` in the repository's granularity, or ``""``
    when ``since`` is empty or not after the earliest datestamp (everything, then)."""
    if not since:
        return ""
    parsed = _parse_datestamp(since)
    if parsed is None:
        raise ConnectorError(
            f"Date de début de moisson illisible « {since} » (attendu AAAA-MM-JJ ou "
            "AAAA-MM-JJThh:mm:ssZ)."
        )
    first = _parse_datestamp(earliest) if earliest else None
    if first is not None and parsed <= first:
        return ""
    return _in_granularity(since, granularity)
