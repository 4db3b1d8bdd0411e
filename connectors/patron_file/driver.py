"""Patrons of a library without a reachable library system: its staff import the patron
list (``importer.py``), each patron chooses a password through a link sent by e-mail
(``passwords.py``), and this driver checks logins against that list.

Only ``authenticate``: the list says who the patrons are, not what they borrowed, so "mon
compte" says that this library's loans cannot be seen here.
"""

from django.contrib.auth.hashers import make_password

from connectors.base import Driver, InvalidCredentials, PatronIdentity
from connectors.models import FilePatron
from connectors.registry import register

NOT_CHOSEN_YET = (
    "Vous n'avez pas encore de mot de passe pour cette carte : choisissez-en un avec le lien "
    "« Créer ou changer mon mot de passe » ; il vous sera envoyé par e-mail."
)


@register
class PatronFileDriver(Driver):
    name = "patron_file"
    label = "Liste de lecteurs importée (fichier CSV, mot de passe choisi sur le portail)"
    capabilities = frozenset({"authenticate"})
    answers_locally = True  # the list is in the portal's own database

    def authenticate(self, card_number: str, pin: str, *, timeout: float) -> PatronIdentity:
        """The patron of the list with this card, if ``pin`` is the password they chose.

        :class:`InvalidCredentials` for an unknown card, a wrong password or a patron the
        latest list no longer names, all alike (the time a password check takes included);
        with :data:`NOT_CHOSEN_YET` when the patron has not chosen a password yet. An expired
        membership still authenticates, with its date (the portal says what to do)."""
        patron = (
            FilePatron.objects.filter(
                connector_id=self.connector_id, card_number=card_number, active=True
            ).first()
            if self.connector_id is not None
            else None
        )
        if patron is None or not patron.has_password():
            make_password(pin)  # as long as a real check: the answer's delay tells nothing
            raise InvalidCredentials(
                NOT_CHOSEN_YET if patron is not None else InvalidCredentials.MESSAGE
            )
        if not patron.check_password(pin):
            raise InvalidCredentials()
        return PatronIdentity(
            card_number=patron.card_number,
            system_id=str(patron.pk),
            first_name=patron.first_name,
            last_name=patron.last_name,
            email=patron.email,
            expires_on=patron.expires_on,
        )
