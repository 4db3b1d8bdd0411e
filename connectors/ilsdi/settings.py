"""What staff set for a Koha ILS-DI connector, validated when they save it."""

import re
from urllib.parse import parse_qs

from django import forms

from connectors.base import ServerSettings

# Koha's biblionumber from our record identifier (SourceRecord.local_id): the digits at
# the end, so "oai:koha.example:123" (an OAI-PMH harvest) and "123" (a 001) both give 123.
DEFAULT_BIBLIONUMBER_PATTERN = r"(\d+)$"
DEFAULT_TIMEOUT = 10  # seconds


class IlsdiSettings(ServerSettings):
    base_url = forms.URLField(
        label="Adresse du service ILS-DI",
        assume_scheme="https",
        max_length=500,
        help_text="L'adresse du script ILS-DI de l'OPAC Koha, sans paramètre, par exemple "
        "https://koha.example.org/cgi-bin/koha/ilsdi.pl (la préférence système « ILS-DI » "
        "doit être activée, et « ILS-DI:AuthorizedIPs » autoriser le portail).",
    )
    biblionumber_pattern = forms.CharField(
        label="Numéro de notice Koha (biblionumber) dans l'identifiant des notices",
        required=False,
        max_length=200,
        initial=DEFAULT_BIBLIONUMBER_PATTERN,
        help_text="Expression régulière appliquée à l'identifiant de la notice moissonnée ; "
        "son premier groupe (ou toute la correspondance) est le biblionumber. Par défaut, "
        "les chiffres de la fin : « oai:koha.example.org:123 » et « 123 » donnent 123.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timeout"].initial = DEFAULT_TIMEOUT

    def check_query(self, query: str) -> None:
        if query and {name.lower() for name in parse_qs(query)} & {"service", "id", "id_type"}:
            raise forms.ValidationError(
                "Indiquez l'adresse du script ilsdi.pl, sans « ?service=… » ni autre paramètre."
            )

    def clean_biblionumber_pattern(self) -> str:
        pattern = self.cleaned_data.get("biblionumber_pattern") or DEFAULT_BIBLIONUMBER_PATTERN
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise forms.ValidationError(f"Expression régulière invalide : {error}.") from None
        if compiled.groups > 1:
            raise forms.ValidationError("Un seul groupe entre parenthèses, au plus.")
        return pattern

    def clean_timeout(self) -> int:
        return self.cleaned_data.get("timeout") or DEFAULT_TIMEOUT
