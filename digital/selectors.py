"""Reads of the digital library that other apps use."""

from catalogue.search.analysis import query_terms, terms
from digital.models import Resource
from metrobib import pagecache


def _published_with_terms() -> list[tuple[Resource, frozenset[str]]]:
    described = Resource.objects.filter(published=True).order_by("name")
    return [
        (r, frozenset(terms(f"{r.name} {r.vendor} {r.summary} {r.get_kind_display()}")))
        for r in described
    ]


def resources_matching(text: str, *, limit: int = 3) -> list[Resource]:
    """Published resources whose name, vendor, summary or kind hold every term of
    ``text``, analysed as the catalogue analyses (accents, case, French stems): shown
    beside the catalogue's results. Resources are a few hundred at most: their terms are
    kept per data version (a resource saved bumps it, ``digital.apps``), so a search
    costs no query here."""
    wanted = set(query_terms(text)) if text.strip() else set()
    if not wanted:
        return []
    described = pagecache.derived("digital.resource_terms", (), _published_with_terms)
    return [resource for resource, known in described if wanted <= known][:limit]
