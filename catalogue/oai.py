"""The catalogue's OAI-PMH 2.0 data provider (``/oai``): what harvesters (other union
catalogues, national aggregators, our own ``oai_pmh`` driver) read of Métrobib.

Items are the catalogue's records (one library's description of an edition), identified
as ``oai:<OAI_REPOSITORY_IDENTIFIER>:<record id>``; record ids are never reused. Sets are
the libraries (``setSpec`` = the library's slug). Formats: ``oai_dc`` for every record,
``marcxml`` for records whose source is MARC (a record harvested as Dublin Core has none;
lists in ``marcxml`` skip it). Deleted records are kept for ever (``deletedRecord:
persistent``): :mod:`catalogue.deletions` writes a tombstone whenever a record goes, and
lists merge records and tombstones in datestamp order.

**Paging.** Lists are read in pages of ``OAI_PAGE_SIZE`` by keyset, never by offset: the
order is (datestamp, id) — ``Record.updated_at, Record.id`` on the indexes
``record_datestamp`` and ``record_set_datestamp``, ``DeletedRecord.deleted_at, record_id``
beside them; ids are shared by the two tables, so the order is total. A resumption token
is stateless: the list's arguments, the last (datestamp, id) sent, the cursor and the list
size counted once on the first page, signed with ``django.core.signing`` so that it cannot
be forged, and accepted for ``OAI_TOKEN_LIFETIME`` after it was issued. Tokens survive
changes: a record changed during a harvest gets a datestamp later than any already
sent, so it moves past the cursor and is sent again further on (OAI-PMH allows a record
to appear twice in a list; it never allows one to be missed); a record deleted during a
harvest comes back, further on, as a deleted header. Nothing is skipped, and nothing is
sent twice unless it changed in between. (One limit, common to datestamp-based
providers: a datestamp is written inside the ingest batch's transaction, just before it
commits; a page read in that last instant cannot see the batch yet. A harvester whose
next ``from`` overlaps the last harvest by a few seconds never misses such a record; one
starting exactly at the previous ``responseDate`` can, in that instant only.)

Every request is answered with HTTP 200 and an OAI-PMH document; errors are ``<error>``
elements with the codes of the specification (section 3.6). The ``request`` element
carries the request's arguments only when they were valid (no ``badVerb`` nor
``badArgument``), as section 3.2 asks. ``noSetHierarchy`` is answered only to ListSets
when the network has no library at all (no set to list); a repository with sets never
gives it otherwise, and an unknown set simply matches no record (``noRecordsMatch``).
"""

import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.utils import timezone
from lxml import etree

from catalogue import exports
from catalogue.deletions import formats_of
from catalogue.models import DeletedRecord, Record
from network.models import Library

