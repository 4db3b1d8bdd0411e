"""Who may open which resource: one function, :func:`decide`, over two plain facts.

:class:`Visitor` is who is in front of the page (logged in or not, their cards, their
commune and age band, whether they are inside a library); the resource says what it
requires (free or not, on site only, offered to the whole network or to some communes
and libraries, for adults). The answer is :class:`Decision`: allowed, or the reason why
not, in French, saying what to do. Views, the "Accéder" redirect and the filter
"accessibles avec ma carte" all ask this function, so they cannot disagree.
"""

import ipaddress
from dataclasses import dataclass, field
from datetime import date

from digital.models import Audience

# The age bands of accounts.AgeBand that are minors.
MINOR_BANDS = frozenset({"0-14", "15-17"})


@dataclass(frozen=True)
class Visitor:
    logged_in: bool = False
    is_patron: bool = False
    # Libraries of the patron's cards that are valid today (not expired, not blocked).
    valid_libraries: frozenset[int] = frozenset()
    expired_or_blocked: bool = False  # cards exist but none is valid
    metropolitan: bool = False  # a valid metropolitan card
    metropolitan_full: bool = False  # …whose address is validated (or needs not be)
    commune_id: int | None = None
    home_library_id: int | None = None
    age_band: str = ""
    on_site_library: int | None = None  # the library whose network they are on

    @property
    def has_valid_card(self) -> bool:
        return bool(self.valid_libraries) or self.metropolitan


@dataclass(frozen=True)
class ResourceTerms:
    """What a resource requires, read once from the resource (no query in decide)."""

    is_free: bool
    on_site_only: bool
    whole_network: bool
    audience: str
    communes: frozenset[int] = field(default_factory=frozenset)
    libraries: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # a code, for tests and statistics
    message: str = ""  # French, for the patron

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def decide(visitor: Visitor, terms: ResourceTerms) -> Decision:
    """Whether ``visitor`` may open a resource with ``terms``, and if not, why.

    Order matters and is the one a librarian would explain: a resource for use inside
    the libraries first; then free resources, open to all; then the card (logged in,
    valid, metropolitan card fully validated); then the offer (network-wide, or the
    patron's commune or one of their libraries subscribes); then the audience.
    """
    if terms.on_site_only:
        if visitor.on_site_library is None:
            return Decision(
                False, "on_site",
                "Cette ressource s'utilise sur place : connectez-vous depuis le réseau "
                "Wi-Fi ou un poste d'une bibliothèque du réseau.",
            )  # fmt: skip
        if terms.is_free or terms.whole_network or visitor.on_site_library in terms.libraries:
            return ALLOWED
        return Decision(
            False, "not_offered_here",
            "Cette ressource n'est pas proposée dans cette bibliothèque.",
        )  # fmt: skip
    if terms.is_free:
        return ALLOWED
    if not visitor.logged_in or not visitor.is_patron:
        return Decision(
            False, "login",
            "Connectez-vous avec votre carte de bibliothèque ou votre carte métropolitaine "
            "pour accéder à cette ressource.",
        )  # fmt: skip
    if not visitor.has_valid_card:
        return Decision(
            False, "card_expired",
            "Votre carte n'est plus valable : renouvelez votre inscription auprès de votre "
            "bibliothèque pour accéder à cette ressource.",
        )  # fmt: skip
    if visitor.metropolitan and not visitor.valid_libraries and not visitor.metropolitan_full:
        return Decision(
            False, "proof_of_address",
            "Votre carte métropolitaine donne accès à cette ressource dès qu'un "
            "justificatif de domicile a été vu dans une bibliothèque du réseau.",
        )  # fmt: skip
    if not terms.whole_network:
        by_commune = visitor.commune_id is not None and visitor.commune_id in terms.communes
        by_library = bool(visitor.valid_libraries & terms.libraries)
        if not (by_commune or by_library):
            return Decision(
                False, "not_offered",
                "Cette ressource n'est pas proposée dans votre commune ni par votre "
                "bibliothèque.",
            )  # fmt: skip
    if terms.audience == Audience.ADULTS and visitor.age_band in MINOR_BANDS:
        return Decision(False, "adults_only", "Cette ressource est réservée aux adultes.")
    return ALLOWED


def with_offer(resources):
    """``resources`` with what :func:`terms_of` reads prefetched, as ids only (no
    commune's boundary, no library's text)."""
    from django.db.models import Prefetch

    from network.models import Commune, Library

    return resources.prefetch_related(
        Prefetch("communes", queryset=Commune.objects.only("pk")),
        Prefetch("libraries", queryset=Library.objects.only("pk")),
    )


def terms_of(resource) -> ResourceTerms:
    return ResourceTerms(
        is_free=resource.is_free,
        on_site_only=resource.on_site_only,
        whole_network=resource.whole_network,
        audience=resource.audience,
        communes=frozenset(c.pk for c in resource.communes.all()),
        libraries=frozenset(lib.pk for lib in resource.libraries.all()),
    )


def visitor_of(request, *, today: date | None = None) -> Visitor:
    """Who is in front of the page, from their session and their address."""
    from django.db.models import Prefetch
    from django.utils import timezone

    from accounts.metrocard import full_access
    from accounts.models import Patron, Role
    from accounts.security import client_ip
    from connectors.models import Connector

    today = today or timezone.localdate()
    on_site = library_at(client_ip(request))
    user = request.user
    if not user.is_authenticated or user.role != Role.PATRON:
        return Visitor(logged_in=user.is_authenticated, on_site_library=on_site)
    patron = (
        Patron.objects.filter(user=user)
        .select_related("metropolitan_card")
        .prefetch_related(
            Prefetch("cards__connector", queryset=Connector.objects.only("pk", "library_id"))
        )
        .first()
    )
    if patron is None:
        return Visitor(logged_in=True, on_site_library=on_site)
    cards = list(patron.cards.all())
    valid = frozenset(
        c.connector.library_id for c in cards if not c.blocked and not c.expired(today)
    )
    metro = getattr(patron, "metropolitan_card", None)
    metro_valid = metro is not None and metro.expires_on >= today
    return Visitor(
        logged_in=True,
        is_patron=True,
        valid_libraries=valid,
        expired_or_blocked=bool(cards) and not valid,
        metropolitan=metro_valid,
        metropolitan_full=metro_valid and full_access(metro),
        commune_id=patron.commune_id,
        home_library_id=patron.home_library_id,
        age_band=patron.age_band,
        on_site_library=on_site,
    )


def library_at(address: str) -> int | None:
    """The library whose public network ``address`` belongs to, if any."""
    from digital.models import LibraryNetwork

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for library_id, cidr in LibraryNetwork.objects.values_list("library_id", "cidr"):
        try:
            if ip in ipaddress.ip_network(cidr, strict=False):
                return library_id
        except ValueError:
            continue
    return None
