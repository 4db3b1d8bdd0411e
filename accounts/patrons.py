"""Patrons: login with a library card checked by the home library's system, the local
record refreshed from what the system says, cards linked to one person, and the account
gathered from every system at once.

The PIN goes to the library's system and nowhere else: it is not stored, not logged, not
put in an exception. What the portal keeps is the fact that it was checked
(:attr:`LibraryCard.checked_at`).
"""

import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import date

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import (
    AgeBand,
    LibraryCard,
    LoginEvent,
    Patron,
    ReadingHistoryEntry,
    Role,
    User,
)
from accounts.security import record_login_event
from connectors import registry
from connectors.base import (
    Account,
    ActionResult,
    ConnectorError,
    InvalidCredentials,
    PatronIdentity,
    PatronRef,
)
from connectors.models import Connector
from connectors.parallel import call_all
from metrobib import pagecache
from network.models import Commune, Library

log = logging.getLogger(__name__)

UNAVAILABLE = (
    "Le système de votre bibliothèque ne répond pas pour le moment. Réessayez dans quelques "
    "minutes ; si cela dure, votre bibliothèque peut vous aider."
)


class LoginProblem(Exception):
    """Login cannot go on; ``message`` is French, for the patron."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ChooseLibrary(LoginProblem):
    """The card number does not tell which library it belongs to: the patron chooses."""

    def __init__(self, libraries: list[Library], message: str):
        super().__init__(message)
        self.libraries = libraries


class SystemUnavailable(LoginProblem):
    def __init__(self, library: Library):
        super().__init__(UNAVAILABLE)
        self.library = library


# ---------------------------------------------------------------- finding the system


def login_connectors():
    """The enabled connectors that can check a card and PIN."""
    drivers = [name for name, _label in registry.driver_choices("authenticate")]
    return Connector.objects.filter(enabled=True, driver__in=drivers).select_related("library")


def login_libraries() -> list[Library]:
    """The libraries whose patrons can log in, by name."""
    ids = login_connectors().values("library_id")
    return list(Library.objects.filter(pk__in=ids).order_by("name"))


def connector_for_card(card_number: str, library: Library | None = None) -> Connector:
    """The connector that checks this card: the one whose card pattern it follows (within
    ``library`` when given), else the library's own. Raises :class:`ChooseLibrary` when
    that is not one library."""
    candidates = list(login_connectors().order_by("library__name", "pk"))
    if library is not None:
        candidates = [c for c in candidates if c.library_id == library.pk]
        if not candidates:
            raise ChooseLibrary(
                login_libraries(), "Cette bibliothèque ne propose pas encore la connexion."
            )
        matching = [c for c in candidates if c.matches_card(card_number)]
        return (matching or candidates)[0]
    matching = [c for c in candidates if c.matches_card(card_number)]
    libraries = {c.library_id: c.library for c in matching}
    if len(libraries) == 1:
        return matching[0]
    if libraries:
        raise ChooseLibrary(
            sorted(libraries.values(), key=lambda lib: lib.name),
            "Ce numéro de carte peut appartenir à plusieurs bibliothèques.",
        )
    raise ChooseLibrary(
        login_libraries(), "Nous n'avons pas reconnu la bibliothèque de cette carte."
    )


# ---------------------------------------------------------------- login


def check_card(connector: Connector, card_number: str, pin: str) -> PatronIdentity:
    """Ask the library's system whether the PIN is right for this card: its identity of
    the patron. Raises :class:`InvalidCredentials` when the card or PIN is refused (its
    message says why when the system tells more, e.g. a PIN to renew), and
    :class:`SystemUnavailable` when the system cannot answer in time."""
    try:
        return connector.get_driver().authenticate(
            card_number, pin, timeout=settings.PATRON_SYSTEM_TIMEOUT
        )
    except InvalidCredentials:
        raise
    except ConnectorError as error:
        log.warning("patron login: connector %s failed: %s", connector.pk, error.message)
        raise SystemUnavailable(connector.library) from None


def save_card(
    connector: Connector, identity: PatronIdentity, *, user: User | None = None
) -> LibraryCard:
    """Record a card just proved by its PIN and refresh what the portal keeps of its
    holder (``card.patron.user``). With ``user`` (a patron adding a card in "mes cartes"),
    the card joins that user's cards, leaving another account if it was linked there."""
    for attempt in range(2):  # two first logins of one card at once: the second re-reads
        try:
            with transaction.atomic():
                return _save_card(connector, identity, user)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _save_card(connector: Connector, identity: PatronIdentity, user: User | None) -> LibraryCard:
    card = (
        LibraryCard.objects.select_for_update()
        .select_related("patron__user")
        .filter(connector=connector, card_number=identity.card_number)
        .first()
    )
    if user is not None:
        patron, _ = Patron.objects.get_or_create(user=user)
    elif card is not None:
        patron = card.patron
    else:
        patron = _new_patron(identity)
    if card is None:
        card = LibraryCard(connector=connector, card_number=identity.card_number)
    card.connector = connector  # the one asked, its library loaded: no query for either
    card.patron = patron
    card.system_id = identity.system_id
    card.name = identity.display_name[:200]
    card.email = identity.email if _looks_like_email(identity.email) else ""
    card.expires_on = identity.expires_on
    card.blocked = identity.blocked
    card.block_reason = identity.block_reason[:200]
    card.checked_at = timezone.now()
    card.save()
    _refresh_patron(patron, card, identity)
    return card


