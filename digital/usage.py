"""Usage events: every access through the portal, recorded without naming anyone.

The patron is a keyed hash (HMAC-SHA256 keyed by the project's secret and the year): the
same patron gives the same value all year, so distinct users can be counted, and a new
value each 1 January, so a year's events cannot be joined to the next year's. Nothing in
a row leads back to a person without the secret, and the secret never leaves the server.
"""

from datetime import datetime

from django.utils import timezone
from django.utils.crypto import salted_hmac

from digital.access import Visitor
from digital.models import Resource, UsageEvent


def yearly_pseudonym(user_id: int, year: int) -> str:
    return salted_hmac(
        f"metrobib.digital.usage.{year}", str(user_id), algorithm="sha256"
    ).hexdigest()


def record_access(
    resource: Resource, visitor: Visitor, *, user, now: datetime | None = None
) -> UsageEvent:
    """Write the usage event of one access (the caller has checked it is allowed)."""
    now = now or timezone.now()
    is_patron = visitor.is_patron and user is not None and user.is_authenticated
    if not is_patron:
        kind = UsageEvent.CardKind.NONE
    elif visitor.valid_libraries:
        kind = UsageEvent.CardKind.LIBRARY
    else:
        kind = UsageEvent.CardKind.METROPOLITAN
    return UsageEvent.objects.create(
        resource=resource,
        at=now,
        patron_hash=yearly_pseudonym(user.pk, timezone.localtime(now).year) if is_patron else "",
        home_library_id=visitor.home_library_id if is_patron else visitor.on_site_library,
        commune_id=visitor.commune_id if is_patron else None,
        age_band=visitor.age_band if is_patron else "",
        card_kind=kind,
        on_site=visitor.on_site_library is not None,
    )
