"""Reading MARC records as libraries export them: ISO 2709 and MARCXML, UNIMARC and MARC 21.

Files are streamed (memory holds one record at a time, whatever the file's size) and
nothing a file contains stops the reading: a record that cannot be read becomes a
:class:`Rejected` with its reason (in French: librarians read it in the quarantine) and
the reading goes on with the next one. Real exports lie about lengths and character
sets, so the reader trusts record and field terminators over the declared lengths, and
decodes text with :mod:`catalogue.charsets` (valid UTF-8 wins over what is declared).
"""

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from lxml import etree

from catalogue import charsets

RECORD_END = 0x1D
FIELD_END = 0x1E
SUBFIELD = 0x1F
MAX_RECORD = 99_999  # ISO 2709's five-digit record length
LEADER_LENGTH = 24
Flavour = Literal["unimarc", "marc21"]


@dataclass(frozen=True)
class Field:
    tag: str
    indicators: str = ""
    subfields: tuple[tuple[str, str], ...] = ()
    value: str = ""  # control fields (00X) have a value, data fields have subfields

    def get(self, code: str) -> str:
        return next((v for c, v in self.subfields if c == code), "")

    def get_all(self, code: str) -> list[str]:
        return [v for c, v in self.subfields if c == code]


@dataclass(frozen=True)
class MarcRecord:
    leader: str
    fields: tuple[Field, ...]
    flavour: Flavour
    raw: bytes = field(repr=False, default=b"")
    warnings: tuple[str, ...] = ()

    def get_fields(self, *tags: str) -> list[Field]:
        return [f for f in self.fields if f.tag in tags]

    def first(self, tag: str) -> Field | None:
        return next((f for f in self.fields if f.tag == tag), None)

    def control(self, tag: str) -> str:
        found = self.first(tag)
        return found.value if found else ""


@dataclass(frozen=True)
class Rejected:
    """A record that could not be read: where it was, its bytes, and why."""

    position: int  # record number in the file, from 1
    reason: str
    raw: bytes = field(repr=False, default=b"")


class MarcError(ValueError):
    """A record cannot be read; the message says why, in French."""


def detect_flavour(tags: set[str]) -> Flavour:
    """UNIMARC puts the title in 200, MARC 21 in 245."""
    if "200" in tags and "245" not in tags:
        return "unimarc"
    return "marc21"


# ----------------------------------------------------------------------------- ISO 2709