def _new_patron(identity: PatronIdentity) -> Patron:
    user = User(username=f"usager-{uuid.uuid4().hex[:12]}", role=Role.PATRON)
    user.set_unusable_password()  # patrons log in with their card, checked by their library
    user.save()
    return Patron.objects.create(user=user)


def _refresh_patron(patron: Patron, card: LibraryCard, identity: PatronIdentity) -> None:
    """The home card (the first linked) sets the patron's names, library and commune."""
    home = patron.cards.order_by("linked_at", "pk").first()
    if home is not None and home.pk != card.pk:
        return
    user = patron.user
    names = (user.first_name, user.last_name, user.email)
    user.first_name = (identity.first_name or "")[:150]
    user.last_name = (identity.last_name or identity.full_name or "")[:150]
    if card.email:
        user.email = card.email
    if (user.first_name, user.last_name, user.email) != names:  # most logins change nothing
        user.save(update_fields=["first_name", "last_name", "email"])
    known = (patron.home_library_id, patron.commune_id, patron.age_band)
    patron.home_library = card.connector.library
    patron.commune = commune_of(identity.city) or patron.commune
    if identity.birth_date:
        patron.age_band = age_band(identity.birth_date, timezone.localdate())
    if (patron.home_library_id, patron.commune_id, patron.age_band) != known:
        patron.save(update_fields=["home_library", "commune", "age_band"])


def _looks_like_email(value: str) -> bool:
    return bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value or ""))


def age_band(birth_date: date, today: date) -> str:
    years = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    for band, upper in (
        (AgeBand.CHILD, 15),
        (AgeBand.TEEN, 18),
        (AgeBand.YOUNG_ADULT, 26),
        (AgeBand.ADULT, 65),
    ):
        if years < upper:
            return band
    return AgeBand.SENIOR


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    text = re.sub(r"[-'’]", " ", text)
    text = re.sub(r"\bSTE\b", "SAINTE", re.sub(r"\bST\b", "SAINT", text))
    text = re.sub(r"\bCEDEX\b.*$", "", text)
    text = re.sub(r"\b\d+\s*(E|EME|ER)?\b.*$", "", text)  # LYON 3EME, VILLEURBANNE 2
    return " ".join(text.split())


def commune_of(city: str) -> Commune | None:
    """The network's commune a system's city name means ("ST PRIEST", "Lyon 3e"), if any
    (its id and name only)."""
    wanted = _fold(city or "")
    return _communes_by_folded_name().get(wanted) if wanted else None


def _communes_by_folded_name() -> dict[str, Commune]:
    """Kept per data version: every login would read the 58 communes otherwise."""
    communes = Commune.objects.only("pk", "name").order_by("-name", "-pk")  # the first wins
    return pagecache.derived(
        "accounts.communes_by_folded_name", (), lambda: {_fold(c.name): c for c in communes}
    )


# ---------------------------------------------------------------- the account


@dataclass(frozen=True)
class CardAccount:
    """One card's part of "mon compte": the system's account, or why it is missing."""

    card: LibraryCard
    account: Account | None = None
    notice: str = ""


def patron_cards(user: User) -> list[LibraryCard]:
    return list(
        LibraryCard.objects.filter(patron__user=user)
        .select_related("connector__library")
        .order_by("linked_at", "pk")
    )


