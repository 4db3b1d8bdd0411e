"""Reading and normalising raw records: pure functions, no database, no Django setup.

They run in the harvesting process, or in a separate process that parses the next batch
while the harvest stores the current one (``HARVEST_PARSE_PROCESSES``): this module
imports nothing that needs Django's settings, so a freshly spawned process can use it.
"""

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from catalogue.marc import MarcError, MarcRecord, parse_iso2709, parse_marcxml_record
from catalogue.normalize import NormalisationError, normalise, normalise_dublin_core
from catalogue.records import ItemData, NormalisedRecord
from connectors import mapping as item_mapping
from connectors.base import ISO2709, MARCXML, OAI_DC, HarvestedRecord

log = logging.getLogger(__name__)


def checksum(payload: bytes) -> str:
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


@dataclass
class Parsed:
    """What a raw record became: a local id and either a description or a reason."""

    local_id: str
    record: NormalisedRecord | None = None
    items: list[ItemData] = field(default_factory=list)
    reason: str = ""


def _marc(harvested: HarvestedRecord) -> MarcRecord:
    if harvested.format == ISO2709:
        return parse_iso2709(harvested.payload)
    return parse_marcxml_record(harvested.payload)


def parse(harvested: HarvestedRecord, digest: str, items_mapping: dict | None) -> Parsed:
    """Read and normalise one raw record. Never raises: what cannot be read is a reason."""
    fallback_id = harvested.local_id or f"sha:{digest[:24]}"
    if harvested.rejected:
        return Parsed(fallback_id, reason=harvested.rejected)
    local_id = harvested.local_id
    try:
        if harvested.format == OAI_DC:
            return Parsed(fallback_id, normalise_dublin_core(harvested.payload))
        if harvested.format not in (ISO2709, MARCXML):
            return Parsed(fallback_id, reason=f"format inconnu : {harvested.format}")
        marc = _marc(harvested)
        local_id = local_id or marc.control("001").strip()[:255] or fallback_id
        normalised = normalise(marc)
        items = item_mapping.read_items(marc, items_mapping) if items_mapping else []
        return Parsed(local_id, normalised, items)
    except (MarcError, NormalisationError) as error:
        return Parsed(local_id or fallback_id, reason=str(error))
    except Exception as error:  # untrusted bytes: one bad record must not stop the run
        log.exception("unexpected error reading a record (%s)", type(error).__name__)
        return Parsed(local_id or fallback_id, reason=f"notice illisible ({type(error).__name__})")


_MAPPINGS: dict = {}


def parse_many(
    records: Sequence[tuple[HarvestedRecord, str]], stored_mapping: dict | None
) -> list[Parsed]:
    """:func:`parse` for each (record, checksum); what a parsing process is given."""
    key = repr(sorted((stored_mapping or {}).items()))
    if key not in _MAPPINGS:
        _MAPPINGS[key] = item_mapping.resolve(stored_mapping)
    mapping = _MAPPINGS[key]
    return [parse(harvested, digest, mapping) for harvested, digest in records]
