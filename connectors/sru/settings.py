"""What staff set for an SRU connector, validated when they save it."""

from urllib.parse import parse_qs

from django import forms
from django.core.validators import RegexValidator

from connectors.base import ServerSettings

# "All records" in CQL. Zebra understands it when its CQL table maps it to the _ALLRECORDS
# index, as YAZ's stock etc/pqf.properties and tests/peers/zebra/cql2pqf.txt do; servers
# that do not know it answer with a diagnostic (unsupported index or context set).
DEFAULT_QUERY = "cql.allRecords=1"
DEFAULT_SCHEMA = "marcxml"
DEFAULT_PAGE_SIZE = 50
DEFAULT_VERSION = "1.2"
# The CQL index of record identifiers (the 001), for live availability: CQL's "rec" context
# set; Koha's and YAZ's CQL tables map it to Local-number (Bib-1 use attribute 12).
DEFAULT_RECORD_ID_INDEX = "rec.id"
VERSIONS = [("1.1", "SRU 1.1"), ("1.2", "SRU 1.2"), ("2.0", "SRU 2.0")]

# Parameters of a searchRetrieve request: an address carrying them is a search, not a base.
_SRU_PARAMETERS = {"operation", "query", "version", "startrecord", "maximumrecords"}


class SruSettings(ServerSettings):
    base_url = forms.URLField(
        label="Adresse du serveur SRU",
        assume_scheme="https",
        max_length=500,
        help_text="L'adresse de base, base de données comprise, sans paramètres de recherche, "
        "par exemple https://catalogue.example.org/sru/biblios",
    )
    query = forms.CharField(
        label="Requête CQL",
        required=False,
        max_length=1000,
        initial=DEFAULT_QUERY,
        help_text="Les notices à moissonner. « cql.allRecords=1 » demande tout le catalogue ; "
        "si le serveur répond « index CQL inconnu », indiquez une requête qui ramène toutes "
        "les notices (Koha/Zebra : vérifiez que sa table CQL déclare cql.allRecords).",
    )
    record_schema = forms.CharField(
        label="Schéma des notices (recordSchema)",
        required=False,
        max_length=200,
        initial=DEFAULT_SCHEMA,
        validators=[RegexValidator(r"^\S+$", message="Le schéma ne contient pas d'espace.")],
        help_text="Le nom que le serveur donne au MARCXML : souvent « marcxml », parfois "
        "« unimarcxml » ou « info:srw/schema/1/marcxml-v1.1 ».",
    )
    page_size = forms.IntegerField(
        label="Notices par page",
        required=False,
        min_value=1,
        max_value=100,
        initial=DEFAULT_PAGE_SIZE,
    )
    version = forms.ChoiceField(
        label="Version SRU",
        required=False,
        choices=VERSIONS,
        initial=DEFAULT_VERSION,
    )
    record_id_index = forms.CharField(
        label="Index CQL de l'identifiant des notices",
        required=False,
        max_length=100,
        initial=DEFAULT_RECORD_ID_INDEX,
        validators=[
            RegexValidator(
                r"^[A-Za-z][A-Za-z0-9_\-]*(\.[A-Za-z][A-Za-z0-9_\-]*)?$",
                message="Un nom d'index CQL, par exemple « rec.id » ou « local.number ».",
            )
        ],
        help_text="Pour la disponibilité en direct : l'index qui retrouve une notice par son "
        "identifiant (zone 001). Les exemplaires sont lus dans les notices renvoyées, avec la "
        "lecture des exemplaires du connecteur.",
    )

    def check_query(self, query: str) -> None:
        if {name.lower() for name in parse_qs(query)} & _SRU_PARAMETERS:
            raise forms.ValidationError(
                "Indiquez l'adresse de base du serveur, sans « ?operation=… », « query=… » ni "
                "autre paramètre de recherche SRU."
            )

    def clean_query(self) -> str:
        return self.cleaned_data.get("query", "").strip() or DEFAULT_QUERY

    def clean_record_schema(self) -> str:
        return self.cleaned_data.get("record_schema") or DEFAULT_SCHEMA

    def clean_page_size(self) -> int:
        return self.cleaned_data.get("page_size") or DEFAULT_PAGE_SIZE

    def clean_version(self) -> str:
        return self.cleaned_data.get("version") or DEFAULT_VERSION

    def clean_record_id_index(self) -> str:
        return self.cleaned_data.get("record_id_index") or DEFAULT_RECORD_ID_INDEX