def card_ref(card: LibraryCard) -> PatronRef:
    return PatronRef(card.card_number, card.system_id)


def gather_accounts(user: User, *, timeout: float | None = None) -> list[CardAccount]:
    """Every card's account, all systems asked at once; a system that does not answer
    within ``timeout`` (PATRON_SYSTEM_TIMEOUT) leaves a notice in its place."""
    timeout = settings.PATRON_SYSTEM_TIMEOUT if timeout is None else timeout
    cards = [card for card in patron_cards(user) if card.connector.enabled]
    calls, inline = {}, set()
    for card in cards:
        driver = card.connector.get_driver()
        if driver.supports("account"):
            calls[card.pk] = _bind(driver.account, card_ref(card), timeout)
            if driver.answers_locally:
                inline.add(card.pk)
    outcomes = call_all(calls, timeout, inline=inline)
    accounts = []
    for card in cards:
        outcome = outcomes.get(card.pk)
        if outcome is None:
            notice = "Cette bibliothèque ne permet pas encore de consulter son compte ici."
            accounts.append(CardAccount(card, notice=notice))
        elif outcome.ok:
            accounts.append(CardAccount(card, account=_with_site_names(card, outcome.value)))
        else:
            _log_failure("account", card, outcome.error)
            accounts.append(CardAccount(card, notice=UNAVAILABLE_ACCOUNT))
    remember_loans(user, accounts)
    return accounts


def remember_loans(user: User, accounts: list[CardAccount]) -> None:
    """Add the loans just read to the patron's reading history, when they keep one."""
    patron = getattr(user, "patron", None)
    if patron is None or not patron.keeps_reading_history:
        return
    today = timezone.localdate()
    entries = [
        ReadingHistoryEntry(
            patron=patron,
            library_id=part.card.connector.library_id,
            item_id=loan.item_id[:64],
            title=(loan.title or "Document sans titre")[:500],
            author=loan.author[:255],
            first_seen=today,
            last_seen=today,
        )
        for part in accounts
        if part.account is not None
        for loan in part.account.loans
        if loan.item_id
    ]
    ReadingHistoryEntry.objects.bulk_create(
        entries,
        update_conflicts=True,
        unique_fields=["patron", "library", "item_id"],
        update_fields=["title", "author", "last_seen"],
    )


def set_reading_history(user: User, keep: bool) -> None:
    """Turn the patron's reading history on, or off (which erases it)."""
    patron = Patron.objects.get(user=user)
    with transaction.atomic():
        patron.keeps_reading_history = keep
        patron.save(update_fields=["keeps_reading_history"])
        if not keep:
            patron.reading_history.all().delete()


def _with_site_names(card: LibraryCard, account: Account) -> Account:
    """The account with each hold's pickup place named as the network names its site, when
    the system gives a code that staff mapped to a site (the connector's site codes)."""
    codes = {hold.pickup_location for hold in account.holds if hold.pickup_location}
    if not codes:
        return account
    names = dict(card.connector.site_codes.filter(code__in=codes).values_list("code", "site__name"))
    holds = tuple(
        replace(hold, pickup_location=names.get(hold.pickup_location, hold.pickup_location))
        for hold in account.holds
    )
    return replace(account, holds=holds)


UNAVAILABLE_ACCOUNT = (
    "Le système de cette bibliothèque n'a pas répondu à temps : vos prêts et réservations "
    "chez elle ne peuvent pas être affichés pour le moment. Réessayez plus tard."
)


def _bind(method, ref: PatronRef, timeout: float):
    return lambda: method(ref, timeout=timeout)


def _log_failure(what: str, card: LibraryCard, error: BaseException | None) -> None:
    if error is None:
        log.warning("patron %s: connector %s did not answer in time", what, card.connector_id)
    elif isinstance(error, ConnectorError):
        log.warning("patron %s: connector %s failed: %s", what, card.connector_id, error.message)
    else:
        log.error("patron %s: connector %s crashed", what, card.connector_id, exc_info=error)


def _card_of(user: User, card_id: int) -> LibraryCard:
    return LibraryCard.objects.select_related("connector__library").get(
        pk=card_id, patron__user=user
    )


def _act(card: LibraryCard, action) -> ActionResult:
    try:
        return action(card.connector.get_driver())
    except ConnectorError as error:
        _log_failure("action", card, error)
        return ActionResult(ok=False, message=UNAVAILABLE_ACTION)


