"""The one definition of how the agenda is filtered: the list, the calendar and the feeds."""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.db.models import Exists, OuterRef

from agenda.models import TZ, Audience, Category
from metrobib import pagecache
from network.models import Commune, Library

PERIODS = {
    "aujourdhui": "Aujourd'hui",
    "week-end": "Ce week-end",
    "semaine": "Cette semaine",
    "mois": "Ce mois-ci",
}


@dataclass(frozen=True)
class AgendaFilters:
    period: str = ""  # one of PERIODS, or "" with start/end dates, or "" for all to come
    start: date | None = None
    end: date | None = None
    commune: str = ""  # INSEE code
    library: str = ""  # slug
    audience: str = ""
    age: int | None = None
    category: str = ""
    free: bool = False
    places: bool = False
    operation: str = ""  # slug
    query: str = ""

    def querystring(self, **changes) -> str:
        """The filters as URL parameters (?quand=week-end&commune=69029…)."""
        f = replace(self, **changes) if changes else self
        params = []
        if f.period:
            params.append(("quand", f.period))
        else:
            params += [("du", f.start.isoformat())] if f.start else []
            params += [("au", f.end.isoformat())] if f.end else []
        for name, value in [
            ("commune", f.commune), ("bibliotheque", f.library), ("public", f.audience),
            ("categorie", f.category), ("operation", f.operation), ("q", f.query),
        ]:  # fmt: skip
            if value:
                params.append((name, value))
        if f.age is not None:
            params.append(("age", str(f.age)))
        if f.free:
            params.append(("gratuit", "on"))
        if f.places:
            params.append(("places", "on"))
        return urlencode(params)

    @property
    def active(self) -> bool:
        return self != AgendaFilters()

    def date_range(self, now: datetime) -> tuple[datetime, datetime | None]:
        """The instants the filter covers: from ``now`` (or the start day) to the end of
        the period's last day, or open-ended."""
        today = now.astimezone(TZ).date()
        first, last = today, None
        if self.period == "aujourdhui":
            last = today
        elif self.period == "week-end":
            # Saturday and Sunday to come; on a Sunday, that Sunday.
            first = today + timedelta(days=max(5 - today.weekday(), 0))
            last = today + timedelta(days=6 - today.weekday())
        elif self.period == "semaine":
            last = today + timedelta(days=6 - today.weekday())
        elif self.period == "mois":
            next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
            last = next_month - timedelta(days=1)
        else:
            first = max(self.start or today, today)
            last = self.end
        begin = datetime.combine(first, datetime.min.time(), TZ)
        if first == today:
            begin = now  # what has already ended today is gone
        if last is None:
            return begin, None
        return begin, datetime.combine(last + timedelta(days=1), datetime.min.time(), TZ)


class AgendaFilterForm(forms.Form):
    q = forms.CharField(label="Mot-clé", required=False, max_length=100)
    quand = forms.ChoiceField(
        label="Quand",
        required=False,
        choices=[("", "Toutes les dates à venir"), *PERIODS.items()],
    )
    du = forms.DateField(label="Du", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    au = forms.DateField(label="Au", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    commune = forms.ChoiceField(label="Commune", required=False)
    bibliotheque = forms.ChoiceField(label="Bibliothèque", required=False)
    public = forms.ChoiceField(
        label="Public", required=False, choices=[("", "Tous les publics"), *Audience.choices]
    )
    age = forms.IntegerField(
        label="Âge de l'enfant (ans)", required=False, min_value=0, max_value=18
    )
    categorie = forms.ChoiceField(
        label="Type d'animation",
        required=False,
        choices=[("", "Tous les types"), *Category.choices],
    )
    operation = forms.ChoiceField(label="Opération du réseau", required=False)
    gratuit = forms.BooleanField(label="Gratuit uniquement", required=False)
    places = forms.BooleanField(label="Avec des places disponibles", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = pagecache.derived("agenda:filter-choices", (), filter_choices)
        for name, values in choices.items():
            self.fields[name].choices = values

    def to_filters(self) -> AgendaFilters:
        """Valid values only: an unknown value in the URL is dropped, never an error page."""
        data = {}
        if self.is_bound:
            self.full_clean()
            data = self.cleaned_data
        start, end = data.get("du"), data.get("au")
        if start and end and end < start:
            start, end = end, start
        return AgendaFilters(
            period=data.get("quand", ""),
            start=start,
            end=end,
            commune=data.get("commune", ""),
            library=data.get("bibliotheque", ""),
            audience=data.get("public", ""),
            age=data.get("age"),
            category=data.get("categorie", ""),
            free=bool(data.get("gratuit")),
            places=bool(data.get("places")),
            operation=data.get("operation", ""),
            query=data.get("q", "").strip(),
        )


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The communes and libraries that have events, and the network's operations: what
    the filter form offers, built once per data version (metrobib.pagecache.derived)."""
    from agenda.models import Event, NetworkOperation

    communes = Commune.objects.filter(Exists(Event.objects.filter(commune=OuterRef("pk"))))
    libraries = Library.objects.filter(Exists(Event.objects.filter(library=OuterRef("pk"))))
    return {
        "commune": [("", "Toutes les communes")]
        + list(communes.order_by("name").values_list("insee_code", "name")),
        "bibliotheque": [("", "Toutes les bibliothèques")]
        + list(libraries.order_by("name").values_list("slug", "name")),
        "operation": [("", "Toutes")] + list(NetworkOperation.objects.values_list("slug", "name")),
    }
