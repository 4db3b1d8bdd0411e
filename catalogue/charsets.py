"""Character sets of library records (UNIMARC and MARC 21) decoded to Unicode text.

The project rule (ARCHITECTURE.md): bytes that are valid UTF-8 are decoded as UTF-8
whatever the record declares, because real UNIMARC exports often declare ISO 5426 in
field 100 and are UTF-8. The declared set is used only otherwise:

- ``"utf-8"`` and ``"unknown"``: UTF-8, each invalid byte becomes U+FFFD and is reported
  (we do not guess a set nobody declared; a connector that knows better says so);
- ``"marc-8"``: pymarc's :class:`~pymarc.marc8.MARC8ToUnicode`;
- ``"iso-5426"`` (UNIMARC's extended Latin set) and ``"iso-6937"``: decoders written
  here, no maintained Python library reads them;
- ``"iso-8859-1"``: Python's codec (every byte is defined).

Text always comes out NFC-normalised. Unknown bytes never raise: they become U+FFFD
and are recorded in a :class:`DecodeReport` when the caller passes one, or in the list
of problems :func:`decode_with_report` returns.
"""

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from pymarc import marc8_mapping
from pymarc.marc8 import MARC8ToUnicode

CHARSETS = ("utf-8", "marc-8", "iso-5426", "iso-6937", "iso-8859-1", "unknown")
REPLACEMENT = "\ufffd"
_ESC = 0x1B

_LABELS = {
    "utf-8": "UTF-8",
    "marc-8": "MARC-8",
    "iso-5426": "ISO 5426",
    "iso-6937": "ISO 6937",
    "iso-8859-1": "ISO 8859-1",
    "unknown": "UTF-8 (jeu de caractères non déclaré)",
}


@dataclass(frozen=True)
class UnknownByte:
    """A byte (or MARC-8 code) the set cannot map; the text holds U+FFFD in its place."""

    charset: str
    offset: int  # position in the bytes given to decode_field
    value: int  # the byte; for a MARC-8 multibyte (CJK) code, its three bytes as one int

    @property
    def message(self) -> str:
        width = 6 if self.value > 0xFF else 2
        return (
            f"caractère 0x{self.value:0{width}X} illisible en {_LABELS[self.charset]} "
            f"(octet {self.offset}), remplacé par « {REPLACEMENT} »"
        )


@dataclass
class DecodeReport:
    """What decoding met; one report may be passed to every field of a record.

    ``unknown_bytes`` lists what was replaced by U+FFFD (offsets are relative to the
    bytes of the call that met them). ``utf8_overrides`` counts the calls whose non-ASCII
    bytes were valid UTF-8 although another set was declared: normal for many UNIMARC
    exports, kept for statistics, not a problem.
    """

    unknown_bytes: list[UnknownByte] = field(default_factory=list)
    utf8_overrides: int = 0

    @property
    def clean(self) -> bool:
        return not self.unknown_bytes

    def problems(self) -> list[str]:
        """One French sentence per replaced byte, for the staff who review imports."""
        return [unknown.message for unknown in self.unknown_bytes]


def decode_field(data: bytes, declared: str, *, report: DecodeReport | None = None) -> str:
    """Text of a field, a subfield or a control field, NFC-normalised.

    ``data`` may be a whole variable field: the delimiters 0x1D, 0x1E and 0x1F pass
    through unchanged in every set. ``declared`` is one of :data:`CHARSETS`, usually
    from :func:`declared_charset_unimarc` or :func:`declared_charset_marc21`. Valid UTF-8
    wins over the declaration, with one exception: MARC-8 switches to Cyrillic, Greek,
    Hebrew, Arabic or CJK with escape sequences made of ASCII bytes (a CJK title is pure
    ASCII), so under a MARC-8 declaration bytes holding ESC (0x1B) are read as MARC-8.
    Never raises on data; unknown bytes become U+FFFD and go to ``report``. Raises
    ``ValueError`` for a ``declared`` name not in :data:`CHARSETS`.
    """
    if declared not in CHARSETS:
        raise ValueError(f"unsupported character set {declared!r}; expected one of {CHARSETS}")
    report = report if report is not None else DecodeReport()
    text = _as_utf8(data, declared)
    if text is None:
        text = _DECODERS[declared](data, report)
    elif declared not in ("utf-8", "unknown") and not data.isascii():
        report.utf8_overrides += 1
    return unicodedata.normalize("NFC", text)


