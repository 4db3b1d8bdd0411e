"""The public JSON API (/api/v1/), typed with django-ninja; OpenAPI docs at /api/v1/docs."""

from datetime import datetime
from typing import Annotated

from django.http import JsonResponse
from ninja import NinjaAPI, Path, Query, Schema
from pydantic import Field

from catalogue.api import router as catalogue_router
from metrobib.pagecache import cached_response
from network import hours, selectors
from network.filters import SiteFilters
from network.mapdata import sites_feature_collection

api = NinjaAPI(
    title="Métrobib API",
    version="1.0.0",
    description=(
        "Bibliothèques, sites et horaires du réseau des bibliothèques de la Métropole de Lyon, "
        "et leur catalogue commun."
    ),
    urls_namespace="api-v1",
)
api.add_router("/catalogue/", catalogue_router)


class CommuneOut(Schema):
    insee_code: str
    name: str


class LibraryOut(Schema):
    slug: str
    name: str
    library_system: str
    website: str
    communes: list[CommuneOut]


class StatusOut(Schema):
    known: bool
    open_now: bool
    text: str
    closes_at: datetime | None
    opens_at: datetime | None


class SiteOut(Schema):
    slug: str
    name: str
    library: str
    address: str
    postcode: str
    commune: CommuneOut
    latitude: float | None
    longitude: float | None
    phone: str
    email: str
    opening_hours: str
    services: list[str]
    url: str
    status: StatusOut


# What the database may be asked about: slugs, INSEE codes, printable text (no NUL).
Slug = Annotated[str, Field(pattern=r"^[-a-zA-Z0-9_]+$", max_length=200)]
InseeCode = Annotated[str, Field(pattern=r"^(\d[\dAB]\d{3})?$")]
Text = Annotated[str, Field(pattern=r"^[^\x00]*$", max_length=100)]


class SiteFilterIn(Schema):
    commune: InseeCode = ""
    service: list[Slug] = []
    accessibilite: list[Slug] = []
    ouvert: bool = False
    q: Text = ""

    def to_filters(self) -> SiteFilters:
        return SiteFilters(
            commune=self.commune,
            services=tuple(self.service),
            accessibility=tuple(self.accessibilite),
            open_now=self.ouvert,
            query=self.q.strip(),
        )


class FeatureGeometry(Schema):
    type: str
    coordinates: list[float]


class FeatureProperties(Schema):
    slug: str
    name: str
    library: str
    commune: str
    address: str
    postcode: str
    url: str
    open_now: bool
    status: str


class FeatureOut(Schema):
    type: str
    geometry: FeatureGeometry
    properties: FeatureProperties


class FeatureCollectionOut(Schema):
    type: str
    features: list[FeatureOut]


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    """django-ninja's answer to invalid query parameters."""

    detail: list[dict]


def _geojson_openapi() -> dict:
    """Document the GeoJSON endpoint's real media type (RFC 7946: application/geo+json)."""
    schema_ref = {"$ref": "#/components/schemas/FeatureCollectionOut"}
    return {"responses": {200: {"content": {"application/geo+json": {"schema": schema_ref}}}}}


def _status(status: hours.Status) -> dict:
    return {
        "known": status.known,
        "open_now": status.is_open,
        "text": status.text,
        "closes_at": status.closes_at,
        "opens_at": status.opens_at,
    }


def _site(site, status: hours.Status) -> dict:
    return {
        "slug": site.slug,
        "name": site.name,
        "library": site.library.slug,
        "address": site.address,
        "postcode": site.postcode,
        "commune": site.commune,
        "latitude": float(site.latitude) if site.latitude is not None else None,
        "longitude": float(site.longitude) if site.longitude is not None else None,
        "phone": site.phone,
        "email": site.email,
        "opening_hours": site.opening_hours,
        "services": [feature.slug for feature in site.features.all()],
        "url": site.get_absolute_url(),
        "status": _status(status),
    }


@api.get("/libraries", response=list[LibraryOut], tags=["bibliothèques"])
def list_libraries(request):
    """Every library of the network with the communes it serves."""
    return [
        {**vars(lib), "communes": list(lib.communes.all())} for lib in selectors.list_libraries()
    ]


@api.get(
    "/libraries/{slug}",
    response={200: LibraryOut, 404: ErrorOut, 422: ValidationErrorOut},
    tags=["bibliothèques"],
)
def get_library(request, slug: Path[Slug]):
    library = selectors.get_library(slug)
    return {**vars(library), "communes": list(library.communes.all())}


@api.get("/sites", response={200: list[SiteOut], 422: ValidationErrorOut}, tags=["sites"])
def list_sites(request, filters: Query[SiteFilterIn]):
    """Sites with their opening status now, filtered as on /bibliotheques/."""
    now = datetime.now(hours.TZ)
    return [_site(r.site, r.status) for r in selectors.list_sites(filters.to_filters(), now)]


@api.get(
    "/sites.geojson",
    response={200: FeatureCollectionOut, 422: ValidationErrorOut},
    openapi_extra=_geojson_openapi(),
    tags=["sites"],
)
def sites_geojson(request, filters: Query[SiteFilterIn]):
    """The same sites as a GeoJSON FeatureCollection (RFC 7946), for maps."""

    now = datetime.now(hours.TZ)

    def build():
        results = selectors.list_sites(filters.to_filters(), now)
        data = sites_feature_collection([r.site for r in results], now, statuses=results)
        response = JsonResponse(data, content_type="application/geo+json")
        return response, hours.valid_until((r.status for r in results), now)

    return cached_response(request, "sites_geojson", now, build)


@api.get(
    "/sites/{slug}", response={200: SiteOut, 404: ErrorOut, 422: ValidationErrorOut}, tags=["sites"]
)
def get_site(request, slug: Path[Slug]):
    site = selectors.get_site(slug)
    return _site(site, selectors.status_of(site, datetime.now(hours.TZ)))


@api.get(
    "/sites/{slug}/status",
    response={200: StatusOut, 404: ErrorOut, 422: ValidationErrorOut},
    tags=["sites"],
)
def get_site_status(request, slug: Path[Slug]):
    """Whether the site is open now, and when that changes."""
    site = selectors.get_site(slug)
    return _status(selectors.status_of(site, datetime.now(hours.TZ)))
