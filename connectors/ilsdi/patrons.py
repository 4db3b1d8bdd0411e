"""Koha's ILS-DI answers to the patron services, read for
:class:`~connectors.ilsdi.driver.IlsdiDriver`; and the small XML readers (``_local``,
``_children``, ``_text``, ``_date``, ``_root``) its GetAvailability shares, kept here so
that the driver imports this module and not the other way round.

Patrons (``C4::ILSDI::Services``, answers printed by ``XMLout`` with the service as root):

- login: ``AuthenticatePatron&username=&password=`` gives ``<id>`` (the borrowernumber) or
  ``<code>PatronNotFound</code>`` (``PasswordExpired`` in recent Koha), then
  ``GetPatronInfo&patron_id=&show_contact=1`` gives the borrower's columns;
- account: ``GetPatronInfo`` with ``show_loans=1&show_holds=1`` adds ``<loans><loan>``
  (checkout, item and biblio columns merged) and ``<holds><hold>`` (``reserve_id``,
  ``found`` W waiting / T in transit / P in processing, ``priority``, ``branchname``);
- ``RenewLoan&patron_id=&item_id=<itemnumber>`` gives ``<success>1</success>`` and
  ``<date_due>``, or ``<success>0</success>`` and ``<error>`` (``CanBookBeRenewed``'s reason);
- ``HoldTitle&patron_id=&bib_id=&request_location=`` and ``HoldItem&patron_id=&bib_id=&
  item_id=`` (``pickup_location`` optional) give ``<pickup_location>`` or a ``<code>``;
- ``CancelHold&patron_id=&item_id=<reserve_id>`` gives ``<code>Canceled</code>`` or a code.

``ilsdi.pl`` refuses a parameter it does not list for a service (``IllegalParameter``), so
each request carries exactly Koha's parameters. Koha's protocol refusals (``NotAllowed``...)
are :class:`ConnectorError`; its refusals of a patron's request are ``ok=False`` results
with a French reason. Other ILS-DI servers recorded by AFI-OPAC (BiblixNet, Nanook) answer
success with an empty element and errors in ``<error>``: both are read the same way.
"""

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from connectors.base import (
    Account,
    ActionResult,
    ConnectorError,
    Hold,
    InvalidCredentials,
    Loan,
    PatronIdentity,
)

# Koha's own error codes (opac/ilsdi.pl).
ERROR_CODES = {
    "NotAllowed": "le service ILS-DI est désactivé dans Koha ou n'autorise pas l'adresse du "
    "portail (préférences « ILS-DI » et « ILS-DI:AuthorizedIPs »)",
    "MissingParameter": "paramètre manquant",
    "IllegalParameter": "paramètre refusé",
    "MultipleValuesNotAllowed": "paramètre répété",
    "NotSupported": "service non pris en charge",
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element, name: str):
    return [c for c in element if _local(c) == name]


def _text(element, name: str) -> str:
    found = next(iter(_children(element, name)), None)
    return " ".join((found.text or "").split()) if found is not None else ""


def _date(value: str) -> date | None:
    found = re.match(r"^\s*(\d{4})-(\d{2})-(\d{2})", value or "")
    if not found:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def _describe(code: str, message: str) -> str:
    """Koha's error code and message, in French when the code is one of ``ilsdi.pl``'s."""
    label = ERROR_CODES.get(code) or ERROR_CODES.get(message) or code or message
    detail = f" ({message})" if message and message != label else ""
    return f"{label}{detail}"


def _root(content: bytes):
    """The root element of an answer; :class:`ConnectorError` when it is not XML."""
    try:
        return etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as error:
        raise ConnectorError(
            f"La réponse du service ILS-DI n'est pas du XML lisible : {error.msg}."
        ) from error


# ---------------------------------------------------------------- patrons

