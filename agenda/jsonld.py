"""schema.org ``Event`` for an occurrence page (search engines, event aggregators)."""

from django.utils.html import strip_tags

from agenda.models import TZ, Audience, Occurrence
from network.jsonld import postal_address

STATUS = {
    Occurrence.Status.SCHEDULED: "https://schema.org/EventScheduled",
    Occurrence.Status.MOVED: "https://schema.org/EventRescheduled",
    Occurrence.Status.CANCELLED: "https://schema.org/EventCancelled",
}


def occurrence_jsonld(occurrence: Occurrence, url: str, image_url: str = "") -> dict:
    event = occurrence.event
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "url": url,
        "startDate": occurrence.starts_at.astimezone(TZ).isoformat(),
        "endDate": occurrence.ends_at.astimezone(TZ).isoformat(),
        "eventStatus": STATUS[occurrence.status],
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "description": event.summary or strip_tags(event.description)[:500],
        "inLanguage": "fr",
        "isAccessibleForFree": event.is_free,
        "organizer": {"@type": "Library", "name": event.library.name},
        "location": _place(event),
    }
    if occurrence.status == Occurrence.Status.MOVED:
        data["previousStartDate"] = occurrence.original_start.astimezone(TZ).isoformat()
    if image_url:
        data["image"] = [image_url]
    if event.audience == Audience.YOUTH or event.age_min is not None or event.age_max is not None:
        audience = {"@type": "PeopleAudience", "audienceType": event.get_audience_display()}
        if event.age_min is not None:
            audience["suggestedMinAge"] = event.age_min
        if event.age_max is not None:
            audience["suggestedMaxAge"] = event.age_max
        data["audience"] = audience
    offer = {"@type": "Offer", "url": url, "priceCurrency": "EUR"}
    if event.is_free:
        offer["price"] = 0
    elif event.price:
        offer["description"] = event.price
    if occurrence.capacity is not None:
        offer["availability"] = (
            "https://schema.org/SoldOut" if occurrence.is_full else "https://schema.org/InStock"
        )
    data["offers"] = offer
    return data


def _place(event) -> dict:
    if event.site_id:
        site = event.site
        return {"@type": "Place", "name": site.name, "address": postal_address(site)}
    address = {
        "@type": "PostalAddress",
        "streetAddress": event.place_address,
        "addressCountry": "FR",
    }
    if event.place_commune_id:
        address["addressLocality"] = event.place_commune.name
    return {"@type": "Place", "name": event.place_name or event.library.name, "address": address}
