"""The metropolitan card: who may have one, its number, and issuing it.

Anyone living in one of the network's communes may register, online or at a library's
desk. The commune is checked against the network's communes by name, former name or
INSEE code, current or former (Pierre-Bénite, 69152, is now part of Oullins-Pierre-Bénite,
69149). The card number is the network's prefix, a sequence and a Luhn check digit, so
that a mistyped number is caught before anything is asked.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from stdnum import luhn

from accounts import links
from accounts.models import MetropolitanCard, NetworkPatronSettings, Patron, Role, User
from accounts.patrons import age_band
from network.models import Commune

PREFIX = "2690"
SEQUENCE_DIGITS = 7
NUMBER = re.compile(rf"^{PREFIX}\d{{{SEQUENCE_DIGITS + 1}}}$")
GUARDIAN_BELOW = 15  # years: younger patrons register with a parent's consent
EMAIL_SALT = "accounts.metrocard.email"
EMAIL_LINK_DAYS = 7


class RegistrationError(ValueError):
    """``message`` is French, for the person registering."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def card_number(sequence: int) -> str:
    body = f"{PREFIX}{sequence:0{SEQUENCE_DIGITS}d}"
    return body + luhn.calc_check_digit(body)


def is_card_number(value: str) -> bool:
    """Whether a number is a metropolitan card's (prefix, length and check digit)."""
    return bool(NUMBER.match(value)) and luhn.is_valid(value)


def age_on(birth_date: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _fold(text: str) -> str:
    from accounts.patrons import _fold as fold

    return fold(text)


def find_commune(value: str) -> Commune | None:
    """The network's commune for what a person typed: a name (with or without accents,
    "St" for "Saint"), a former name, or an INSEE code, current or former."""
    value = (value or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d[\dAB]\d{3}", value):
        for commune in Commune.objects.all():
            if value == commune.insee_code or value in commune.former_code_list():
                return commune
        return None
    wanted = _fold(value)
    for commune in Commune.objects.all():
        names = [commune.name, *commune.former_name_list()]
        if any(_fold(name) == wanted for name in names):
            return commune
    return None


@dataclass(frozen=True)
class Registration:
    first_name: str
    last_name: str
    birth_date: date
    email: str
    street: str
    postal_code: str
    commune: Commune
    password: str
    guardian_name: str = ""


def register(registration: Registration, *, actor: User | None = None) -> MetropolitanCard:
    """Issue a metropolitan card and the account that goes with it. ``actor``: the staff
    member registering someone at a desk (the e-mail is then optional). Raises
    :class:`RegistrationError`."""
    today = timezone.localdate()
    if registration.birth_date > today:
        raise RegistrationError("La date de naissance est dans le futur.")
    if age_on(registration.birth_date, today) < GUARDIAN_BELOW and not registration.guardian_name:
        raise RegistrationError(
            "Avant 15 ans, l'inscription se fait avec l'accord d'un parent ou représentant "
            "légal : indiquez son nom."
        )
    if not registration.email and actor is None:
        raise RegistrationError("Indiquez votre adresse e-mail.")
    email = registration.email.strip().lower()
    if email and MetropolitanCard.objects.filter(patron__user__email__iexact=email).exists():
        raise RegistrationError(
            "Une carte métropolitaine existe déjà pour cette adresse e-mail. Connectez-vous "
            "avec son numéro, ou demandez de l'aide à une bibliothèque."
        )
    rules = NetworkPatronSettings.load()
    now = timezone.now()
    with transaction.atomic():
        user = User(
            username=f"carte-{get_random_string(16)}",
            role=Role.PATRON,
            first_name=registration.first_name.strip()[:150],
            last_name=registration.last_name.strip()[:150],
            email=email,
        )
        user.set_password(registration.password)
        user.save()
        patron = Patron.objects.create(
            user=user,
            commune=registration.commune,
            age_band=age_band(registration.birth_date, today),
        )
        card = MetropolitanCard.objects.create(
            patron=patron,
            number=f"en-cours-{user.pk}",
            birth_date=registration.birth_date,
            street=registration.street.strip(),
            postal_code=registration.postal_code.strip(),
            commune=registration.commune,
            guardian_name=registration.guardian_name.strip(),
            privacy_accepted_at=now,
            registered_by=actor,
            issued_on=today,
            expires_on=add_months(today, rules.card_validity_months),
        )
        card.number = card_number(card.pk)
        card.save(update_fields=["number"])
        user.username = card.number  # the patron logs in with the card number
        user.save(update_fields=["username"])
    return card


def full_access(card: MetropolitanCard) -> bool:
    """Whether the card gives everything it can (address seen, or not required)."""
    if card.address_validated_at is not None:
        return True
    return not NetworkPatronSettings.load().proof_of_address_required


def validate_address(card: MetropolitanCard, *, actor: User) -> None:
    """A staff member saw a proof of address."""
    if not actor.is_staff:
        raise RegistrationError("Seul le personnel des bibliothèques valide un justificatif.")
    MetropolitanCard.objects.filter(pk=card.pk, address_validated_at__isnull=True).update(
        address_validated_at=timezone.now(), address_validated_by=actor
    )


def email_token(card: MetropolitanCard) -> str:
    return links.sign({"card": card.pk, "email": card.patron.user.email}, salt=EMAIL_SALT)


def verify_email(token: str) -> MetropolitanCard:
    """The card whose e-mail the link proves; raises :class:`RegistrationError`."""
    try:
        data = links.unsign(
            token,
            salt=EMAIL_SALT,
            days=EMAIL_LINK_DAYS,
            expired="Ce lien a expiré. Connectez-vous pour en recevoir un nouveau.",
        )
    except links.LinkError as error:
        raise RegistrationError(error.message) from None
    card = (
        MetropolitanCard.objects.select_related("patron__user")
        .filter(pk=data.get("card"), patron__user__email=data.get("email"))
        .first()
    )
    if card is None:
        raise RegistrationError("Ce lien ne correspond plus à aucune carte.")
    if card.email_verified_at is None:
        card.email_verified_at = timezone.now()
        card.save(update_fields=["email_verified_at"])
    return card