EXPIRED_PIN = (
    "Votre code confidentiel a expiré : changez-le sur le catalogue de votre bibliothèque "
    "ou à son accueil."
)
PATRON_GONE = (
    "Votre carte n'est plus reconnue par la bibliothèque : reconnectez-vous, ou "
    "adressez-vous à son accueil."
)
NOT_FOUND = "Ce document n'a pas été trouvé dans le système de la bibliothèque."
RENEWAL_REFUSED = "Le renouvellement a été refusé par la bibliothèque."
HOLD_REFUSED = "La réservation a été refusée par la bibliothèque."
CANCEL_REFUSED = "La réservation n'a pas pu être annulée."
CARD_BLOCKED = "Votre carte est bloquée : adressez-vous à la bibliothèque."
# Koha restricts a card mostly for overdue documents (OverduesBlockRenewing, auto-debarment).
LATE = "Carte ou document en retard : renouvellement impossible."
CARD_EXPIRED = "Votre abonnement a expiré : renouvelez-le à l'accueil de la bibliothèque."
# Codes every patron service may answer (C4/ILSDI/Services.pm).
PATRON_CODES = {"PatronNotFound": PATRON_GONE, "RecordNotFound": NOT_FOUND}
# RenewLoan's <error>: the reasons of C4::Circulation::CanBookBeRenewed; NotAuthorized is
# BiblixNet's refusal.
RENEWAL_REASONS = {
    "too_many": "Nombre maximum de renouvellements atteint.",
    "too_unseen": "Ce document doit être présenté à la bibliothèque pour être renouvelé.",
    "too_soon": "Trop tôt pour renouveler.",
    "auto_too_soon": "Ce document sera renouvelé automatiquement à l'approche de son retour.",
    "auto_renew": "Ce document est renouvelé automatiquement par la bibliothèque.",
    "on_reserve": "Un autre lecteur l'a réservé.",
    "recalled": "Ce document a été rappelé par la bibliothèque.",
    "booked": "Ce document est réservé par un autre lecteur pour une date prochaine.",
    "overdue": LATE,
    "auto_too_late": "Le délai pour renouveler ce document est passé.",
    "restriction": LATE,
    "debarred": LATE,
    "auto_account_expired": CARD_EXPIRED,
    "auto_too_much_oweing": "Une somme reste à régler : adressez-vous à la bibliothèque.",
    "onsite_checkout": "Un document consulté sur place ne se renouvelle pas.",
    "item_denied_renewal": "Ce document ne peut pas être renouvelé.",
    "item_issued_to_other_patron": "Ce document n'est plus en prêt sur votre carte.",
    "no_checkout": "Ce document n'est plus en prêt sur votre carte.",
    "NotAuthorized": RENEWAL_REFUSED,
    **PATRON_CODES,
}
# HoldTitle and HoldItem's <code>: their own, then CanBookBeReserved/CanItemBeReserved's
# statuses, which recent Koha answers as they are (older ones say NotHoldable).
HOLD_REASONS = {
    "NotHoldable": "Ce document ne peut pas être réservé.",
    "NoItems": "Ce document n'a aucun exemplaire à réserver.",
    "PatronRestricted": CARD_BLOCKED,
    "PatronExpired": CARD_EXPIRED,
    "LocationNotFound": "La bibliothèque de retrait choisie n'est pas connue.",
    "library_not_pickup_location": "Cette bibliothèque ne peut pas être choisie pour le retrait.",
    "libraryNotPickupLocation": "Cette bibliothèque ne peut pas être choisie pour le retrait.",
    "libraryNotFound": "La bibliothèque de retrait choisie n'est pas connue.",
    "cannot_be_transferred": "Ce document ne peut pas être envoyé à cette bibliothèque.",
    "cannotBeTransferred": "Ce document ne peut pas être envoyé à cette bibliothèque.",
    "pickupNotInHoldGroup": "Ce document ne peut pas être envoyé à cette bibliothèque.",
    "cannotReserveFromOtherBranches": "Ce document se réserve seulement dans sa bibliothèque.",
    "branchNotInHoldGroup": "Ce document se réserve seulement dans sa bibliothèque.",
    "alreadyReserved": "Vous avez déjà réservé ce document.",
    "itemAlreadyOnHold": "Vous avez déjà réservé ce document.",
    "alreadypossession": "Vous avez déjà ce document en prêt.",
    "tooManyReserves": "Vous avez atteint le nombre maximal de réservations.",
    "tooManyHoldsForThisRecord": "Vous avez atteint le nombre maximal de réservations.",
    "tooManyReservesToday": "Vous avez atteint le nombre de réservations permis par jour.",
    "ageRestricted": "Ce document n'est pas réservable pour votre âge.",
    "notReservable": "Ce document ne peut pas être réservé.",
    "noReservesAllowed": "Ce document ne peut pas être réservé.",
    "damaged": "Ce document est endommagé et ne peut pas être réservé.",
    "recall": "Ce document fait l'objet d'un rappel et ne peut pas être réservé.",
    # Not answered by the Koha versions read (they say RecordNotFound, LocationNotFound and
    # libraryNotPickupLocation) but named by other ILS-DI servers' documentation.
    "ItemNotFound": "Cet exemplaire n'a pas été trouvé dans le système de la bibliothèque.",
    "NoPickupLocation": "Aucune bibliothèque de retrait n'est possible pour ce document.",
    **PATRON_CODES,
}
CANCEL_REASONS = {
    "NotCanceled": CANCEL_REFUSED,
    "BorrowerCannotCancelHold": "Cette réservation ne peut plus être annulée en ligne : le "
    "document est en route vers la bibliothèque ou vous y attend.",
    "RecordNotFound": "Cette réservation n'existe plus.",
    "PatronNotFound": PATRON_GONE,
}
# A hold's ``found``: French status, whether it waits for the patron. Koha lets a patron
# cancel only holds not found yet: CancelHold answers BorrowerCannotCancelHold to a waiting
# (W), in-transit (T) or in-processing (P) hold (CanReserveBeCanceledFromOpac, and
# t/db_dependent/ILSDI_Services.t: "If reserve in a Waiting state, patron cannot cancel"),
# so none of these is offered for cancellation.
FOUND = {
    "W": ("Disponible au retrait", True),
    "T": ("En transit", False),
    "P": ("En cours de préparation", False),
}


