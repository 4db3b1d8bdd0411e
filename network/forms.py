from django import forms

from accounts.viewsets import LibraryScopedForm
from network.permissions import library_policy, site_policy


class SiteForm(LibraryScopedForm):
    # Editors change their sites, not their library: the choice is the library they work
    # for, which is what library staff may view (tests/accounts/test_isolation.py).
    scoped_fields = {"library": (library_policy, "view")}


class OpeningExceptionForm(LibraryScopedForm):
    scoped_fields = {"site": site_policy}


class SiteImportForm(forms.Form):
    file = forms.FileField(
        label="Fichier CSV",
        help_text=(
            "Colonnes de la liste des bibliothèques publiques du ministère de la Culture "
            "(Code_bib, nom_de_l_etablissement, Adresse, CP, Ville, Latitude, Longitude…)."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("Le fichier dépasse 5 Mo.")
        return upload