def decode_with_report(data: bytes, declared: str) -> tuple[str, list[str]]:
    """:func:`decode_field`, with the problems met as French sentences (empty if none)."""
    report = DecodeReport()
    text = decode_field(data, declared, report=report)
    return text, report.problems()


# ----------------------------------------------------------------------------- declarations

# UNIMARC manual, field 100 "General processing data", $a/26-29: two-character codes for
# the G0 and G1 sets. 01 ISO 646 IRV (basic Latin), 02 ISO registration #37 (basic
# Cyrillic), 03 ISO 5426 (extended Latin), 04 ISO 5427 (extended Cyrillic), 05 ISO 5428
# (Greek), 06 ISO 6438 (African), 07 ISO 10586 (Georgian), 08-09 ISO 8957 (Hebrew),
# 11 ISO 5426-2 (minor European languages), 50 ISO 10646 (Unicode, UTF-8).
_UNIMARC_UTF8 = "50"
# ISO 646 + ISO 5426 as the manual wants it, and ISO 5426 alone as some systems write it.
_UNIMARC_ISO5426 = {"0103", "03  "}


def declared_charset_unimarc(field_100a: str) -> str:
    """The set a UNIMARC record declares in 100$a/26-29, as one of :data:`CHARSETS`.

    "50" in either position gives ``"utf-8"``; ISO 5426 ("03", normally after "01" as
    "0103") gives ``"iso-5426"``. ISO 646 alone ("01" and a blank G1) is plain ASCII, which
    UTF-8 decodes anyway: any other byte contradicts the declaration, so it gives
    ``"unknown"``, as do the sets we cannot decode (Cyrillic, Greek, Hebrew, ISO 5426-2…),
    blanks and a 100$a too short to hold the positions.
    """
    if len(field_100a) < 30:
        return "unknown"
    g0, g1 = field_100a[26:28], field_100a[28:30]
    if _UNIMARC_UTF8 in (g0, g1):
        return "utf-8"
    if g0 + g1 in _UNIMARC_ISO5426:
        return "iso-5426"
    return "unknown"


def declared_charset_marc21(leader: str) -> str:
    """The set a MARC 21 leader declares at position 09: "a" UTF-8, blank MARC-8."""
    if len(leader) < 10:
        return "unknown"
    return {"a": "utf-8", " ": "marc-8"}.get(leader[9], "unknown")


# ----------------------------------------------------------------------------- UTF-8, Latin-1


def _as_utf8(data: bytes, declared: str) -> str | None:
    if declared == "marc-8" and _ESC in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _decode_utf8_replacing(data: bytes, report: DecodeReport, charset: str = "utf-8") -> str:
    pieces = []
    start = 0
    while True:
        try:
            pieces.append(data[start:].decode("utf-8"))
            return "".join(pieces)
        except UnicodeDecodeError as error:
            pieces.append(data[start : start + error.start].decode("utf-8"))
            for offset in range(start + error.start, start + error.end):
                report.unknown_bytes.append(UnknownByte(charset, offset, data[offset]))
                pieces.append(REPLACEMENT)
            start += error.end


def _decode_undeclared(data: bytes, report: DecodeReport) -> str:
    return _decode_utf8_replacing(data, report, "unknown")


def _decode_latin1(data: bytes, report: DecodeReport) -> str:
    return data.decode("iso-8859-1")


# ----------------------------------------------------------------------------- ISO 5426, 6937

