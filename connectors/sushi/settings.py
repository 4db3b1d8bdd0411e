"""A SUSHI server's settings, checked when staff save the connector."""

from django import forms

from connectors.base import ServerSettings

RELEASES = [("5.1", "COUNTER 5.1"), ("5", "COUNTER 5")]
# What a SUSHI address must not carry: the driver adds the credentials itself.
SUSHI_PARAMETERS = ("customer_id", "requestor_id", "api_key", "begin_date", "end_date")


class SushiSettings(ServerSettings):
    base_url = forms.URLField(
        label="Adresse du serveur SUSHI",
        assume_scheme="https",
        max_length=500,
        help_text="L'adresse de base donnée par le fournisseur, sans « /reports » ni "
        "« /r51 », par exemple https://sushi.fournisseur.example/counter.",
    )
    release = forms.ChoiceField(label="Version COUNTER", choices=RELEASES, initial="5.1")
    customer_id = forms.CharField(label="Identifiant client (customer_id)", max_length=200)
    requestor_id = forms.CharField(
        label="Identifiant du demandeur (requestor_id)", max_length=200, required=False
    )
    api_key = forms.CharField(
        label="Clé d'API (api_key)",
        max_length=300,
        required=False,
        help_text="Donnée par le fournisseur ; jamais affichée au public ni écrite dans les "
        "journaux.",
    )
    platform = forms.CharField(
        label="Plateforme (platform)",
        max_length=200,
        required=False,
        help_text="Seulement si le serveur du fournisseur sert plusieurs plateformes.",
    )

    def check_query(self, query: str) -> None:
        lowered = query.lower()
        for name in SUSHI_PARAMETERS:
            if f"{name}=" in lowered:
                raise forms.ValidationError(
                    f"L'adresse ne doit pas contenir « {name} » : renseignez le champ prévu."
                )
