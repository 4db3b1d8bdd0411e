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
from connectors.marc_file.driver import MarcFileDriver
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

    def harvest(
        self, *, since: str = "", resume: Mapping[str, Any] | None = None
    ) -> Iterator[HarvestedRecord | Checkpoint]:
        export = self.settings.get("export") or "unimarc"
        path = Path(settings.BASE_DIR) / "demo" / DEMO_FILES[export]
        return MarcFileDriver({"path": str(path)}).harvest(resume=resume)