# Both sets put non-spacing diacritics BEFORE the letter; Unicode puts combining marks
# after it. The tables below map each byte to a Unicode character; they were written
# from these references (facts checked against each other, no code copied):
# - ISO 5426:1983 / ISO-IR 53 code table, as transcribed in marc4j's
#   Iso5426ToUnicode.java (LGPL-2.1) and in smc.bibencodings' iso5426.py (BSD, built
#   for the German National Library's MAB2 exports in ISO 5426);
# - ISO/IEC 6937: glibc's charmaps ISO_6937 and ISO-IR-90 (ISO 6937-2:1983), found in
#   /usr/share/i18n/charmaps/, and marc4j's Iso6937ToUnicode.java.

_ISO5426_DIACRITICS = {
    0xC0: "\u0309",  # low rising tone mark -> hook above (Vietnamese)
    0xC1: "\u0300",  # grave
    0xC2: "\u0301",  # acute
    0xC3: "\u0302",  # circumflex
    0xC4: "\u0303",  # tilde
    0xC5: "\u0304",  # macron
    0xC6: "\u0306",  # breve
    0xC7: "\u0307",  # dot above
    0xC8: "\u0308",  # trema, diaeresis
    0xC9: "\u0308",  # umlaut: the same mark in Unicode
    0xCA: "\u030a",  # circle above
    0xCB: "\u0315",  # high comma off centre
    0xCC: "\u0312",  # inverted high comma centred
    0xCD: "\u030b",  # double acute
    0xCE: "\u031b",  # horn (Vietnamese)
    0xCF: "\u030c",  # caron (hacek)
    0xD0: "\u0327",  # cedilla
    0xD1: "\u031c",  # rude -> left half ring below
    0xD2: "\u0326",  # hook to left -> comma below (Romanian ș, ț)
    0xD3: "\u0328",  # ogonek (hook to right)
    0xD4: "\u0325",  # circle below
    0xD5: "\u032e",  # half circle below -> breve below
    0xD6: "\u0323",  # dot below
    0xD7: "\u0324",  # double dot below
    0xD8: "\u0332",  # underline
    0xD9: "\u0333",  # double underline
    0xDA: "\u0329",  # small low vertical bar
    0xDB: "\u032d",  # circumflex below
    # 0xDC is not used
    0xDD: "\ufe20",  # left half of ligature sign and of double tilde
    0xDE: "\ufe21",  # right half of ligature sign
    0xDF: "\ufe23",  # right half of double tilde
}

_ISO5426_GRAPHICS = {
    0xA1: "\u00a1",  # inverted exclamation mark
    0xA2: "\u201e",  # left low double quotation mark
    0xA3: "\u00a3",  # pound sign
    0xA4: "\u0024",  # dollar sign
    0xA5: "\u00a5",  # yen sign
    0xA6: "\u2020",  # dagger
    0xA7: "\u00a7",  # section sign
    0xA8: "\u2032",  # prime
    0xA9: "\u2018",  # left high single quotation mark
    0xAA: "\u201c",  # left high double quotation mark
    0xAB: "\u00ab",  # left angle quotation mark
    0xAC: "\u266d",  # music flat
    0xAD: "\u00a9",  # copyright sign
    0xAE: "\u2117",  # sound recording copyright
    0xAF: "\u00ae",  # trade mark sign
    # Ayn and alif as in transliteration (MARC-8 does the same), not the Arabic letters
    # marc4j maps them to.
    0xB0: "\u02bb",  # ayn
    0xB1: "\u02bc",  # alif, hamzah
    0xB2: "\u201a",  # left low single quotation mark
    0xB6: "\u2021",  # double dagger
    0xB7: "\u00b7",  # middle dot
    0xB8: "\u2033",  # double prime
    0xB9: "\u2019",  # right high single quotation mark
    0xBA: "\u201d",  # right high double quotation mark
    0xBB: "\u00bb",  # right angle quotation mark
    0xBC: "\u266f",  # music sharp
    0xBD: "\u02b9",  # mjagkij znak (soft sign)
    0xBE: "\u02ba",  # tverdyj znak (hard sign)
    0xBF: "\u00bf",  # inverted question mark
    0xE1: "\u00c6",  # Æ
    0xE2: "\u0110",  # Đ
    0xE6: "\u0132",  # Ĳ
    0xE8: "\u0141",  # Ł
    0xE9: "\u00d8",  # Ø
    0xEA: "\u0152",  # Œ
    0xEC: "\u00de",  # Þ
    0xF1: "\u00e6",  # æ
    0xF2: "\u0111",  # đ
    0xF3: "\u00f0",  # ð
    0xF5: "\u0131",  # ı
    0xF6: "\u0133",  # ĳ
    0xF8: "\u0142",  # ł
    0xF9: "\u00f8",  # ø
    0xFA: "\u0153",  # œ
    0xFB: "\u00df",  # ß
    0xFC: "\u00fe",  # þ
}

