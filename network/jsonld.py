"""schema.org ``Library`` description of a site, for search engines."""

from network.hours import DaySchedule

SCHEMA_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def site_jsonld(site, week: list[DaySchedule], url: str) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "Library",
        "name": site.name,
        "url": url,
        "address": postal_address(site),
        "parentOrganization": {"@type": "Library", "name": site.library.name},
    }
    if site.has_coordinates:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(site.latitude),
            "longitude": float(site.longitude),
        }
    if site.phone:
        data["telephone"] = site.phone
    if site.email:
        data["email"] = site.email
    specs = []
    for day in week:
        for interval in day.intervals:
            spec = {
                "@type": "OpeningHoursSpecification",
                "opens": interval.start.strftime("%H:%M"),
                "closes": "23:59"
                if interval.end.hour == interval.end.minute == 0
                else interval.end.strftime("%H:%M"),
            }
            if day.is_exception or day.note:
                spec.update(validFrom=day.day.isoformat(), validThrough=day.day.isoformat())
            else:
                spec["dayOfWeek"] = SCHEMA_DAYS[day.day.weekday()]
            specs.append(spec)
    if specs:
        data["openingHoursSpecification"] = specs
    return data


def postal_address(site) -> dict:
    """A site's schema.org ``PostalAddress``."""
    return {
        "@type": "PostalAddress",
        "streetAddress": site.address,
        "postalCode": site.postcode,
        "addressLocality": site.commune.name,
        "addressCountry": "FR",
    }
