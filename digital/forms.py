import ipaddress

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from digital.models import AccessMethod


class ResourceForm(WagtailAdminModelForm):
    def clean(self):
        data = super().clean()
        if data.get("access_method") == AccessMethod.SIGNED_LINK and not data.get("signing_key"):
            self.add_error(
                "signing_key", "Un lien signé a besoin de la clé donnée par le fournisseur."
            )
        if data.get("logo") and not data.get("logo_alt"):
            self.add_error("logo_alt", "Décrivez le logo pour qui ne le voit pas.")
        subscribers = data.get("communes") or data.get("libraries")
        if not data.get("whole_network") and not data.get("is_free") and not subscribers:
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
