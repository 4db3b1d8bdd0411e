from django import forms


class MarcFileSettings(forms.Form):
    path = forms.CharField(
        label="Chemin du fichier sur le serveur",
        required=False,
        max_length=500,
        help_text=(
            "Facultatif : un export déposé régulièrement au même endroit. Sinon, téléversez "
            "un fichier depuis la page du connecteur."
        ),
    )
    complete = forms.BooleanField(
        label="Le fichier contient tout le catalogue",
        required=False,
        initial=True,
        help_text="Coché : les notices absentes du fichier sont retirées du catalogue.",
    )
    batch_size = forms.IntegerField(
        label="Notices par lot",
        min_value=50,
        max_value=10_000,
        initial=2000,
        required=False,
        help_text="Une moisson interrompue reprend au dernier lot enregistré.",
    )

    def clean_path(self):
        path = self.cleaned_data["path"].strip()
        if path and not path.startswith("/"):
            raise forms.ValidationError("Indiquez un chemin absolu (commençant par « / »).")
        return path