def _answer(content: bytes, service: str):
    """The root of a patron service's answer. :class:`ConnectorError` when it is not XML,
    not that service's answer, or ``ilsdi.pl`` refused the request itself (ILS-DI off, the
    portal's address not allowed, a parameter refused): no patron can change that."""
    root = _root(content)
    code, message = _text(root, "code"), _text(root, "message")
    if code in ERROR_CODES or message in ERROR_CODES:
        raise ConnectorError(
            f"Le service ILS-DI a répondu par une erreur : {_describe(code, message)}."
        )
    if _local(root) != service:
        raise ConnectorError(
            f"Réponse inattendue du service ILS-DI : <{_local(root)}> au lieu de <{service}>. "
            "Vérifiez l'adresse du service."
        )
    return root


def _codes(root) -> list[str]:
    """The codes an answer carries: Koha's ``<code>`` (and ``<message>`` of older
    services), ``<error>`` as RenewLoan and other ILS-DI servers write them."""
    return [
        " ".join((child.text or "").split())
        for child in root
        if _local(child) in ("code", "error", "message") and (child.text or "").strip()
    ]


def _mended(text: str) -> str:
    """Text whose UTF-8 bytes were once decoded as Latin-1 (old Koha's hold branchname,
    "BibliothÃ¨que"), mended; other text as it is."""
    if "Ã" not in text and "Â" not in text:
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def _field(element, name: str) -> str:
    return _mended(_text(element, name)) if element is not None else ""


def _flag(element, name: str) -> bool:
    return _field(element, name) not in ("", "0")


