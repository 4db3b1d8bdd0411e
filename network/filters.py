"""The one definition of how sites are filtered: used by the public list, the map and the API."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms

from network.models import Commune, Feature


@dataclass(frozen=True)
class SiteFilters:
    commune: str = ""  # INSEE code
    services: tuple[str, ...] = ()
    accessibility: tuple[str, ...] = ()
    open_now: bool = False
    query: str = ""

    def querystring(self) -> str:
        """The filters as URL parameters, shared by the page and the API (?commune=…)."""
        params = [("commune", self.commune)] if self.commune else []
        params += [("service", s) for s in self.services]
        params += [("accessibilite", a) for a in self.accessibility]
        if self.open_now:
            params.append(("ouvert", "on"))
        if self.query:
            params.append(("q", self.query))
        return urlencode(params)

    @property
    def active(self) -> bool:
        return bool(
            self.commune or self.services or self.accessibility or self.open_now or self.query
        )


class SiteFilterForm(forms.Form):
    q = forms.CharField(label="Nom ou adresse", required=False, max_length=100)
    commune = forms.ChoiceField(label="Commune", required=False)
    service = forms.MultipleChoiceField(
        label="Services", required=False, widget=forms.CheckboxSelectMultiple
    )
    accessibilite = forms.MultipleChoiceField(
        label="Accessibilité", required=False, widget=forms.CheckboxSelectMultiple
    )
    ouvert = forms.BooleanField(label="Ouvert maintenant", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        communes = (
            Commune.objects.filter(sites__isnull=False)
            .distinct()
            .order_by("name")
            .only("insee_code", "name")
        )
        self.fields["commune"].choices = [("", "Toutes les communes")] + [
            (c.insee_code, c.name) for c in communes
        ]
        features = list(Feature.objects.all())
        self.fields["service"].choices = [
            (f.slug, f.name) for f in features if f.kind == Feature.Kind.SERVICE
        ]
        self.fields["accessibilite"].choices = [
            (f.slug, f.name) for f in features if f.kind == Feature.Kind.ACCESSIBILITY
        ]

    def to_filters(self) -> SiteFilters:
        """Valid choices only: an unknown value in the URL is dropped, never an error page."""
        data = {}
        if self.is_bound:
            self.full_clean()
            # cleaned_data keeps the valid fields of an invalid form: a bad one drops alone.
            data = self.cleaned_data
        return SiteFilters(
            commune=data.get("commune", ""),
            services=tuple(data.get("service", ())),
            accessibility=tuple(data.get("accessibilite", ())),
            open_now=bool(data.get("ouvert")),
            query=data.get("q", "").strip(),
        )
