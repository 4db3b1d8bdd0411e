"""The portal as a CAS 3.0 server for vendors (Apereo "CAS Protocol 3.0 Specification").

A vendor whose resource uses CAS sends the patron to ``/cas/login?service=<its URL>``; the
portal checks that the service is registered on a resource (unknown services are refused,
§2.1.1), that the patron is logged in (or sends them to the portal's login first) and may
use the resource (``digital.access.decide``), then redirects to the service with a
one-time ``ticket``. The vendor's server validates it at ``/cas/serviceValidate`` (CAS 2.0
answer: the user only) or ``/cas/p3/serviceValidate`` (CAS 3.0: with attributes).

The user the vendor receives is the patron's pseudonym for that vendor
(``digital.methods.vendor_pseudonym``); attributes are only those the resource's settings
share. Proxy tickets are not issued: ``pgtUrl`` is ignored, as §2.5.4 allows, and
``/proxyValidate`` validates service tickets only (§2.6).

No well-kept Django package fits: django-mama-cas has had no release since 2019 and
django-cas-server brings its own login and user store, while the portal's login (cards
checked by each library's system) must stay the only one. This module follows the
specification closely instead; the tests drive it with python-cas, the client library
django-cas-ng uses.
"""

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from digital.access import with_offer
from digital.models import AccessMethod, CasTicket, Resource

CAS_NAMESPACE = "http://www.yale.edu/tp/cas"
# §3.1.1 recommends a short life; vendors validate at once, from their server.
TICKET_SECONDS = 120
# A login within this many seconds counts as "credentials just presented" (renew=true).
FRESH_LOGIN_SECONDS = 120

ET.register_namespace("cas", CAS_NAMESPACE)


@dataclass
class CasError(Exception):
    """A validation failure: one of the error codes of §2.5.3 and an English message (it
    is read by the vendor's software, not by a patron)."""

    code: str
    message: str


def service_matches(service: str, registered: str) -> bool:
    """Whether ``service`` is ``registered`` or a path below it, on the same scheme, host
    and port. ``https://vendor.example@evil.example/`` is on evil.example: refused."""
    try:
        asked, known = urlsplit(service), urlsplit(registered)
        asked_port, known_port = asked.port, known.port
    except ValueError:
        return False
    if asked.scheme.lower() not in ("http", "https") or asked.username or asked.password:
        return False
    if (asked.scheme.lower(), asked.hostname, asked_port) != (
        known.scheme.lower(),
        known.hostname,
        known_port,
    ):
        return False
    base = known.path or "/"
    path = asked.path or "/"
    return path == base or path.startswith(base if base.endswith("/") else base + "/")


def registered_resource(service: str) -> Resource | None:
    """The published CAS resource whose registered service addresses accept ``service``."""
    if not service:
        return None
    resources = Resource.objects.filter(published=True, access_method=AccessMethod.CAS)
    for resource in with_offer(resources):
        if any(service_matches(service, url) for url in resource.vendor_url_list):
            return resource
    return None


def issue_ticket(
    resource: Resource, user, service: str, *, from_new_login: bool, now: datetime | None = None
) -> CasTicket:
    """A new service ticket for ``user`` on ``service`` (which the caller has matched)."""
    now = now or timezone.now()
    # §3.7: at least 32 characters after the prefix, only letters, digits and hyphens.
    value = "ST-" + secrets.token_hex(32)
    return CasTicket.objects.create(
        ticket=value,
        resource=resource,
        user=user,
        service=service,
        created_at=now,
        from_new_login=from_new_login,
        authenticated_at=user.last_login,
    )


def validate(
    ticket: str, service: str, *, renew: bool = False, now: datetime | None = None
) -> CasTicket:
    """The ticket's record if ``ticket`` validates for ``service``; else :class:`CasError`.

    Every attempt consumes the ticket, whatever its outcome (§3.1.1: a ticket is valid for
    one validation attempt); the row is locked and deleted in one transaction, so two
    concurrent validations of one ticket cannot both succeed.
    """
    if not ticket or not service:
        raise CasError("INVALID_REQUEST", "'ticket' and 'service' are both required.")
    if not ticket.startswith("ST-"):
        raise CasError("INVALID_TICKET_SPEC", f"Ticket '{ticket[:40]}' is not a service ticket.")
    now = now or timezone.now()
    with transaction.atomic():
        record = (
            CasTicket.objects.select_for_update()
            .select_related("resource", "user")
            .filter(ticket=ticket)
            .first()
        )
        if record is None:
            raise CasError("INVALID_TICKET", f"Ticket '{ticket[:40]}' not recognized.")
        CasTicket.objects.filter(pk=record.pk).delete()
    if record.created_at < now - timedelta(seconds=TICKET_SECONDS):
        raise CasError("INVALID_TICKET", f"Ticket '{ticket[:40]}' has expired.")
    if record.service != service:
        raise CasError(
            "INVALID_SERVICE", f"Ticket '{ticket[:40]}' was not issued for this service."
        )
    resource = record.resource
    if not resource.published or resource.access_method != AccessMethod.CAS:
        raise CasError("INVALID_SERVICE", "This service no longer uses this CAS server.")
    if renew and not record.from_new_login:
        raise CasError("INVALID_TICKET", "The ticket was not issued from a new login.")
    if not record.user.is_active:
        raise CasError("INVALID_TICKET", f"Ticket '{ticket[:40]}' not recognized.")
    return record


def purge_expired_tickets(now: datetime | None = None) -> int:
    """Delete tickets nobody validated in time (the nightly purge calls it)."""
    limit = (now or timezone.now()) - timedelta(seconds=TICKET_SECONDS)
    return CasTicket.objects.filter(created_at__lt=limit).delete()[0]


def _tag(name: str) -> str:
    return f"{{{CAS_NAMESPACE}}}{name}"


def success_xml(user: str, attributes: dict[str, str] | None = None) -> bytes:
    """``<cas:authenticationSuccess>`` with ``<cas:attributes>`` when given (§2.5.2, §2.6)."""
    root = ET.Element(_tag("serviceResponse"))
    success = ET.SubElement(root, _tag("authenticationSuccess"))
    ET.SubElement(success, _tag("user")).text = user
    if attributes is not None:
        holder = ET.SubElement(success, _tag("attributes"))
        for name, value in attributes.items():
            ET.SubElement(holder, _tag(name)).text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def failure_xml(error: CasError) -> bytes:
    root = ET.Element(_tag("serviceResponse"))
    failure = ET.SubElement(root, _tag("authenticationFailure"), code=error.code)
    failure.text = error.message
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def protocol_attributes(record: CasTicket) -> dict[str, str]:
    """The attributes §2.6.2 defines for every success, before the resource's own."""
    authenticated = record.authenticated_at or record.created_at
    return {
        "authenticationDate": authenticated.isoformat(),
        "longTermAuthenticationRequestTokenUsed": "false",
        "isFromNewLogin": "true" if record.from_new_login else "false",
    }


def freshly_logged_in(user, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(user.last_login) and user.last_login >= now - timedelta(seconds=FRESH_LOGIN_SECONDS)