log = logging.getLogger(__name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_ID_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
TOKEN_SALT = "catalogue.oai.resumption"  # noqa: S105 (a signing salt, not a secret)

# metadataPrefix: (schema, namespace); records whose source is MARC have both.
FORMATS = {
    "oai_dc": (exports.OAI_DC_SCHEMA, exports.OAI_DC_NS),
    "marcxml": (exports.MARC_SCHEMA, exports.MARC_NS),
}

# Arguments of each verb (section 4): required, optional, and the exclusive one.
VERBS = {
    "Identify": (set(), set(), None),
    "ListMetadataFormats": (set(), {"identifier"}, None),
    "ListSets": (set(), set(), "resumptionToken"),
    "GetRecord": ({"identifier", "metadataPrefix"}, set(), None),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
}
# Syntax of the values the schema types (a value that breaks it is a badArgument).
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SECONDS = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z")
# The oai-identifier scheme's repositoryIdentifier (a domain name, guidelines 2.0).
_REPOSITORY_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")


class OaiError(Exception):
    """An OAI-PMH error condition: ``code`` from the specification, a message in English
    (OAI-PMH messages are read by harvesters' operators everywhere)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ListQuery:
    """What a list request (ListIdentifiers, ListRecords) asks, and where it has got to."""

    verb: str
    prefix: str
    set_spec: str = ""
    from_: str = ""  # as the harvester wrote them (echoed, and kept in the token)
    until: str = ""
    after: tuple[datetime, int] | None = None  # the last (datestamp, id) sent
    cursor: int = 0
    size: int | None = None  # the complete list's size, counted on the first page


# ----------------------------------------------------------------------------- values


def datestamp(moment: datetime) -> str:
    """A datestamp in the repository's granularity (seconds, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def repository_identifier() -> str:
    return settings.OAI_REPOSITORY_IDENTIFIER


def oai_identifier(record_id: int) -> str:
    return f"oai:{repository_identifier()}:{record_id}"


def base_url() -> str:
    return f"{settings.SITE_URL}/oai"


def record_id_of(identifier: str) -> int | None:
    """The record id an OAI identifier names, or None when it is not one of ours."""
    prefix = f"oai:{repository_identifier()}:"
    if not identifier.startswith(prefix):
        return None
    local = identifier[len(prefix) :]
    if not (local.isascii() and local.isdigit()) or len(local) > 18:
        return None
    return int(local)


def parse_utc(value: str, *, end: bool = False) -> tuple[datetime, str]:
    """A ``from``/``until`` value as a bound and its granularity (``day``/``seconds``).
    With ``end``, the bound is exclusive: the first instant after the day or second
    named (an ``until`` includes the whole of it). Raises :class:`OaiError`."""
    try:
        if found := _SECONDS.fullmatch(value):
            moment = datetime(*map(int, found.groups()), tzinfo=UTC)
            return (moment + timedelta(seconds=1) if end else moment), "seconds"
        if found := _DAY.fullmatch(value):
            moment = datetime(*map(int, found.groups()), tzinfo=UTC)
            return (moment + timedelta(days=1) if end else moment), "day"
    except (ValueError, OverflowError):
        pass
    raise OaiError(
        "badArgument",
        f"Illegal date '{value}': expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.",
    )


# ----------------------------------------------------------------------------- requests


def respond(params: dict[str, list[str]]) -> bytes:
    """The OAI-PMH response (an XML document, UTF-8) to a request's parameters, as
    ``{name: [values]}`` from the query string or the form-encoded body."""
    now = timezone.now()
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    _sub(root, "responseDate", datestamp(now))
    request = _sub(root, "request", base_url())
    try:
        verb, args = _check(params)
    except OaiError as error:
        _error(root, error)
        return _serialise(root)
    errors = _check_values(verb, args)
    if errors:
        for error in errors:
            _error(root, error)
        return _serialise(root)
    request.set("verb", verb)
    for name, value in args.items():
        request.set(name, value)
    try:
        body = HANDLERS[verb](args, now)
    except OaiError as error:
        _error(root, error)
    else:
        root.append(body)
    return _serialise(root)


def _check(params: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    """The verb and its arguments, or :class:`OaiError` (badVerb, badArgument)."""
    verbs = params.get("verb", [])
    if not verbs:
        raise OaiError("badVerb", "The verb argument is missing.")
    if len(verbs) > 1:
        raise OaiError("badVerb", "The verb argument is repeated.")
    verb = verbs[0]
    if verb not in VERBS:
        raise OaiError("badVerb", f"'{verb}' is not an OAI-PMH verb.")
    required, optional, exclusive = VERBS[verb]
    args: dict[str, str] = {}
    problems = []
    for name, values in params.items():
        if name == "verb":
            continue
        if name not in required | optional and name != exclusive:
            problems.append(f"'{name}' is not an argument of {verb}.")
        elif len(values) > 1:
            problems.append(f"The argument '{name}' is repeated.")
        elif not values[0]:
            problems.append(f"The argument '{name}' is empty.")
        else:
            args[name] = values[0]
    if not problems:
        if exclusive and exclusive in args:
            if len(args) > 1:
                problems.append(f"'{exclusive}' is an exclusive argument: nothing else may come.")
        else:
            problems += [f"The argument '{n}' is required." for n in sorted(required - set(args))]
    if problems:
        raise OaiError("badArgument", " ".join(problems))
    return verb, args


def _check_values(verb: str, args: dict[str, str]) -> list[OaiError]:
    """badArgument errors for values the protocol's syntax refuses (dates, granularity,
    ranges, prefixes and sets the schema could not even echo)."""
    errors = []
    if "metadataPrefix" in args and not _PREFIX.fullmatch(args["metadataPrefix"]):
        errors.append(OaiError("badArgument", "Illegal metadataPrefix syntax."))
    if "set" in args and not _SET_SPEC.fullmatch(args["set"]):
        errors.append(OaiError("badArgument", "Illegal setSpec syntax."))
    bounds = {}
    for name in ("from", "until"):
        if name in args:
            try:
                bounds[name] = parse_utc(args[name])
            except OaiError as error:
                errors.append(error)
    if len(bounds) == 2 and not errors:
        (start, start_kind), (end, end_kind) = bounds["from"], bounds["until"]
        if start_kind != end_kind:
            errors.append(
                OaiError("badArgument", "'from' and 'until' must have the same granularity.")
            )
        elif start > end:
            errors.append(OaiError("badArgument", "'from' is later than 'until'."))
    return errors


# ----------------------------------------------------------------------------- verbs


def identify(args: dict, now: datetime) -> etree._Element:
    """Identify: the repository, its earliest datestamp (from the data) and its
    identifier scheme."""
    element = etree.Element(f"{{{OAI_NS}}}Identify")
    _sub(element, "repositoryName", "Métrobib")
    _sub(element, "baseURL", base_url())
    _sub(element, "protocolVersion", "2.0")
    _sub(element, "adminEmail", settings.OAI_ADMIN_EMAIL)
    _sub(element, "earliestDatestamp", datestamp(earliest_datestamp() or now))
    _sub(element, "deletedRecord", "persistent")
    _sub(element, "granularity", GRANULARITY)
    # The oai-identifier description is for repository identifiers that are domain
    # names (its schema says so): a development host (127.0.0.1) has none.
    if _REPOSITORY_ID.fullmatch(repository_identifier()):
        description = _sub(element, "description")
        scheme = etree.SubElement(
            description, f"{{{OAI_ID_NS}}}oai-identifier", nsmap={None: OAI_ID_NS}
        )
        scheme.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_ID_NS} {OAI_ID_SCHEMA}")
        for name, value in (
            ("scheme", "oai"),
            ("repositoryIdentifier", repository_identifier()),
            ("delimiter", ":"),
            ("sampleIdentifier", oai_identifier(1)),
        ):
            etree.SubElement(scheme, f"{{{OAI_ID_NS}}}{name}").text = value
    return element


def earliest_datestamp() -> datetime | None:
    """The earliest datestamp of the records and tombstones (two index reads)."""
    stamps = [
        Record.objects.order_by("updated_at").values_list("updated_at", flat=True).first(),
        DeletedRecord.objects.order_by("deleted_at").values_list("deleted_at", flat=True).first(),
    ]
    stamps = [s for s in stamps if s is not None]
    return min(stamps).replace(microsecond=0) if stamps else None


def list_metadata_formats(args: dict, now: datetime) -> etree._Element:
    """ListMetadataFormats: the repository's formats, or those of one item."""
    prefixes = list(FORMATS)
    if "identifier" in args:
        prefixes = _item_formats(args["identifier"])
        if not prefixes:
            raise OaiError("noMetadataFormats", "This item is disseminated in no format.")
    element = etree.Element(f"{{{OAI_NS}}}ListMetadataFormats")
    for prefix in prefixes:
        schema, namespace = FORMATS[prefix]
        entry = _sub(element, "metadataFormat")
        _sub(entry, "metadataPrefix", prefix)
        _sub(entry, "schema", schema)
        _sub(entry, "metadataNamespace", namespace)
    return element


def _item_formats(identifier: str) -> list[str]:
    record_id = record_id_of(identifier)
    if record_id is not None:
        source_format = (
            Record.objects.filter(pk=record_id).values_list("source__format", flat=True).first()
        )
        if source_format is not None:
            return formats_of(source_format)
        tombstone = DeletedRecord.objects.filter(pk=record_id).values_list("formats", flat=True)
        if tombstone:
            return [f for f in FORMATS if f in tombstone[0]]
    raise OaiError("idDoesNotExist", f"No item has the identifier '{identifier}'.")


def list_sets(args: dict, now: datetime) -> etree._Element:
    """ListSets: one set per library; the list is short, so never paged (any resumption
    token is therefore a bad one)."""
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "ListSets is never paged: no token is valid.")
    libraries = list(Library.objects.order_by("slug").values_list("slug", "name"))
    if not libraries:
        raise OaiError("noSetHierarchy", "The network has no library yet: there is no set.")
    element = etree.Element(f"{{{OAI_NS}}}ListSets")
    for slug, name in libraries:
        entry = _sub(element, "set")
        _sub(entry, "setSpec", slug)
        _sub(entry, "setName", name)
    return element


