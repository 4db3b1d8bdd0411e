"""What staff set for a SIP2 connector, validated when they save it."""

from django import forms
from django.core.validators import RegexValidator

from connectors.sip2.client import ENCODINGS

DEFAULT_PORT = 6001
DEFAULT_TIMEOUT = 10  # seconds, for one exchange
DEFAULT_ENCODING = "utf-8"
ENCODING_CHOICES = [
    ("utf-8", "UTF-8 (Koha, Evergreen, la plupart des serveurs récents)"),
    ("cp850", "Code page 850 (le codage d'origine du protocole, serveurs anciens)"),
    ("latin-1", "Latin-1 (ISO 8859-1)"),
]
assert {code for code, _label in ENCODING_CHOICES} == set(ENCODINGS)

HOST = RegexValidator(
    r"^[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$",
    message="Indiquez un nom de machine ou une adresse IP, sans « sip2:// » ni port.",
)
# SIP2 fields are delimited by "|" and messages by CR: a value holding one cannot be sent.
NO_DELIMITER = RegexValidator(
    r"^[^|\r\n]*$", message="Ni « | » ni retour à la ligne (séparateurs du protocole SIP2)."
)


class Sip2Settings(forms.Form):
    host = forms.CharField(
        label="Adresse du serveur SIP2",
        max_length=253,
        validators=[HOST],
        help_text="Nom de machine ou adresse IP du serveur SIP2 du SIGB, par exemple "
        "sip.koha.example.org",
    )
    port = forms.IntegerField(label="Port", min_value=1, max_value=65535, initial=DEFAULT_PORT)
    institution_id = forms.CharField(
        label="Code de l'établissement (AO)",
        max_length=64,
        validators=[NO_DELIMITER],
        help_text="Le code d'institution que le serveur attend dans chaque message "
        "(dans Koha : le code de la bibliothèque du compte SIP2).",
    )
    login_user = forms.CharField(
        label="Identifiant de connexion (CN)",
        required=False,
        max_length=64,
        validators=[NO_DELIMITER],
        help_text="Le compte SIP2 du portail. Laisser vide si le serveur n'exige pas de "
        "connexion (message 93).",
    )
    login_password = forms.CharField(
        label="Mot de passe (CO)",
        required=False,
        max_length=128,
        validators=[NO_DELIMITER],
        widget=forms.PasswordInput(render_value=False),
        help_text="Laisser vide pour garder le mot de passe déjà enregistré.",
    )
    location_code = forms.CharField(
        label="Code de lieu (CP)",
        required=False,
        max_length=64,
        validators=[NO_DELIMITER],
        help_text="Facultatif : le lieu du compte, envoyé à la connexion.",
    )
    tls = forms.BooleanField(
        label="Connexion chiffrée (TLS)",
        required=False,
        help_text="À cocher si le serveur attend du SIP2 sur TLS (sinon la connexion circule "
        "en clair : réservez-la à un réseau privé ou un tunnel).",
    )
    tls_insecure = forms.BooleanField(
        label="Ne pas vérifier le certificat du serveur (déconseillé)",
        required=False,
        help_text="Seulement pour un serveur au certificat auto-signé, sur un réseau de confiance.",
    )
    encoding = forms.ChoiceField(
        label="Encodage des caractères",
        required=False,
        choices=ENCODING_CHOICES,
        initial=DEFAULT_ENCODING,
    )
    check_status = forms.BooleanField(
        label="Demander l'état du serveur (message 99) après la connexion",
        required=False,
        help_text="Un serveur qui se déclare hors ligne est alors signalé comme injoignable.",
    )
    without_checksum = forms.BooleanField(
        label="Messages sans numéro de séquence ni somme de contrôle (AY/AZ)",
        required=False,
        help_text="Seulement pour les rares serveurs qui refusent la détection d'erreurs.",
    )
    timeout = forms.IntegerField(
        label="Délai d'attente d'une réponse (secondes)",
        required=False,
        min_value=1,
        max_value=60,
        initial=DEFAULT_TIMEOUT,
    )

    def clean_encoding(self) -> str:
        return self.cleaned_data.get("encoding") or DEFAULT_ENCODING

    def clean_timeout(self) -> int:
        return self.cleaned_data.get("timeout") or DEFAULT_TIMEOUT

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("login_user"):
            cleaned["login_password"] = ""  # no account, no password (clearing one clears both)
        if cleaned.get("tls_insecure") and not cleaned.get("tls"):
            self.add_error("tls_insecure", "Cette option ne vaut que pour une connexion TLS.")
        return cleaned
