"""Harvest an export file: ISO 2709 or MARCXML, UNIMARC or MARC 21.

The file is streamed (memory holds one batch of raw records, whatever the file's size)
and every record is handed over as raw bytes: the harvest compares checksums before
anything is parsed, which is what makes re-reading an unchanged export fast.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from lxml import etree

from catalogue.marc import iter_iso2709_spans
from connectors.base import ISO2709, MARCXML, Checkpoint, ConnectorError, Driver, HarvestedRecord
from connectors.marc_file.settings import MarcFileSettings
from connectors.registry import register

DEFAULT_BATCH = 2000
_END_TAG = re.compile(rb"</(?:[\w.-]+:)?record>")


def detect_format(path: str) -> str:
    """ISO2709 or MARCXML, from the first non-blank bytes of the file."""
    with open(path, "rb") as stream:
        head = stream.read(512)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return MARCXML
    return ISO2709


@register
class MarcFileDriver(Driver):
    name = "marc_file"
    label = "Fichier d'export MARC (ISO 2709 ou MARCXML)"
    capabilities = frozenset({"harvest"})
    settings_form = MarcFileSettings
    takes_uploads = True

    @classmethod
    def runs_unattended(cls, settings: Mapping[str, Any]) -> bool:
        return bool(settings.get("path"))

    def estimate_total(self) -> int | None:
        return count_records(self.settings.get("path") or "")

    def harvest(
        self, *, since: str = "", resume: Mapping[str, Any] | None = None
    ) -> Iterator[HarvestedRecord | Checkpoint]:
        path = self.settings.get("path") or ""
        if not path:
            raise ConnectorError("Aucun fichier à moissonner : téléversez un export.")
        batch = int(self.settings.get("batch_size") or DEFAULT_BATCH)
        try:
            file_format = detect_format(path)
        except OSError as error:
            raise ConnectorError(
                f"Fichier illisible : {path} ({error.strerror})", retryable=True
            ) from None
        resume = dict(resume or {})
        if file_format == MARCXML:
            yield from self._marcxml(path, batch, int(resume.get("position", 0)))
        else:
            yield from self._iso2709(path, batch, int(resume.get("offset", 0)))

    def _iso2709(self, path: str, batch: int, offset: int):
        with open(path, "rb") as stream:
            stream.seek(offset)
            for count, (start, raw) in enumerate(iter_iso2709_spans(stream), start=1):
                yield HarvestedRecord(payload=raw, format=ISO2709)
                if count % batch == 0:
                    yield Checkpoint(resume={"offset": offset + start + len(raw)})
        yield Checkpoint(done=True)

    def _marcxml(self, path: str, batch: int, skip: int):
        position = 0
        with open(path, "rb") as stream:
            parser = etree.iterparse(
                stream, events=("end",), resolve_entities=False, no_network=True
            )
            try:
                for _event, element in parser:
                    if etree.QName(element.tag).localname != "record":
                        continue
                    position += 1
                    if position > skip:
                        payload = etree.tostring(element, encoding="utf-8")
                        yield HarvestedRecord(payload=payload, format=MARCXML)
                    element.clear(keep_tail=False)
                    while element.getprevious() is not None:
                        del element.getparent()[0]
                    if position > skip and position % batch == 0:
                        yield Checkpoint(resume={"position": position})
            except etree.XMLSyntaxError as error:
                yield HarvestedRecord(
                    payload=b"",
                    format=MARCXML,
                    rejected=(
                        f"XML mal formé après la notice {position} : {error.msg} "
                        f"(ligne {error.lineno}) ; la suite du fichier n'a pas pu être lue"
                    ),
                )
        yield Checkpoint(done=True)


def count_records(path: str) -> int | None:
    """How many records a file holds, counted on terminators (for a progress bar)."""
    try:
        file_format = detect_format(path)
        total = 0
        with open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                if file_format == ISO2709:
                    total += block.count(b"\x1d")
                else:
                    total += len(_END_TAG.findall(block))
        return total
    except OSError:
        return None