def get_record(args: dict, now: datetime) -> etree._Element:
    """GetRecord: one record, in one format; a deleted record as a deleted header."""
    identifier, prefix = args["identifier"], args["metadataPrefix"]
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"'{prefix}' is not a format of this repository.")
    record_id = record_id_of(identifier)
    record = None
    if record_id is not None:
        record = _records(prefix).filter(pk=record_id).first()
    libraries = _library_slugs()
    element = etree.Element(f"{{{OAI_NS}}}GetRecord")
    if record is not None:
        if prefix not in formats_of(record.source.format):
            raise OaiError(
                "cannotDisseminateFormat",
                "This record was harvested as Dublin Core: it has no MARCXML.",
            )
        if not _append_record(element, record, prefix, libraries):
            raise OaiError("cannotDisseminateFormat", "This record's MARC cannot be read.")
        return element
    tombstone = DeletedRecord.objects.filter(pk=record_id).first() if record_id else None
    if tombstone is None:
        raise OaiError("idDoesNotExist", f"No item has the identifier '{identifier}'.")
    if prefix not in tombstone.formats:
        raise OaiError(
            "cannotDisseminateFormat", f"This item was never disseminated as '{prefix}'."
        )
    _append_tombstone(element, tombstone, "record", libraries)
    return element