_ISO6937_DIACRITICS = {
    0xC1: "\u0300",  # grave
    0xC2: "\u0301",  # acute
    0xC3: "\u0302",  # circumflex
    0xC4: "\u0303",  # tilde
    0xC5: "\u0304",  # macron
    0xC6: "\u0306",  # breve
    0xC7: "\u0307",  # dot above
    0xC8: "\u0308",  # diaeresis
    0xC9: "\u0308",  # umlaut in ISO 6937-2:1983, unused since; older records have it
    0xCA: "\u030a",  # ring above
    0xCB: "\u0327",  # cedilla
    0xCC: "\u0332",  # non-spacing underline in ISO 6937-2:1983 (ISO-IR-90)
    0xCD: "\u030b",  # double acute
    0xCE: "\u0328",  # ogonek
    0xCF: "\u030c",  # caron
}

_ISO6937_GRAPHICS = {
    0xA0: "\u00a0",  # no-break space
    0xA1: "\u00a1",
    0xA2: "\u00a2",
    0xA3: "\u00a3",
    0xA4: "\u0024",  # dollar sign in ISO 6937-2:1983 (ISO-IR-90), unused since
    0xA5: "\u00a5",
    0xA7: "\u00a7",
    0xA8: "\u00a4",  # currency sign
    0xA9: "\u2018",
    0xAA: "\u201c",
    0xAB: "\u00ab",
    0xAC: "\u2190",
    0xAD: "\u2191",
    0xAE: "\u2192",
    0xAF: "\u2193",
    0xB0: "\u00b0",
    0xB1: "\u00b1",
    0xB2: "\u00b2",
    0xB3: "\u00b3",
    0xB4: "\u00d7",
    0xB5: "\u00b5",
    0xB6: "\u00b6",
    0xB7: "\u00b7",
    0xB8: "\u00f7",
    0xB9: "\u2019",
    0xBA: "\u201d",
    0xBB: "\u00bb",
    0xBC: "\u00bc",
    0xBD: "\u00bd",
    0xBE: "\u00be",
    0xBF: "\u00bf",
    0xD0: "\u2014",  # em dash (glibc; some tables give U+2015 horizontal bar)
    0xD1: "\u00b9",
    0xD2: "\u00ae",
    0xD3: "\u00a9",
    0xD4: "\u2122",
    0xD5: "\u266a",
    0xD6: "\u00ac",
    0xD7: "\u00a6",
    0xDC: "\u215b",
    0xDD: "\u215c",
    0xDE: "\u215d",
    0xDF: "\u215e",
    0xE0: "\u2126",  # Ω ohm sign
    0xE1: "\u00c6",  # Æ
    # The standard's "capital D with stroke", also used for the capital eth: Đ is what
    # library records (Croatian, Serbian, Vietnamese) need; glibc chose Ð (U+00D0).
    0xE2: "\u0110",
    0xE3: "\u00aa",  # ª
    0xE4: "\u0126",  # Ħ
    0xE6: "\u0132",  # Ĳ
    0xE7: "\u013f",  # Ŀ
    0xE8: "\u0141",  # Ł
    0xE9: "\u00d8",  # Ø
    0xEA: "\u0152",  # Œ
    0xEB: "\u00ba",  # º
    0xEC: "\u00de",  # Þ
    0xED: "\u0166",  # Ŧ
    0xEE: "\u014a",  # Ŋ
    0xEF: "\u0149",  # ŉ
    0xF0: "\u0138",  # ĸ
    0xF1: "\u00e6",  # æ
    0xF2: "\u0111",  # đ
    0xF3: "\u00f0",  # ð
    0xF4: "\u0127",  # ħ
    0xF5: "\u0131",  # ı
    0xF6: "\u0133",  # ĳ
    0xF7: "\u0140",  # ŀ
    0xF8: "\u0142",  # ł
    0xF9: "\u00f8",  # ø
    0xFA: "\u0153",  # œ
    0xFB: "\u00df",  # ß
    0xFC: "\u00fe",  # þ
    0xFD: "\u0167",  # ŧ
    0xFE: "\u014b",  # ŋ
    0xFF: "\u00ad",  # soft hyphen
}

