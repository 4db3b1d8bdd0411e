"""Reads of the digital library that other apps use."""

from catalogue.search.analysis import query_terms, terms
from digital.models import Resource


def resources_matching(text: str, *, limit: int = 3) -> list[Resource]:
    """Published resources whose name, vendor, summary or kind hold every term of
    ``text``, analysed as the catalogue analyses (accents, case, French stems): shown
    beside the catalogue's results. Resources are a few hundred at most, so they are
    matched here rather than indexed."""
    wanted = set(query_terms(text)) if text.strip() else set()
    if not wanted:
        return []
    found = []
    for resource in Resource.objects.filter(published=True).order_by("name"):
        text_of = (
            f"{resource.name} {resource.vendor} {resource.summary} {resource.get_kind_display()}"
        )
        if wanted <= set(terms(text_of)):
            found.append(resource)
            if len(found) == limit:
                break
    return found
