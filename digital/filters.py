"""How the resources list is filtered: by kind, audience, free, and "with my card"."""

from django import forms

from digital.models import Audience, Kind


class ResourceFilterForm(forms.Form):
    type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Tous les types"), *Kind.choices]
    )
    public = forms.ChoiceField(
        label="Public", required=False, choices=[("", "Tous les publics"), *Audience.choices]
    )
    libre = forms.BooleanField(label="Ressources libres (sans carte)", required=False)
    ma_carte = forms.BooleanField(label="Accessibles avec ma carte", required=False)

    def cleaned(self) -> dict:
        """Valid values only: an unknown value in the URL is dropped, never an error page."""
        if not self.is_bound:
            return {}
        self.full_clean()
        return self.cleaned_data
