"""A driver that needs no server: it harvests the demo export shipped in ``demo/``, and
makes up live availability for its copies.

It lets a newcomer (and the tests) see a whole harvest — records, copies, works — and the
live status of copies without any library system at hand, as VuFind's Demo driver does
for its ILS layer.

**Availability is a demonstration.** Only copies of the demo export (found by barcode with
the connector's item mapping) get an answer. One copy in three is on loan, due back
within three weeks; the others are on the shelf. Which ones is decided by a hash of the
barcode and today's date: stable all day, in every process, different the next day.
"""

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from catalogue.marc import MarcRecord, read_marc_file
from connectors import mapping as item_mapping
from connectors.base import (
    Account,
    ActionResult,
    Checkpoint,
    HarvestedRecord,
    ItemQuery,
    ItemStatus,
    PatronIdentity,
    PatronRef,
)
from connectors.demo.ils import DemoLibrarySystem, export_copies
from connectors.marc_file.driver import MarcFileDriver, count_records
from connectors.registry import register

# Export name → (file in demo/, French label, item mapping preset when the connector has none).
DEMO_EXPORTS = {
    "unimarc": ("catalogue/demo-unimarc.mrc", "Export UNIMARC (ISO 2709)", "koha_unimarc_995"),
    "marc21": ("catalogue/demo-marc21.mrc", "Export MARC 21 (ISO 2709)", "koha_marc21_952"),
    # Real records with demonstration copies (demo/catalogue/make_network_exports.py).
    **{
        f"reseau-{name}": (
            f"catalogue/demo-reseau-{name}.mrc",
            f"Réseau : {label} (UNIMARC, exemplaires de démonstration)",
            "koha_unimarc_995",
        )
        for name, label in (
            ("venissieux", "Vénissieux"),
            ("bron", "Bron"),
            ("caluire", "Caluire-et-Cuire"),
            ("rillieux", "Rillieux-la-Pape"),
        )
    },
}
DEMO_FILES = {name: path for name, (path, _label, _preset) in DEMO_EXPORTS.items()}
DEMO_PRESETS = {name: preset for name, (_path, _label, preset) in DEMO_EXPORTS.items()}
ON_LOAN_ONE_IN = 3
LOAN_DAYS = 21


@lru_cache(maxsize=8)
def export_barcodes(path: str, mapping: item_mapping.CompiledMapping) -> frozenset[str]:
    """The barcodes of the copies in a demo export (read once per process)."""
    with open(path, "rb") as stream:
        return frozenset(
            item.barcode
            for record in read_marc_file(stream)
            if isinstance(record, MarcRecord)
            for item in item_mapping.read_items(record, mapping)
            if item.barcode
        )


def demo_status(barcode: str, today: date) -> ItemStatus:
    """The made-up status of a demo copy on ``today``: stable for the day."""
    digest = hashlib.sha256(f"{barcode}|{today.isoformat()}".encode()).digest()
    if digest[0] % ON_LOAN_ONE_IN:
        return ItemStatus(available=True, label="En rayon")
    due = today + timedelta(days=1 + digest[1] % LOAN_DAYS)
    return ItemStatus(available=False, label=f"En prêt jusqu'au {due:%d/%m/%Y}", due_date=due)


class DemoSettings(forms.Form):
    export = forms.ChoiceField(
        label="Jeu de démonstration",
        choices=[(name, label) for name, (_path, label, _preset) in DEMO_EXPORTS.items()],
        initial="unimarc",
    )


@register
class DemoDriver(MarcFileDriver):
    name = "demo"
    label = "Démonstration (sans serveur)"
    capabilities = frozenset({"harvest", "availability", "authenticate", "account", "hold"})
    settings_form = DemoSettings
    takes_uploads = False
    answers_locally = True

    @classmethod
    def runs_unattended(cls, settings: Mapping[str, Any]) -> bool:
        return True

    def _export(self) -> str:
        return self.settings.get("export") or "unimarc"

    def _path(self) -> str:
        return str(Path(settings.BASE_DIR) / "demo" / DEMO_FILES[self._export()])

    def estimate_total(self) -> int | None:
        return count_records(self._path())

    def harvest(
        self, *, since: str = "", resume: Mapping[str, Any] | None = None
    ) -> Iterator[HarvestedRecord | Checkpoint]:
        return MarcFileDriver({"path": self._path()}).harvest(resume=resume)

    def _mapping(self, mapping=None) -> item_mapping.CompiledMapping:
        if isinstance(mapping, item_mapping.CompiledMapping):
            return mapping
        return item_mapping.resolve(
            dict(mapping) if mapping else {"preset": DEMO_PRESETS[self._export()]}
        )

    def availability(
        self,
        items: Sequence[ItemQuery],
        *,
        timeout: float,
        mapping: Mapping[str, Any] | item_mapping.CompiledMapping | None = None,
    ) -> dict[int, ItemStatus]:
        """Made-up statuses for the copies of the demo export (see the module's doc)."""
        known = export_barcodes(self._path(), self._mapping(mapping))
        today = timezone.localdate()
        return {
            item.key: demo_status(item.barcode, today) for item in items if item.barcode in known
        }

    # ------------------------------------------------------------ patrons (demonstration)

    def _system(self) -> DemoLibrarySystem:
        return DemoLibrarySystem(self._export(), export_copies(self._path(), self._mapping()))

    def authenticate(self, card_number: str, pin: str, *, timeout: float) -> PatronIdentity:
        return self._system().authenticate(card_number, pin)

    def account(self, patron: PatronRef, *, timeout: float) -> Account:
        return self._system().account(patron)

    def renew(self, patron: PatronRef, item_id: str, *, timeout: float) -> ActionResult:
        return self._system().renew(patron, item_id)

    def place_hold(
        self,
        patron: PatronRef,
        *,
        record_id: str,
        item_id: str = "",
        pickup_location: str = "",
        timeout: float,
    ) -> ActionResult:
        return self._system().place_hold(patron, record_id, item_id, pickup_location)

    def cancel_hold(self, patron: PatronRef, hold_id: str, *, timeout: float) -> ActionResult:
        return self._system().cancel_hold(patron, hold_id)