def list_identifiers(args: dict, now: datetime) -> etree._Element:
    return _list(args, "ListIdentifiers")


def list_records(args: dict, now: datetime) -> etree._Element:
    return _list(args, "ListRecords")


HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
}


# ----------------------------------------------------------------------------- lists


def _list(args: dict, verb: str) -> etree._Element:
    if "resumptionToken" in args:
        query = read_token(args["resumptionToken"], verb)
    else:
        query = ListQuery(
            verb=verb,
            prefix=args["metadataPrefix"],
            set_spec=args.get("set", ""),
            from_=args.get("from", ""),
            until=args.get("until", ""),
        )
        if query.prefix not in FORMATS:
            raise OaiError(
                "cannotDisseminateFormat", f"'{query.prefix}' is not a format of this repository."
            )
    libraries = _library_slugs()
    page, more, query = list_page(query, libraries)
    if not page:
        raise OaiError("noRecordsMatch", "No record matches these arguments.")
    element = etree.Element(f"{{{OAI_NS}}}{verb}")
    for entry in page:
        if isinstance(entry, DeletedRecord):
            if verb == "ListRecords":
                _append_tombstone(element, entry, "record", libraries)
            else:
                _append_tombstone(element, entry, "header", libraries)
        elif verb == "ListRecords":
            _append_record(element, entry, query.prefix, libraries)
        else:
            _header(element, entry.pk, entry.updated_at, libraries.get(entry.library_id))
    sent = query.cursor + len(page)
    if more or query.cursor:
        token = _sub(element, "resumptionToken")
        token.set("cursor", str(query.cursor))
        if query.size:
            token.set("completeListSize", str(max(query.size, sent)))
        if more:
            last = page[-1]
            following = replace(query, after=_key(last), cursor=sent)
            token.text = make_token(following)
            lifetime = timezone.now() + timedelta(seconds=settings.OAI_TOKEN_LIFETIME)
            token.set("expirationDate", datestamp(lifetime))
    return element


def list_page(query: ListQuery, libraries: dict[int, str]):
    """One page of the list ``query`` names: up to ``OAI_PAGE_SIZE`` records and
    tombstones merged in (datestamp, id) order, whether more follow, and the query with
    its list size (counted on the first page only). Three queries at most: the records,
    the tombstones and, on the first page, the two counts."""
    size = settings.OAI_PAGE_SIZE
    library_id = None
    if query.set_spec:
        library_id = next((pk for pk, slug in libraries.items() if slug == query.set_spec), None)
        if library_id is None:
            return [], False, query
    live = _records(query.prefix, listing=query.verb)
    dead = DeletedRecord.objects.all()
    if library_id is not None:
        live, dead = live.filter(library_id=library_id), dead.filter(library_id=library_id)
    if query.prefix == "marcxml":
        live = live.filter(source__format__in=exports.MARC_FORMATS)
        dead = dead.exclude(formats=formats_of("oai_dc"))  # tombstones list their formats
    if query.from_:
        start = parse_utc(query.from_)[0]
        live, dead = live.filter(updated_at__gte=start), dead.filter(deleted_at__gte=start)
    if query.until:
        end = parse_utc(query.until, end=True)[0]
        live, dead = live.filter(updated_at__lt=end), dead.filter(deleted_at__lt=end)
    if query.size is None and query.after is None:
        query = replace(query, size=live.count() + dead.count())
    if query.after is not None:
        moment, last_id = query.after
        # The redundant lower bound lets the index start the range scan at the cursor.
        live = live.filter(updated_at__gte=moment).filter(
            Q(updated_at__gt=moment) | Q(pk__gt=last_id)
        )
        dead = dead.filter(deleted_at__gte=moment).filter(
            Q(deleted_at__gt=moment) | Q(record_id__gt=last_id)
        )
    records = list(live.order_by("updated_at", "pk")[: size + 1])
    tombstones = list(dead.order_by("deleted_at", "record_id")[: size + 1])
    merged = sorted(records + tombstones, key=_key)
    return merged[:size], len(merged) > size, query