def _title(element) -> str:
    # Koha's biblio.title keeps the ISBD punctuation of 245$a/200$a ("Title /").
    title = _field(element, "title").rstrip(" /:;=,")
    subtitle = _field(element, "subtitle").rstrip(" /:;=,")
    return f"{title} : {subtitle}" if title and subtitle else title or subtitle


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _first(element, name: str):
    return next(iter(_children(element, name)), None)


def block_reasons(patron, today: date) -> list[str]:
    """Why Koha refuses a borrower service, in French: a restriction (``debarred``, a date
    in recent Koha, 9999-12-31 for one without end, a flag in Koha 3), a card reported
    lost, an address to check (``gonenoaddress``)."""
    reasons = []
    debarred = _field(patron, "debarred")
    until = _date(debarred)
    if until is not None and until >= today:
        reasons.append(
            "Carte suspendue"
            if until.year == 9999
            else f"Carte suspendue jusqu'au {until:%d/%m/%Y}"
        )
    elif until is None and debarred not in ("", "0"):
        reasons.append("Carte suspendue")
    if _flag(patron, "lost"):
        reasons.append("Carte signalée perdue")
    if _flag(patron, "gonenoaddress"):
        reasons.append("Adresse à mettre à jour auprès de la bibliothèque")
    return reasons


def fines(patron) -> str:
    """What the patron owes, in French ("2,50 €"), or "" when nothing. Koha's ILS-DI says
    no currency: the network's libraries all count in euros. ``charges`` in Koha 3.8 and
    later, ``amountoutstanding`` before."""
    amount = _field(patron, "charges") or _field(patron, "amountoutstanding")
    try:
        owed = Decimal(amount.replace(",", "."))
    except InvalidOperation:
        return ""
    return f"{owed:.2f}\u00a0€".replace(".", ",") if owed > 0 else ""


def patron_identity(patron, *, today: date, card_number: str = "") -> PatronIdentity:
    """What a GetPatronInfo answer says of the borrower."""
    reasons = block_reasons(patron, today)
    note = _field(patron, "opacnote")
    return PatronIdentity(
        card_number=_field(patron, "cardnumber") or card_number,
        system_id=_field(patron, "borrowernumber"),
        first_name=_field(patron, "firstname"),
        last_name=_field(patron, "surname"),
        email=_field(patron, "email"),
        birth_date=_date(_field(patron, "dateofbirth")),
        expires_on=_date(_field(patron, "dateexpiry")),
        postal_code=_field(patron, "zipcode"),
        city=_field(patron, "city"),
        blocked=bool(reasons),
        block_reason=" ; ".join(reasons),
        messages=(note,) if note else (),
    )


def loan(element, *, today: date) -> Loan:
    """One ``<loan>`` of GetPatronInfo: the checkout, its item and its biblio merged."""
    due = _date(_field(element, "date_due"))
    # renewals_count since Koha 22.11; before, "renewals" (which now counts the item's).
    renewals = _field(element, "renewals_count") or _field(element, "renewals")
    return Loan(
        item_id=_field(element, "itemnumber"),
        title=_title(element),
        due_date=due,
        barcode=_field(element, "barcode"),
        author=_field(element, "author"),
        overdue=due is not None and due < today,
        renewals=_number(renewals),
        record_id=_field(element, "biblionumber"),
    )


def hold(element) -> Hold:
    """One ``<hold>`` of GetPatronInfo. ``reservenumber`` is the id in BibLibre's Koha 3."""
    found = _field(element, "found").upper()
    status, ready = FOUND.get(found, ("En attente", False))
    until = _date(_field(element, "suspend_until"))
    if not found and _flag(element, "suspend"):
        status = f"Suspendue jusqu'au {until:%d/%m/%Y}" if until else "Suspendue"
    priority = _number(_field(element, "priority"))
    return Hold(
        hold_id=_field(element, "reserve_id") or _field(element, "reservenumber"),
        title=_title(element) or _title(_first(element, "item")),
        status=status,
        ready=ready,
        position=priority if not found and priority else None,
        pickup_location=_field(element, "branchname"),
        placed_on=_date(_field(element, "reservedate")),
        expires_on=_date(_field(element, "expirationdate")),
        cancellable=found not in FOUND,
        record_id=_field(element, "biblionumber"),
        item_id=_field(element, "itemnumber"),
    )


