"""GeoJSON for sites: the public map and ``/api/v1/sites.geojson`` share this one shape."""

from collections.abc import Sequence
from datetime import datetime

from network.selectors import status_of


def site_feature(site, status) -> dict:
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            # GeoJSON (RFC 7946) is longitude first.
            "coordinates": [float(site.longitude), float(site.latitude)],
        },
        "properties": {
            "slug": site.slug,
            "name": site.name,
            "library": site.library.name,
            "commune": site.commune.name,
            "address": site.address,
            "postcode": site.postcode,
            "url": site.get_absolute_url(),
            "open_now": status.is_open,
            "status": status.text,
        },
    }


def sites_feature_collection(sites: Sequence, now: datetime, statuses=None) -> dict:
    status_by_pk = {r.site.pk: r.status for r in statuses} if statuses else {}
    features = [
        site_feature(site, status_by_pk.get(site.pk) or status_of(site, now))
        for site in sites
        if site.has_coordinates
    ]
    return {"type": "FeatureCollection", "features": features}
