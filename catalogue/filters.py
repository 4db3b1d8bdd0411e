"""Reading a catalogue search from a URL, and writing the URLs of its filters and pages.

One reading serves the search page and the JSON API: ``q`` (the search box), ``titre``,
``auteur``, ``sujet`` (the advanced form), one parameter per facet (``type``,
``bibliotheque``… repeated for several values), ``tri`` and ``page``. Filters are plain
links, so they work without JavaScript and stay in the URL.
"""

from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode

from django import forms

from catalogue.search import SearchQuery
from catalogue.search.facets import FACETS

SORTS = {"pertinence": "relevance", "recent": "newest", "titre": "title", "auteur": "author"}
SORT_LABELS = {
    "pertinence": "Pertinence",
    "recent": "Les plus récents",
    "titre": "Titre (A → Z)",
    "auteur": "Auteur (A → Z)",
}
TEXT_FIELDS = ("q", "titre", "auteur", "sujet")
FACET_NAMES = tuple(facet.name for facet in FACETS)
MAX_VALUES = 20  # values of one facet a URL may select
MAX_PAGE = 500


def _position(name: str) -> int:
    """Where a parameter comes in a URL: text fields, facets in order, then the rest."""
    if name in TEXT_FIELDS:
        return -1
    return FACET_NAMES.index(name) if name in FACET_NAMES else len(FACET_NAMES)


class SearchForm(forms.Form):
    q = forms.CharField(label="Rechercher", required=False, max_length=300)
    titre = forms.CharField(label="Titre", required=False, max_length=300)
    auteur = forms.CharField(label="Auteur", required=False, max_length=300)
    sujet = forms.CharField(label="Sujet", required=False, max_length=300)
    tri = forms.ChoiceField(
        label="Trier par", required=False, choices=list(SORT_LABELS.items()), initial="pertinence"
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)


@dataclass(frozen=True)
class SearchRequest:
    """A search as the URL gave it: the query, and what is needed to write links."""

    query: SearchQuery
    text: dict  # q, titre, auteur, sujet as typed (after validation)
    sort: str  # the URL's name of the sort
    errors: tuple[str, ...] = ()

    def params(self, *, page: int | None = None, **changes) -> list[tuple[str, str]]:
        """The URL parameters of this search (text, filters, sort), with ``changes``
        (facet name → list of values) and a page."""
        params = [(name, value) for name, value in self.text.items() if value]
        filters = {**self.query.filters, **changes}
        for name in FACET_NAMES:
            params += [(name, value) for value in filters.get(name, ())]
        if self.sort != "pertinence":
            params.append(("tri", self.sort))
        if page and page > 1:
            params.append(("page", str(page)))
        return params

    def url(self, **kwargs) -> str:
        return "?" + urlencode(self.params(**kwargs))

    def toggle_url(self, facet: str, value: str) -> str:
        """This search with ``value`` of ``facet`` added, or removed if it was selected."""
        values = list(self.query.filters.get(facet, ()))
        values = [v for v in values if v != value] if value in values else [*values, value]
        return self.url(**{facet: values})

    def toggle_urls(self, facet: str, values) -> list[str]:
        """:meth:`toggle_url` for many values of one facet, encoding the rest once."""
        before, after, found = [], [], False
        for name, value in self.params():
            if name == facet:
                found = True
            elif found or FACET_NAMES.index(facet) < _position(name):
                after.append((name, value))
            else:
                before.append((name, value))
        head, tail = urlencode(before), urlencode(after)
        selected = list(self.query.filters.get(facet, ()))
        urls = []
        for value in values:
            chosen = (
                [v for v in selected if v != value] if value in selected else [*selected, value]
            )
            middle = "&".join(f"{facet}={quote_plus(v)}" for v in chosen)
            urls.append("?" + "&".join(part for part in (head, middle, tail) if part))
        return urls

    def clear_url(self) -> str:
        """This search without any filter."""
        return self.url(**{name: [] for name in FACET_NAMES})

    def page_url(self, page: int) -> str:
        return self.url(page=page)

    def sort_params(self) -> list[tuple[str, str]]:
        """Hidden fields the sort form carries (everything but the sort and the page)."""
        return [(name, value) for name, value in self.params() if name != "tri"]

    @property
    def has_filters(self) -> bool:
        return bool(self.query.filters)


def read_search(data, *, per_page: int = 20) -> SearchRequest:
    """The search a URL's parameters (a QueryDict) describe. Bad values are dropped with
    a French message, never an error page."""
    form = SearchForm(data)
    errors = []
    if form.is_valid():
        cleaned = form.cleaned_data
    else:
        errors = [message for messages in form.errors.values() for message in messages]
        cleaned = {name: form.cleaned_data.get(name) for name in form.fields}
    text = {name: (cleaned.get(name) or "").strip() for name in TEXT_FIELDS}
    filters = {}
    for name in FACET_NAMES:
        values = [v.strip() for v in data.getlist(name) if v.strip() and len(v) <= 200]
        values = [v for v in dict.fromkeys(values) if "\x00" not in v][:MAX_VALUES]
        if values:
            filters[name] = values
    sort = cleaned.get("tri") or "pertinence"
    query = SearchQuery(
        text=text["q"],
        title=text["titre"],
        author=text["auteur"],
        subject=text["sujet"],
        filters=filters,
        sort=SORTS.get(sort, "relevance"),
        page=cleaned.get("page") or 1,
        per_page=per_page,
    )
    return SearchRequest(query, text, sort, tuple(errors))