# ISO 6630 non-sort begin/end (UNIMARC's way to skip "Le ", "The " when sorting) are the
# C1 controls 0x88/0x89; MARC and yaz give them as U+0098/U+009C in Unicode.
_C1_CONTROLS = {byte: chr(byte) for byte in range(0x80, 0xA0)} | {0x88: "\x98", 0x89: "\x9c"}

# A diacritic followed by a space is the spacing accent (ISO 6937 says so; ISO 5426
# records do it too).
_SPACING_FORMS = {
    "\u0300": "\u0060",
    "\u0301": "\u00b4",
    "\u0302": "\u005e",
    "\u0303": "\u007e",
    "\u0304": "\u00af",
    "\u0306": "\u02d8",
    "\u0307": "\u02d9",
    "\u0308": "\u00a8",
    "\u030a": "\u02da",
    "\u030b": "\u02dd",
    "\u030c": "\u02c7",
    "\u0327": "\u00b8",
    "\u0328": "\u02db",
    "\u0332": "\u005f",
    "\u0333": "\u2017",
}


def _isolated(marks: list[str]) -> str:
    if len(marks) == 1 and marks[0] in _SPACING_FORMS:
        return _SPACING_FORMS[marks[0]]
    # Unicode's convention for showing combining marks on their own: on a no-break space.
    return "\u00a0" + "".join(reversed(marks))


def _decode_prefixed_diacritics(
    data: bytes,
    report: DecodeReport,
    charset: str,
    diacritics: dict[int, str],
    graphics: dict[int, str],
) -> str:
    out: list[str] = []
    pending: list[str] = []  # marks read since the last character, in byte order
    for offset, byte in enumerate(data):
        mark = diacritics.get(byte)
        if mark is not None:
            pending.append(mark)
            continue
        if byte < 0x80:
            char = chr(byte)
        elif byte in _C1_CONTROLS:
            char = _C1_CONTROLS[byte]
        elif byte in graphics:
            char = graphics[byte]
        else:
            report.unknown_bytes.append(UnknownByte(charset, offset, byte))
            char = REPLACEMENT
        is_control = byte < 0x20 or 0x7F <= byte < 0xA0
        if pending and (byte == 0x20 or is_control):
            out.append(_isolated(pending))
            pending.clear()
            if byte == 0x20:
                continue
        out.append(char)
        if pending:
            # With several marks on one letter, the one written right before the letter
            # sits nearest to it (ISO 5426 as the MAB2 tables use it: "ế" is acute,
            # circumflex, "e"); Unicode wants the nearest mark first.
            out.extend(reversed(pending))
            pending.clear()
    if pending:
        out.append(_isolated(pending))
    return "".join(out)


def _decode_iso5426(data: bytes, report: DecodeReport) -> str:
    return _decode_prefixed_diacritics(
        data, report, "iso-5426", _ISO5426_DIACRITICS, _ISO5426_GRAPHICS
    )


def _decode_iso6937(data: bytes, report: DecodeReport) -> str:
    return _decode_prefixed_diacritics(
        data, report, "iso-6937", _ISO6937_DIACRITICS, _ISO6937_GRAPHICS
    )


# ----------------------------------------------------------------------------- MARC-8