def _key(entry) -> tuple[datetime, int]:
    if isinstance(entry, DeletedRecord):
        return entry.deleted_at, entry.record_id
    return entry.updated_at, entry.pk


def _records(prefix: str, listing: str = "ListRecords"):
    """Records with what a response needs in one query: the source's format always, its
    raw bytes only for MARCXML; headers alone need no description at all."""
    records = Record.objects.select_related("source")
    if listing == "ListIdentifiers":
        return records.only("pk", "updated_at", "library_id", "source__format")
    if prefix == "marcxml":
        return records.only("pk", "updated_at", "library_id", "source__format", "source__payload")
    return records.defer("source__payload", "warnings")


def _library_slugs() -> dict[int, str]:
    # 58 libraries: one small query serves every header of a page.
    return dict(Library.objects.values_list("pk", "slug"))


# ----------------------------------------------------------------------------- tokens


def make_token(query: ListQuery) -> str:
    """A signed, stateless resumption token for the rest of ``query``'s list."""
    moment, last_id = query.after
    payload = {
        "v": query.verb,
        "m": query.prefix,
        "s": query.set_spec,
        "f": query.from_,
        "u": query.until,
        "d": moment.astimezone(UTC).isoformat(),
        "i": last_id,
        "c": query.cursor,
        "n": query.size,
    }
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def read_token(token: str, verb: str) -> ListQuery:
    """The list a token continues; :class:`OaiError` ``badResumptionToken`` when it was
    not issued here, has expired, or belongs to another verb."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=settings.OAI_TOKEN_LIFETIME)
    except signing.SignatureExpired:
        raise OaiError("badResumptionToken", "This resumption token has expired.") from None
    except signing.BadSignature:
        raise OaiError("badResumptionToken", "This resumption token is not valid.") from None
    try:
        if payload["v"] != verb:
            raise OaiError("badResumptionToken", f"This resumption token is not for {verb}.")
        return ListQuery(
            verb=verb,
            prefix=payload["m"],
            set_spec=payload["s"],
            from_=payload["f"],
            until=payload["u"],
            after=(datetime.fromisoformat(payload["d"]), int(payload["i"])),
            cursor=int(payload["c"]),
            size=payload["n"],
        )
    except (KeyError, TypeError, ValueError):
        raise OaiError("badResumptionToken", "This resumption token is not valid.") from None


# ----------------------------------------------------------------------------- XML


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    if text is not None:
        element.text = exports.xml_text(text)
    return element


def _error(root: etree._Element, error: OaiError) -> None:
    _sub(root, "error", error.message).set("code", error.code)


def _header(parent, record_id: int, moment: datetime, set_spec: str | None, *, deleted=False):
    header = _sub(parent, "header")
    if deleted:
        header.set("status", "deleted")
    _sub(header, "identifier", oai_identifier(record_id))
    _sub(header, "datestamp", datestamp(moment))
    if set_spec:
        _sub(header, "setSpec", set_spec)
    return header


def _append_record(parent, record: Record, prefix: str, libraries: dict[int, str]) -> bool:
    """Append ``<record>`` (header and metadata); False, and nothing appended, when the
    record's raw MARC can no longer be read."""
    try:
        metadata = (
            exports.dublin_core(record) if prefix == "oai_dc" else exports.marcxml_element(record)
        )
    except exports.NoMarcRecord as error:
        log.warning("OAI-PMH: record %s left out of %s: %s", record.pk, prefix, error)
        return False
    element = _sub(parent, "record")
    _header(element, record.pk, record.updated_at, libraries.get(record.library_id))
    _sub(element, "metadata").append(metadata)
    return True


def _append_tombstone(parent, tombstone: DeletedRecord, shape: str, libraries: dict[int, str]):
    target = _sub(parent, "record") if shape == "record" else parent
    _header(
        target,
        tombstone.record_id,
        tombstone.deleted_at,
        libraries.get(tombstone.library_id) or tombstone.set_spec,
        deleted=True,
    )


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
