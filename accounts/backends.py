"""The authentication backend of patrons' library cards (see accounts/patrons.py)."""

from dataclasses import replace

from django.contrib.auth.backends import BaseBackend

from accounts import patrons
from accounts.models import Role, User
from accounts.security import normalise_card_number
from connectors.base import InvalidCredentials


class LibraryCardBackend(BaseBackend):
    """``authenticate(request, card_number=..., password=<PIN>, library=None)``.

    Returns the card holder's user when their library's system accepts the PIN, None when
    it refuses (a failure, counted by django-axes; ``request.login_refusal`` says why, in
    French, for the form), and lets :class:`patrons.LoginProblem` through when it cannot
    say (which library, or the system is down): that is not a failure of the patron's.
    With ``link_to`` (a logged-in patron), the card joins that patron's cards ("mes
    cartes"). The PIN is passed as ``password`` so that Django masks it in the credentials
    its signals carry.
    """

    def authenticate(
        self, request, card_number=None, password=None, library=None, link_to=None, **kwargs
    ):
        if not card_number or not password:
            return None
        card_number = normalise_card_number(card_number)
        connector = patrons.connector_for_card(card_number, library)
        if request is not None:
            request.login_library = connector.library
        try:
            identity = patrons.check_card(connector, card_number, password)
        except InvalidCredentials as refusal:
            if request is not None:
                request.login_refusal = refusal.message  # what the login form says
            return None
        if request is not None:
            request.login_card_number = card_number
        if not identity.card_number:
            identity = replace(identity, card_number=card_number)
        card = patrons.save_card(connector, identity, user=link_to)
        if request is not None:
            request.login_card = card
        return card.patron.user

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id, role=Role.PATRON, is_active=True).first()
