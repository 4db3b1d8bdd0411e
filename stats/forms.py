from django import forms
from django.utils import timezone

from accounts.viewsets import LibraryScopedForm
from network.permissions import library_policy
from stats.members_csv import FIRST_YEAR, MAX_BYTES
from stats.selectors import MONTH_NAMES

MONTH_CHOICES = [("", "Toute l'année"), *((m, name) for m, name in enumerate(MONTH_NAMES, 1))]


class DashboardFilterForm(forms.Form):
    """The dashboard's period, read from the query string (a GET form: no JavaScript)."""

    annee = forms.TypedChoiceField(label="Année", coerce=int)
    mois = forms.TypedChoiceField(
        label="Mois", coerce=int, choices=MONTH_CHOICES, required=False, empty_value=None
    )

    def __init__(self, data, *, years: list[int]):
        super().__init__(data)
        this_year = timezone.localdate().year
        self.years = sorted(set(years) | {this_year}, reverse=True)
        self.fields["annee"].choices = [(y, str(y)) for y in self.years]
        self.fields["annee"].initial = this_year

    def period(self) -> tuple[int, int | None]:
        """(year, month or None); the current year when the query says nothing valid."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["annee"], self.cleaned_data["mois"]
        return timezone.localdate().year, None


class ActiveMembersForm(LibraryScopedForm):
    # A library's administrators choose among their own library only.
    scoped_fields = {"library": (library_policy, "change")}

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        this_year = timezone.localdate().year
        if not FIRST_YEAR <= year <= this_year:
            raise forms.ValidationError(f"Une année de {FIRST_YEAR} à {this_year}.")
        return year


class ActiveMembersUploadForm(forms.Form):
    file = forms.FileField(
        label="Fichier CSV",
        help_text="Une ligne par bibliothèque et par année : bibliothèque (identifiant ou "
        "nom) ; année ; nombre d'inscrits actifs. Séparateur « ; » ou « , ».",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("Le fichier dépasse 1 Mo.")
        return upload
