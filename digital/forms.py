import ipaddress
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from wagtail.admin.forms import WagtailAdminModelForm

from digital.models import AccessMethod, SharedAttribute

SINGLE_SIGN_ON = (AccessMethod.CAS, AccessMethod.OIDC)


class ResourceForm(WagtailAdminModelForm):
    shared_attributes = forms.MultipleChoiceField(
        label="Données transmises au fournisseur",
        choices=SharedAttribute.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Le fournisseur reçoit toujours un identifiant pseudonyme propre à lui ; "
        "cochez seulement ce que le contrat exige en plus (CAS et OpenID Connect).",
    )

    def save(self, commit=True):
        user = self.for_user
        if user is not None and not user.is_network_admin:
            # A library's proposal: a free resource opened by a plain link, offered to
            # everyone, and unpublished until the network's coordination publishes it.
            resource = self.instance
            resource.proposed_by_id = user.library_id
            resource.published = False
            resource.is_free = True
            resource.whole_network = True
            resource.access_method = AccessMethod.OPEN_LINK
        return super().save(commit=commit)

    def clean_vendor_urls(self) -> str:
        lines = [line.strip() for line in self.cleaned_data["vendor_urls"].splitlines()]
        schemes = ("http", "https") if settings.DEBUG else ("https",)
        for line in filter(None, lines):
            parts = urlsplit(line)
            if parts.scheme not in schemes or not parts.hostname or parts.username:
                raise forms.ValidationError(
                    f"« {line} » n'est pas une adresse acceptée : écrivez une adresse "
                    "complète commençant par https://, sans identifiant ni mot de passe."
                )
        return "\n".join(filter(None, lines))

    def clean(self):
        data = super().clean()
        if data.get("access_method") in SINGLE_SIGN_ON and not data.get("vendor_urls"):
            self.add_error(
                "vendor_urls",
                "L'authentification unique a besoin des adresses de retour du fournisseur : "
                "tout autre service est refusé.",
            )
        if data.get("access_method") == AccessMethod.SIGNED_LINK and not data.get("signing_key"):
            self.add_error(
                "signing_key", "Un lien signé a besoin de la clé donnée par le fournisseur."
            )
        low, high = data.get("age_min"), data.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", "L'âge maximum est inférieur à l'âge minimum.")
        if data.get("logo") and not data.get("logo_alt"):
            self.add_error("logo_alt", "Décrivez le logo pour qui ne le voit pas.")
        subscribers = data.get("communes") or data.get("libraries")
        offered_to_some = "whole_network" in self.fields and not data.get("whole_network")
        if offered_to_some and not data.get("is_free") and not subscribers:
            self.add_error(
                "whole_network",
                "Choisissez les communes ou les bibliothèques abonnées, ou proposez la "
                "ressource à tout le réseau.",
            )
        return data


class LibraryNetworkForm(WagtailAdminModelForm):
    def clean_cidr(self) -> str:
        value = self.cleaned_data["cidr"].strip()
        try:
            return str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise forms.ValidationError(
                "Ce n'est pas une plage d'adresses : écrivez par exemple 192.0.2.0/24."
            ) from None
