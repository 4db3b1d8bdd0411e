"""What staff set for an OAI-PMH connector, validated when they save it."""

from django import forms
from django.core.validators import RegexValidator

from connectors.base import ServerSettings

METADATA_PREFIXES = [
    ("marcxml", "MARCXML (marcxml)"),
    ("marc21", "MARC 21 en XML (marc21)"),
    ("unimarc", "UNIMARC en XML (unimarc)"),
    ("oai_dc", "Dublin Core simple (oai_dc)"),
]

# setSpec syntax from the OAI-PMH 2.0 schema: unreserved URI characters, ":" between levels.
SET_SPEC = RegexValidator(
    r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$",
    message="Nom d'ensemble invalide : lettres, chiffres et - _ . ! ~ * ' ( ) seulement, "
    "niveaux séparés par « : ».",
)


class OaiPmhSettings(ServerSettings):
    base_url = forms.URLField(
        label="Adresse de l'entrepôt",
        assume_scheme="https",
        max_length=500,
        help_text="L'URL de base OAI-PMH, sans « ?verb=… », "
        "par exemple https://catalogue.example.org/oai",
    )
    metadata_prefix = forms.ChoiceField(
        label="Format des notices",
        choices=METADATA_PREFIXES,
        initial="marcxml",
    )
    set_spec = forms.CharField(
        label="Ensemble (set)",
        required=False,
        max_length=200,
        validators=[SET_SPEC],
        help_text="Laisser vide pour moissonner tout l'entrepôt.",
    )

    def check_query(self, query: str) -> None:
        if "verb=" in query:
            raise forms.ValidationError(
                "Indiquez l'adresse de base de l'entrepôt, sans « ?verb=… » ni autre paramètre "
                "de requête OAI-PMH."
            )
