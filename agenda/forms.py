from datetime import date, datetime

from django import forms

from accounts.viewsets import LibraryScopedForm
from agenda import recurrence
from agenda.models import Occurrence, Registration
from network.permissions import library_policy, site_policy


class RegistrationForm(forms.Form):
    name = forms.CharField(
        label="Nom et prénom",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="E-mail",
        help_text="La confirmation et le lien pour annuler y sont envoyés.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    places = forms.TypedChoiceField(label="Nombre de places", coerce=int)

    def __init__(self, *args, max_places: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["places"].choices = [(n, str(n)) for n in range(1, max_places + 1)]
        if max_places == 1:
            self.fields["places"].widget = forms.HiddenInput()
            self.fields["places"].initial = 1


class StaffRegistrationForm(forms.Form):
    """At the desk or on the phone: for someone without e-mail, a phone number will do."""

    name = forms.CharField(label="Nom et prénom", max_length=150)
    email = forms.EmailField(label="E-mail", required=False)
    phone = forms.CharField(label="Téléphone", max_length=30, required=False)
    places = forms.IntegerField(label="Places", min_value=1, initial=1)
    channel = forms.ChoiceField(
        label="Inscription",
        choices=[
            (Registration.Channel.DESK, Registration.Channel.DESK.label),
            (Registration.Channel.PHONE, Registration.Channel.PHONE.label),
        ],
    )


REPEAT_CHOICES = [
    ("", "Pas de répétition (ou règle ci-dessous)"),
    ("weekly", "Chaque semaine, le même jour"),
    ("fortnightly", "Toutes les deux semaines"),
    ("monthly", "Chaque mois, le même jour de la semaine (ex. : 2e samedi)"),
    ("daily", "Chaque jour"),
]


class EventForm(LibraryScopedForm):
    """The back-office form of an event: the simple repetition choices write the RFC 5545
    rule; a rule typed by hand (or imported) is kept as is."""

    scoped_fields = {"library": (library_policy, "view"), "site": (site_policy, "view")}

    repeat = forms.ChoiceField(label="Répéter", choices=REPEAT_CHOICES, required=False)
    repeat_until = forms.DateField(
        label="Jusqu'au (inclus)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Sans date de fin, les dates sont créées un an à l'avance, au fil du temps.",
    )
    excluded = forms.CharField(
        label="Dates exclues",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Une date par ligne, au format JJ/MM/AAAA (un jour férié, un pont…).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.excluded_dates:
            self.initial["excluded"] = "\n".join(
                date.fromisoformat(d).strftime("%d/%m/%Y") for d in self.instance.excluded_dates
            )

    def clean_excluded(self) -> list[str]:
        days = []
        for line in self.cleaned_data.get("excluded", "").split():
            try:
                days.append(datetime.strptime(line.strip(), "%d/%m/%Y").date().isoformat())
            except ValueError:
                raise forms.ValidationError(
                    f"« {line} » n'est pas une date au format JJ/MM/AAAA."
                ) from None
        return sorted(set(days))

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at < starts_at:
            self.add_error("ends_at", "La fin doit suivre le début.")
        library, site = data.get("library"), data.get("site")
        if site and library and site.library_id != library.pk:
            self.add_error("site", "Ce lieu n'appartient pas à la bibliothèque choisie.")
        if not site and not data.get("place_name"):
            self.add_error("site", "Choisissez un lieu du réseau ou indiquez un autre lieu.")
        age_min, age_max = data.get("age_min"), data.get("age_max")
        if age_min is not None and age_max is not None and age_min > age_max:
            self.add_error("age_max", "L'âge maximum doit être supérieur à l'âge minimum.")
        if data.get("registration_required") and not data.get("capacity"):
            self.add_error("capacity", "Indiquez le nombre de places d'une date.")
        if data.get("image") and not data.get("image_alt"):
            self.add_error("image_alt", "Décrivez l'image pour qui ne la voit pas.")
        if not data.get("is_free") and not data.get("price"):
            self.add_error("price", "Indiquez le tarif d'un événement payant.")
        if data.get("repeat") and starts_at:
            data["rrule"] = recurrence.simple_rule(
                data["repeat"], starts_at, data.get("repeat_until")
            )
        if data.get("rrule") and starts_at:
            try:
                recurrence.parse_rule(data["rrule"], starts_at)
            except recurrence.RecurrenceError as error:
                self.add_error("rrule", str(error))
        return data

    def save(self, commit=True):
        self.instance.rrule = self.cleaned_data.get("rrule", "")
        self.instance.excluded_dates = self.cleaned_data.get("excluded", [])
        return super().save(commit=commit)


class OccurrenceForm(LibraryScopedForm):
    """One date: move it, cancel it, change its places. The view applies each change
    through the services, which tell the registrants."""

    cancel = forms.BooleanField(label="Annuler cette date", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["cancel"] = self.instance.status == Occurrence.Status.CANCELLED

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] < data["starts_at"]:
            self.add_error("ends_at", "La fin doit suivre le début.")
        capacity = data.get("capacity")
        if capacity is not None and capacity < self.instance.confirmed_places:
            self.add_error(
                "capacity",
                f"{self.instance.confirmed_places} places sont déjà réservées : "
                "annulez des inscriptions avant de réduire la jauge.",
            )
        return data
