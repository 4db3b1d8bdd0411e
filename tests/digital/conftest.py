"""The digital library's shared fixtures: a patron of Bron with a valid card, and resources
opened through single sign-on (CAS, OpenID Connect) offered to Bron only."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import LibraryCard, Patron
from connectors.models import Connector
from digital import oidc
from digital.models import Resource

VENDOR = "http://vendor.example.org"


def patron_with_card(user, library, commune, age_band: str, card_number: str) -> Patron:
    """A patron living in ``commune`` with a card of ``library`` valid for 200 days."""
    patron = Patron.objects.create(
        user=user, home_library=library, commune=commune, age_band=age_band
    )
    connector = Connector.objects.create(library=library, name="Système", driver="demo")
    LibraryCard.objects.create(
        patron=patron, connector=connector, card_number=card_number,
        expires_on=date.today() + timedelta(days=200), checked_at=timezone.now(),
    )  # fmt: skip
    return patron


@pytest.fixture
def bron_patron(cast):
    """The cast's patron, living in Bron, with a valid card of library A."""
    return patron_with_card(cast.patron, cast.library_a, cast.commune_a, "26-64", "2902000101")


@pytest.fixture
def venissieux_patron(cast):
    """A patron living in Vénissieux, aged 15 to 17, with a valid card of library B."""
    from tests.factories import UserFactory

    user = UserFactory(role="patron", username="venissieux@example.org")
    return patron_with_card(user, cast.library_b, cast.commune_b, "15-17", "2925000201")


@pytest.fixture
def cas_resource(cast):
    """A press service opened through CAS, subscribed by Bron only."""
    resource = Resource.objects.create(
        name="Le Kiosque", slug="le-kiosque", vendor="Kiosque SA", kind="presse",
        summary="Journaux et magazines.", url=f"{VENDOR}/kiosque/", access_method="cas",
        vendor_urls=f"{VENDOR}/kiosque/\nhttps://kiosque.example.net/cas", whole_network=False,
    )  # fmt: skip
    resource.communes.add(cast.commune_a)
    return resource


@pytest.fixture
def oidc_resource(cast):
    """Self-training opened through OpenID Connect, for Bron; its client and secret."""
    resource = Resource.objects.create(
        name="Tout apprendre", slug="tout-apprendre", vendor="Tout apprendre",
        kind="autoformation", summary="Cours en ligne.", url=f"{VENDOR}/apprendre/",
        access_method="oidc", vendor_urls=f"{VENDOR}/apprendre/callback", whole_network=False,
    )  # fmt: skip
    resource.communes.add(cast.commune_a)
    resource.client_secret = oidc.ensure_client(resource)
    return resource
