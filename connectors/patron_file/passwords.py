"""Patrons of an imported list choose their password through a link sent by e-mail.

The link carries a signed token (``accounts.links``) that expires after
:data:`LINK_DAYS` and serves once: it holds a digest of the patron's password hash and
e-mail as they were when it was made (Django's ``PasswordResetTokenGenerator`` does the
same), so choosing a password, or a newer list changing the e-mail, makes it stale. The
password itself is only ever kept as Django's hash of it (``FilePatron.password``).
"""

import logging

from django.db import transaction
from django.db.models import QuerySet
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.links import LinkError, sign, unsign
from connectors.models import Connector, FilePatron
from network.models import Library

log = logging.getLogger(__name__)

SALT = "connectors.patron_file.password"
LINK_DAYS = 3
EXPIRED = f"Ce lien a expiré (il était valable {LINK_DAYS} jours) : demandez-en un nouveau."
USED = (
    "Ce lien a déjà servi, ou un lien plus récent l'a remplacé : pour changer encore votre "
    "mot de passe, demandez-en un nouveau."
)
GONE = "Cette carte ne permet plus de se connecter à Métrobib : adressez-vous à votre bibliothèque."


def _usable() -> QuerySet[FilePatron]:
    return FilePatron.objects.filter(
        active=True, connector__enabled=True, connector__driver="patron_file"
    ).select_related("connector__library")


def libraries() -> list[Library]:
    """The libraries whose patrons choose their password here, by name."""
    connectors = Connector.objects.filter(enabled=True, driver="patron_file")
    return list(Library.objects.filter(connectors__in=connectors).distinct().order_by("name"))


def patrons_for_link(card_number: str) -> list[FilePatron]:
    """The patrons with this card number (one per library that has it) who can receive a
    link: on their library's latest list, with an e-mail address."""
    return list(_usable().filter(card_number=card_number).exclude(email=""))


def _state(patron: FilePatron) -> str:
    return salted_hmac(SALT, f"{patron.pk}|{patron.password}|{patron.email}").hexdigest()[:32]


def password_token(patron: FilePatron) -> str:
    """The token of a link for ``patron`` to choose a password, valid until used."""
    return sign({"patron": patron.pk, "state": _state(patron)}, salt=SALT)


def patron_for_token(token: str) -> FilePatron:
    """The patron a link is for, if it can still be used. Raises :class:`LinkError`
    (French): expired, already used, forged, or the patron can no longer log in."""
    payload = unsign(token, salt=SALT, days=LINK_DAYS, expired=EXPIRED)
    patron = _usable().filter(pk=payload.get("patron")).first()
    if patron is None:
        raise LinkError(GONE)
    if not constant_time_compare(str(payload.get("state", "")), _state(patron)):
        raise LinkError(USED)
    return patron


def set_password(token: str, raw_password: str) -> FilePatron:
    """Give the patron of ``token`` this password (kept as a hash); the token then no
    longer serves. Raises :class:`LinkError` as :func:`patron_for_token`, also when the
    same link was used by another request a moment before."""
    with transaction.atomic():
        patron = patron_for_token(token)
        locked = FilePatron.objects.select_for_update().get(pk=patron.pk)
        if locked.password != patron.password:
            raise LinkError(USED)
        locked.set_password(raw_password)
        locked.save(update_fields=["password", "password_set_at", "updated_at"])
    log.info("patron file: a patron of connector %s chose a password", locked.connector_id)
    return locked
