"""A driver that needs no server: it harvests the demo export shipped in ``demo/``.

It lets a newcomer (and the tests) see a whole harvest — records, copies, works — without
any library system at hand, as VuFind's Demo driver does for its ILS layer.
"""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings

from connectors.base import Checkpoint, HarvestedRecord
from connectors.marc_file.driver import MarcFileDriver, count_records
from connectors.registry import register

DEMO_FILES = {
    "unimarc": "catalogue/demo-unimarc.mrc",
    "marc21": "catalogue/demo-marc21.mrc",
}


class DemoSettings(forms.Form):
    export = forms.ChoiceField(
        label="Jeu de démonstration",
        choices=[("unimarc", "Export UNIMARC (ISO 2709)"), ("marc21", "Export MARC 21 (ISO 2709)")],
        initial="unimarc",
    )


@register
class DemoDriver(MarcFileDriver):
    name = "demo"
    label = "Démonstration (sans serveur)"
    settings_form = DemoSettings
    takes_uploads = False

    @classmethod
    def runs_unattended(cls, settings: Mapping[str, Any]) -> bool:
        return True

    def _path(self) -> str:
        export = self.settings.get("export") or "unimarc"
        return str(Path(settings.BASE_DIR) / "demo" / DEMO_FILES[export])

    def estimate_total(self) -> int | None:
        return count_records(self._path())

    def harvest(
        self, *, since: str = "", resume: Mapping[str, Any] | None = None
    ) -> Iterator[HarvestedRecord | Checkpoint]:
        return MarcFileDriver({"path": self._path()}).harvest(resume=resume)
