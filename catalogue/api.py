"""The union catalogue in the JSON API: search with facets, a work, its live availability.

Mounted under /api/v1/catalogue/ (api/api.py). The search reads its parameters as the
search page does (catalogue/filters.py), so the two always agree.
"""

from datetime import date, datetime
from typing import Annotated

from django.urls import reverse
from ninja import Path, Query, Router, Schema
from pydantic import Field

from catalogue import availability, filters, search, selectors
from catalogue.records import DocType
from network import hours

router = Router(tags=["catalogue"])

Text = Annotated[str, Field(pattern=r"^[^\x00]*$", max_length=300)]
Value = Annotated[str, Field(pattern=r"^[^\x00]*$", max_length=200)]


class SearchIn(Schema):
    q: Text = Field("", description="La recherche : mots, expression entre guillemets, ISBN, ISSN")
    titre: Text = ""
    auteur: Text = ""
    sujet: Text = ""
    type: list[Value] = Field([], description="Type de document (book, dvd, cd…)")
    public: list[Value] = []
    langue: list[Value] = Field([], description="Code ISO 639-2 (fre, eng…)")
    annee: list[Value] = Field([], description="Tranche d'années : 2020, 2010, … 1800, 0")
    bibliotheque: list[Value] = Field([], description="Identifiant de bibliothèque")
    commune: list[Value] = Field([], description="Code INSEE")
    lieu: list[Value] = Field([], description="Identifiant de lieu")
    matiere: list[Value] = Field([], description="Vedette de sujet")
    disponible: list[Value] = Field([], description="1 : un exemplaire en rayon maintenant")
    tri: Annotated[str, Field(pattern=r"^(pertinence|recent|titre|auteur)?$")] = ""
    page: Annotated[int, Field(ge=1, le=filters.MAX_PAGE)] = 1


class HitOut(Schema):
    id: int
    title: str
    author: str
    year: int | None
    type: str
    type_label: str
    library_count: int
    available_count: int
    url: str


class FacetValueOut(Schema):
    value: str
    label: str
    count: int
    selected: bool


class FacetOut(Schema):
    name: str
    label: str
    values: list[FacetValueOut]


class SearchOut(Schema):
    total: int = Field(description="Nombre d'œuvres ; estimé quand exact est faux")
    exact: bool
    page: int
    pages: int
    corrected: str = Field(description="La recherche corrigée dont voici les résultats")
    suggestion: str = Field(description="Une orthographe qui donnerait plus de résultats")
    hits: list[HitOut]
    facets: list[FacetOut]


class CopyOut(Schema):
    id: int
    library: str
    site: str | None
    site_url: str | None
    call_number: str
    section: str
    status: str = Field(description="Statut à la dernière moisson")
    available: bool | None


class EditionOut(Schema):
    record_id: int
    title: str
    type: str
    year: int | None
    publisher: str
    isbns: list[str]
    issns: list[str]
    libraries: list[str]


class WorkOut(Schema):
    id: int
    title: str
    author: str
    year: int | None
    type: str
    type_label: str
    subjects: list[str]
    summary: str
    url: str
    editions: list[EditionOut]
    copies: list[CopyOut]


class LiveCopyOut(Schema):
    id: int
    library: str
    available: bool | None
    status: str
    due_date: date | None
    live: bool = Field(description="Vrai si le statut vient du système de la bibliothèque")


class LiveLibraryOut(Schema):
    library: str
    state: str = Field(description="live, unreachable ou not offered")
    checked_at: datetime | None
    notice: str


class AvailabilityOut(Schema):
    libraries: list[LiveLibraryOut]
    copies: list[LiveCopyOut]


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: list[dict]


@router.get("/search", response={200: SearchOut, 422: ValidationErrorOut})
def search_works(request, params: Query[SearchIn]):
    """Works matching a search, ranked, with facet counts (exact up to 10 000 works,
    estimated beyond), 20 per page."""
    wanted = filters.read_search(request.GET)
    result = search.search(wanted.query)
    rows = selectors.result_rows([hit.work_id for hit in result.hits])
    return {
        "total": result.total,
        "exact": result.exact,
        "page": wanted.query.page,
        "pages": result.pages,
        "corrected": result.corrected,
        "suggestion": result.suggestion,
        "hits": [
            {
                "id": row.work_id,
                "title": row.title,
                "author": row.main_author,
                "year": row.year,
                "type": row.doc_type,
                "type_label": row.type_label,
                "library_count": row.library_count,
                "available_count": row.available_count,
                "url": reverse("catalogue:work", args=[row.work_id]),
            }
            for row in rows
        ],
        "facets": [
            {"name": g.facet.name, "label": g.facet.label, "values": [vars(v) for v in g.values]}
            for g in result.facets
        ],
    }


def _work_page(pk: int):
    now = datetime.now(hours.TZ)
    page, moved_to = selectors.work_page(pk, now)
    if page is None:
        page, _ = selectors.work_page(moved_to, now)
    return page


@router.get("/works/{pk}", response={200: WorkOut, 404: ErrorOut, 422: ValidationErrorOut})
def get_work(request, pk: Path[Annotated[int, Field(ge=1, le=2**62)]]):
    """A work: its description, its editions and every copy with its last harvested
    status (a merged work's id gives the work that holds its editions now)."""
    page = _work_page(pk)
    work = page.work
    return {
        "id": work.pk,
        "title": work.title,
        "author": work.main_author,
        "year": work.year,
        "type": work.doc_type,
        "type_label": DocType.LABELS.get(work.doc_type, ""),
        "subjects": page.subjects,
        "summary": page.main.summary,
        "url": reverse("catalogue:work", args=[work.pk]),
        "editions": [
            {
                "record_id": e.record.pk,
                "title": e.record.title,
                "type": e.record.doc_type,
                "year": e.record.year,
                "publisher": e.record.publisher,
                "isbns": e.record.isbns,
                "issns": e.record.issns,
                "libraries": e.libraries,
            }
            for e in page.editions
        ],
        "copies": [
            {
                "id": copy.item.pk,
                "library": library.name,
                "site": place.site.name if place.site else None,
                "site_url": place.site.get_absolute_url() if place.site else None,
                "call_number": copy.item.call_number,
                "section": copy.item.section,
                "status": copy.harvested_label,
                "available": copy.item.available,
            }
            for library in page.holdings
            for place in library.sites
            for copy in place.copies
        ],
    }


@router.get(
    "/works/{pk}/availability",
    response={200: AvailabilityOut, 404: ErrorOut, 422: ValidationErrorOut},
)
def get_availability(request, pk: Path[Annotated[int, Field(ge=1, le=2**62)]]):
    """What the holding libraries' systems say of the work's copies now (each system is
    given two seconds; answers are kept five minutes)."""
    page = _work_page(pk)
    page.apply(availability.live_availability(page.items))
    return {
        "libraries": [
            {
                "library": library.name,
                "state": library.live.state if library.live else availability.NOT_OFFERED,
                "checked_at": library.live.checked_at if library.live else None,
                "notice": library.live.notice if library.live else "",
            }
            for library in page.holdings
        ],
        "copies": [
            {
                "id": copy.item.pk,
                "library": library.name,
                "available": copy.available,
                "status": copy.label,
                "due_date": copy.live.due_date if copy.live else None,
                "live": copy.live is not None,
            }
            for library in page.holdings
            for place in library.sites
            for copy in place.copies
        ],
    }