# pymarc drops control characters (so a whole field would lose its delimiters and the
# ISO 6630 non-sort marks), silently drops a stray ESC and writes a space for a code it
# cannot map. So we walk the bytes as pymarc's MARC8ToUnicode.translate does (pymarc
# 5.4), keep those controls, put U+FFFD where pymarc would lose something, and let one
# converter decode the pieces in between, its escape state carrying over as MARC-8 says.
_MARC8_KEPT = {0x1D: "\x1d", 0x1E: "\x1e", 0x1F: "\x1f", 0x88: "\x98", 0x89: "\x9c"}


@dataclass(frozen=True)
class _Span:
    offset: int
    length: int
    text: str
    unknown: int | None = None  # the code when the span is a problem


def _decode_marc8(data: bytes, report: DecodeReport) -> str:
    converter = MARC8ToUnicode(quiet=True)
    pieces = []
    unknown = []
    start = 0
    try:
        for span in _marc8_spans(data):
            pieces.append(converter.translate(data[start : span.offset]))
            pieces.append(span.text)
            if span.unknown is not None:
                unknown.append(UnknownByte("marc-8", span.offset, span.unknown))
            start = span.offset + span.length
        pieces.append(converter.translate(data[start:]))
    except (IndexError, KeyError, TypeError, ValueError):
        # A case the walk did not foresee: keep the ASCII letters, report the rest.
        return _ascii_replacing(data, report)
    report.unknown_bytes.extend(unknown)
    return "".join(pieces)


def _ascii_replacing(data: bytes, report: DecodeReport) -> str:
    out = []
    for offset, byte in enumerate(data):
        if byte < 0x80 and byte != _ESC:
            out.append(chr(byte))
        else:
            report.unknown_bytes.append(UnknownByte("marc-8", offset, byte))
            out.append(REPLACEMENT)
    return "".join(out)


def _marc8_spans(data: bytes) -> Iterator[_Span]:
    """The kept controls and the bytes pymarc would lose, in order."""
    g0, g1 = MARC8ToUnicode.basic_latin, MARC8ToUnicode.ansel
    end = len(data)
    pos = 0
    while pos < end:
        byte = data[pos]
        if byte in _MARC8_KEPT:
            yield _Span(pos, 1, _MARC8_KEPT[byte])
            pos += 1
            continue
        if byte == _ESC:
            intermediate = data[pos + 1 : pos + 2]
            if intermediate in (b"(", b",", b"$"):
                final = pos + 3 if data[pos + 1 : pos + 3] == b"$," else pos + 2
                if final >= end:
                    yield _Span(pos, end - pos, REPLACEMENT, _ESC)  # truncated escape
                    return
                g0 = data[final]
                pos = final + 1
            elif intermediate in (b")", b"-"):
                if pos + 2 >= end:
                    yield _Span(pos, end - pos, REPLACEMENT, _ESC)
                    return
                g1 = data[pos + 2]
                pos += 3
            elif intermediate and intermediate[0] in marc8_mapping.CODESETS:
                g0 = intermediate[0]
                pos += 2
            elif intermediate == b"s":
                g0 = MARC8ToUnicode.basic_latin
                pos += 2
            else:
                yield _Span(pos, 1, REPLACEMENT, _ESC)  # an ESC starting no known sequence
                pos += 1
            continue
        multibyte = g0 == 0x31  # EACC, three bytes a character
        length = 3 if multibyte else 1
        if pos + length > end:
            yield _Span(pos, end - pos, REPLACEMENT, int.from_bytes(data[pos:], "big"))
            return
        code = int.from_bytes(data[pos : pos + length], "big")
        charset = g1 if code > 0x80 and not multibyte else g0
        dropped_control = code < 0x20 or 0x80 < code < 0xA0  # pymarc drops them, as we do
        known = code in marc8_mapping.CODESETS.get(charset, {}) or code in marc8_mapping.ODD_MAP
        if not (dropped_control or known):
            yield _Span(pos, length, REPLACEMENT, code)
        pos += length


_DECODERS = {
    "utf-8": _decode_utf8_replacing,
    "unknown": _decode_undeclared,
    "iso-8859-1": _decode_latin1,
    "iso-5426": _decode_iso5426,
    "iso-6937": _decode_iso6937,
    "marc-8": _decode_marc8,
}