UNAVAILABLE_ACTION = (
    "Le système de la bibliothèque n'a pas répondu : rien n'a été modifié. Réessayez plus tard."
)


def renew_loans(user: User, card_id: int, item_ids: list[str]) -> dict[str, ActionResult]:
    """Renew these loans of one of the user's cards, one after the other (a system is
    asked one renewal at a time); raises ``LibraryCard.DoesNotExist`` for another's card."""
    card = _card_of(user, card_id)
    timeout = settings.PATRON_SYSTEM_TIMEOUT
    return {
        item_id: _act(
            card, lambda driver, i=item_id: driver.renew(card_ref(card), i, timeout=timeout)
        )
        for item_id in item_ids
    }


def cancel_hold(user: User, card_id: int, hold_id: str) -> ActionResult:
    card = _card_of(user, card_id)
    timeout = settings.PATRON_SYSTEM_TIMEOUT
    return _act(card, lambda driver: driver.cancel_hold(card_ref(card), hold_id, timeout=timeout))


def place_hold(
    user: User, card_id: int, *, record_id: str, item_id: str = "", pickup_location: str = ""
) -> ActionResult:
    card = _card_of(user, card_id)
    timeout = settings.PATRON_SYSTEM_TIMEOUT
    if not card.connector.get_driver().supports("hold"):
        return ActionResult(
            ok=False, message="Cette bibliothèque ne prend pas de réservation en ligne."
        )
    return _act(
        card,
        lambda driver: driver.place_hold(
            card_ref(card),
            record_id=record_id,
            item_id=item_id,
            pickup_location=pickup_location,
            timeout=timeout,
        ),
    )


def link_card(
    request, user: User, card_number: str, pin: str, *, library: Library | None = None
) -> LibraryCard | None:
    """Add a card to a patron's account, proved by its PIN: through the same login path
    (throttled, audited) as a login. None when the card or PIN is refused."""
    holder = authenticate(
        request, card_number=card_number, password=pin, library=library, link_to=user
    )
    if holder is None:
        return None
    card = request.login_card
    record_login_event(
        request,
        LoginEvent.Kind.CARD_LINKED,
        login=card.card_number,
        user=user,
        library=card.library,
    )
    return card


def unlink_card(user: User, card_id: int) -> LibraryCard:
    """Remove a card from the user's account (the card stays valid at its library). The
    last card stays: it is how the patron logs in."""
    card = _card_of(user, card_id)
    if card.patron.cards.count() <= 1:
        raise LoginProblem(
            "C'est la seule carte de votre compte : elle sert à vous connecter et reste."
        )
    card.delete()
    return card


# ---------------------------------------------------------------- holds from the catalogue


@dataclass(frozen=True)
class HoldOption:
    """A way for a patron to hold a work: with one of their cards, at that card's library,
    which has a record of the work; picked up at one of ``sites``."""

    card: LibraryCard
    record_id: str
    sites: list


def hold_options(user: User, work) -> list[HoldOption]:
    """For each card of the user whose system takes holds and whose library has the work."""
    from catalogue.models import Record

    if not (user.is_authenticated and user.role == Role.PATRON):
        return []
    options = []
    for card in patron_cards(user):
        if not (card.connector.enabled and card.connector.driver_class.supports("hold")):
            continue
        # The library's record of the work that has copies (a duplicate record without
        # any cannot be held), the oldest first.
        record = (
            Record.objects.filter(work=work, library=card.connector.library_id)
            .select_related("source")
            .annotate(copies=Count("items"))
            .order_by("-copies", "pk")
            .first()
        )
        if record is None:
            continue
        sites = list(card.connector.library.sites.order_by("name"))
        options.append(HoldOption(card, record.source.local_id, sites))
    return options


def hold_work(user: User, card_id: int, work, site_id: int | None) -> ActionResult:
    """Place a hold on ``work`` with one of the user's cards, to be picked up at one of
    that library's sites (named to the system by its code there, when staff set one)."""
    option = next((o for o in hold_options(user, work) if o.card.pk == card_id), None)
    if option is None:
        raise LibraryCard.DoesNotExist
    site = next((s for s in option.sites if s.pk == site_id), None)
    pickup = ""
    if site is not None:
        code = option.card.connector.site_codes.filter(site=site).values_list("code", flat=True)
        pickup = code.first() or site.name
    return place_hold(user, card_id, record_id=option.record_id, pickup_location=pickup)