def parse_authentication(content: bytes) -> str:
    """The borrowernumber an AuthenticatePatron answer gives (``<id>``, ``<patronId>`` in
    Nanook's), or :class:`InvalidCredentials`: the same for an unknown card and a wrong
    PIN. Koha answers PasswordExpired only to the right PIN: that one says so."""
    root = _answer(content, "AuthenticatePatron")
    codes = _codes(root)
    borrowernumber = _text(root, "id") or _text(root, "patronId")
    if "PasswordExpired" in codes:
        raise InvalidCredentials(EXPIRED_PIN)
    if codes or not borrowernumber:
        raise InvalidCredentials()
    return borrowernumber


def parse_lookup(content: bytes) -> str:
    """The borrowernumber a LookupPatron answer gives; :class:`ConnectorError` without."""
    root = _answer(content, "LookupPatron")
    borrowernumber = _text(root, "id")
    if _codes(root) or not borrowernumber:
        raise ConnectorError("Koha ne retrouve pas le lecteur de cette carte (LookupPatron).")
    return borrowernumber


def parse_patron_info(content: bytes, *, today: date, card_number: str = "") -> Account:
    """A GetPatronInfo answer as an account (loans and holds when asked for). Raises
    :class:`ConnectorError` when Koha no longer knows the borrower."""
    root = _answer(content, "GetPatronInfo")
    codes = _codes(root)
    if codes:
        raise ConnectorError(
            f"Koha ne connaît pas ce lecteur ({', '.join(codes)}) : il a pu être supprimé "
            "ou fusionné depuis sa connexion."
        )
    patron = patron_identity(root, today=today, card_number=card_number)
    loans = [loan(e, today=today) for group in _children(root, "loans") for e in group]
    holds = [hold(e) for group in _children(root, "holds") for e in group]
    return Account(
        patron=patron,
        loans=tuple(loans),
        holds=tuple(holds),
        messages=patron.messages,
        fines=fines(root),
    )


def _refusal(codes: list[str], reasons: Mapping[str, str], fallback: str) -> str:
    return next((reasons[c] for c in codes if c in reasons), fallback)


def parse_renewal(content: bytes) -> ActionResult:
    """A RenewLoan answer: ``ok`` with the new due date, or the reason in French. An
    empty answer is BiblixNet's and Nanook's success (Koha's is ``<success>1</success>``)."""
    root = _answer(content, "RenewLoan")
    codes = _codes(root)
    success = _text(root, "success")
    if success == "1" or (not codes and not success):
        return ActionResult(ok=True, due_date=_date(_text(root, "date_due")))
    return ActionResult(ok=False, message=_refusal(codes, RENEWAL_REASONS, RENEWAL_REFUSED))


def parse_hold_placed(content: bytes, service: str) -> ActionResult:
    """A HoldTitle or HoldItem answer: ``ok`` saying where to pick the document up when
    Koha says, or the reason in French."""
    root = _answer(content, service)
    codes = _codes(root)
    if codes:
        return ActionResult(ok=False, message=_refusal(codes, HOLD_REASONS, HOLD_REFUSED))
    pickup = _field(root, "pickup_location")
    return ActionResult(ok=True, message=f"À retirer à : {pickup}." if pickup else "")


def parse_hold_cancelled(content: bytes) -> ActionResult:
    """A CancelHold answer: Koha's ``<code>Canceled</code>`` (an empty answer for
    BiblixNet), or the reason in French."""
    root = _answer(content, "CancelHold")
    codes = [c for c in _codes(root) if c != "Canceled"]
    if not codes:
        return ActionResult(ok=True)
    return ActionResult(ok=False, message=_refusal(codes, CANCEL_REASONS, CANCEL_REFUSED))