def iter_iso2709_chunks(stream: BinaryIO, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """The bytes of each record, split on record terminators (lengths are not trusted)."""
    for _offset, raw in iter_iso2709_spans(stream, chunk_size):
        yield raw


def iter_iso2709_spans(stream: BinaryIO, chunk_size: int = 1 << 16) -> Iterator[tuple[int, bytes]]:
    """Like :func:`iter_iso2709_chunks`, with each record's offset from where the stream
    was when called (so a reader can resume at a record boundary)."""
    buffer = bytearray()
    consumed = 0  # bytes of the stream before buffer[0]
    while True:
        block = stream.read(chunk_size)
        if not block:
            break
        buffer.extend(block)
        start = 0
        while (end := buffer.find(RECORD_END, start)) != -1:
            yield consumed + start, bytes(buffer[start : end + 1])
            start = end + 1
        del buffer[:start]
        consumed += start
        if len(buffer) > 2 * MAX_RECORD:
            # No terminator where one must be: give up this run of bytes, read on.
            yield consumed, bytes(buffer)
            consumed += len(buffer)
            buffer.clear()
    if buffer.strip(b"\r\n\t \x00\x1a"):
        yield consumed, bytes(buffer)


def _directory(raw: bytes, base: int) -> list[tuple[str, int, int]]:
    end = raw.find(FIELD_END, LEADER_LENGTH)
    if end == -1:
        raise MarcError("répertoire sans fin (séparateur de champ absent)")
    directory = raw[LEADER_LENGTH:end]
    if len(directory) % 12:
        raise MarcError(f"répertoire de longueur {len(directory)}, pas un multiple de 12")
    entries = []
    for i in range(0, len(directory), 12):
        entry = directory[i : i + 12]
        try:
            tag = entry[:3].decode("ascii")
            length, start = int(entry[3:7]), int(entry[7:12])
        except (UnicodeDecodeError, ValueError):
            raise MarcError(f"entrée de répertoire illisible : {entry!r}") from None
        entries.append((tag, length, start))
    return entries


def _field_bytes(raw: bytes, base: int, entries: list[tuple[str, int, int]]) -> list[bytes]:
    """Each field's bytes: by the directory's offsets when they land on field ends,
    otherwise (wrong lengths, a frequent export bug) by the terminators, in order."""
    body = raw[base:]
    by_offsets = []
    for _tag, length, start in entries:
        data = body[start : start + length]
        if length == 0 or not data.endswith(bytes([FIELD_END])):
            break
        by_offsets.append(data[:-1])
    if len(by_offsets) == len(entries):
        return by_offsets
    pieces = body.rstrip(bytes([RECORD_END])).split(bytes([FIELD_END]))
    if pieces and pieces[-1] == b"":
        pieces.pop()
    if len(pieces) != len(entries):
        raise MarcError(f"{len(entries)} champs annoncés par le répertoire, {len(pieces)} trouvés")
    return pieces


def _declared(leader: str, flavour: Flavour, field_100a: str) -> str:
    if flavour == "unimarc":
        return charsets.declared_charset_unimarc(field_100a)
    return charsets.declared_charset_marc21(leader)


def _nfc_utf8(data: bytes) -> str:
    text = data.decode("utf-8")
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _decoder(raw: bytes, declared: str, warnings: list[str]):
    """How this record's text is decoded. Most records are UTF-8 throughout: checked once
    for the whole record, they skip the per-field rules (same result, twice as fast).
    MARC-8 escape sequences are ASCII, so a MARC-8 record with ESC keeps the full rules."""

    def decode(data: bytes) -> str:
        text, problems = charsets.decode_with_report(data, declared)
        warnings.extend(problems)
        return text

    if not (declared == "marc-8" and b"\x1b" in raw):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:

            def fast(data: bytes) -> str:
                try:
                    return _nfc_utf8(data)
                except UnicodeDecodeError:
                    # Valid as a whole, not once cut: a subfield code byte took the lead
                    # byte of a character. The careful rules report what they replace.
                    return decode(data)

            return fast

    return decode


def parse_iso2709(raw: bytes, position: int = 1) -> MarcRecord:
    """One ISO 2709 record from its bytes; raises :class:`MarcError` when unreadable."""
    if len(raw) < LEADER_LENGTH + 2:
        raise MarcError(f"enregistrement tronqué ({len(raw)} octets)")
    try:
        leader = raw[:LEADER_LENGTH].decode("ascii")
    except UnicodeDecodeError:
        raise MarcError("guide (leader) illisible : octets non ASCII") from None
    try:
        base = int(leader[12:17])
    except ValueError:
        raise MarcError(f"adresse de base illisible dans le guide : {leader[12:17]!r}") from None
    entries = _directory(raw, base)
    if not entries:
        raise MarcError("aucun champ")
    directory_end = raw.find(FIELD_END, LEADER_LENGTH) + 1
    if base != directory_end:
        base = directory_end  # the data start right after the directory, whatever is declared
    datas = _field_bytes(raw, base, entries)
    tags = {tag for tag, _l, _s in entries}
    flavour = detect_flavour(tags)
    field_100a = ""
    for (tag, _l, _s), data in zip(entries, datas, strict=True):
        if tag == "100" and flavour == "unimarc":
            sub = data.split(bytes([SUBFIELD]))
            field_100a = next((s[1:].decode("latin-1") for s in sub[1:] if s[:1] == b"a"), "")
    declared = _declared(leader, flavour, field_100a)
    warnings: list[str] = []
    decode = _decoder(raw, declared, warnings)
    fields = []
    for (tag, _l, _s), data in zip(entries, datas, strict=True):
        if not (tag.isascii() and tag.isalnum()):
            raise MarcError(f"étiquette de champ invalide : {tag!r}")
        if tag < "010" and tag.isdigit():
            fields.append(Field(tag, value=decode(data)))
            continue
        parts = data.split(bytes([SUBFIELD]))
        indicators = parts[0].decode("latin-1")[:2].ljust(2)
        subfields = []
        for part in parts[1:]:
            if not part:
                continue
            code = chr(part[0])
            subfields.append((code, decode(part[1:])))
        fields.append(Field(tag, indicators, tuple(subfields)))
    return MarcRecord(leader, tuple(fields), flavour, raw, tuple(dict.fromkeys(warnings)))


def read_iso2709(stream: BinaryIO) -> Iterator[MarcRecord | Rejected]:
    """Every record of an ISO 2709 file, read or rejected, in order."""
    for position, raw in enumerate(iter_iso2709_chunks(stream), start=1):
        if not raw.endswith(bytes([RECORD_END])):
            yield Rejected(position, "fin d'enregistrement absente (fichier tronqué ?)", raw)
            continue
        try:
            yield parse_iso2709(raw, position)
        except MarcError as error:
            yield Rejected(position, str(error), raw)


# ----------------------------------------------------------------------------- MARCXML


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _xml_record(element) -> MarcRecord:
    leader, fields = "", []
    for child in element:
        name = _local(child.tag)
        if name == "leader":
            leader = (child.text or "").ljust(LEADER_LENGTH)[:LEADER_LENGTH]
        elif name == "controlfield":
            tag = child.get("tag") or ""
            if not tag:
                raise MarcError("zone de contrôle sans étiquette")
            fields.append(Field(tag, value=child.text or ""))
        elif name == "datafield":
            tag = child.get("tag") or ""
            if not tag:
                raise MarcError("zone sans étiquette")
            indicators = (child.get("ind1") or " ")[:1] + (child.get("ind2") or " ")[:1]
            subfields = []
            for sub in child:
                if _local(sub.tag) != "subfield":
                    continue
                code = sub.get("code") or ""
                if len(code) != 1:
                    raise MarcError(f"sous-zone sans code valable dans la zone {tag}")
                subfields.append((code, sub.text or ""))
            fields.append(Field(tag, indicators, tuple(subfields)))
    if not fields:
        raise MarcError("notice vide")
    flavour = detect_flavour({f.tag for f in fields})
    raw = etree.tostring(element, encoding="utf-8")
    return MarcRecord(leader, tuple(fields), flavour, raw)


def parse_marcxml_record(data: bytes) -> MarcRecord:
    """One MARCXML ``<record>`` from its bytes; raises :class:`MarcError` when unreadable."""
    try:
        element = etree.fromstring(data, parser=_SAFE_PARSER)
    except etree.XMLSyntaxError as error:
        raise MarcError(f"XML mal formé : {error.msg}") from None
    if _local(element.tag) != "record":
        element = next((e for e in element.iter() if _local(e.tag) == "record"), None)
        if element is None:
            raise MarcError("aucun élément <record>")
    return _xml_record(element)


_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def read_marcxml(stream: BinaryIO) -> Iterator[MarcRecord | Rejected]:
    """Every <record> of a MARCXML file (with or without the MARC namespace), streamed.

    A file broken beyond a point gives one rejection for what could not be read.
    """
    position = 0
    parser = etree.iterparse(stream, events=("end",), huge_tree=False, resolve_entities=False)
    try:
        for _event, element in parser:
            if _local(element.tag) != "record":
                continue
            position += 1
            try:
                yield _xml_record(element)
            except MarcError as error:
                yield Rejected(position, str(error), etree.tostring(element, encoding="utf-8"))
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        yield Rejected(position + 1, f"XML mal formé : {error.msg} (ligne {error.lineno})")


def read_marc_file(stream: BinaryIO) -> Iterator[MarcRecord | Rejected]:
    """ISO 2709 or MARCXML, told apart by the first non-blank bytes."""
    head = stream.read(512)
    stream.seek(0)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return read_marcxml(stream)
    return read_iso2709(stream)
