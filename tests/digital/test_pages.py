"""Resources pages, the "Accéder" button, signed links and the usage recorded."""

import re
import time
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import LibraryCard
from connectors.models import Connector
from digital import methods
from digital.models import LibraryNetwork, Resource, UsageEvent
from digital.usage import yearly_pseudonym


@pytest.fixture
def resources(cast):
    press = Resource.objects.create(
        name="Europresse", slug="europresse", vendor="Cision", kind="presse",
        summary="La presse française et internationale.", url="https://nouveau.europresse.com/",
    )  # fmt: skip
    gallica = Resource.objects.create(
        name="Gallica", slug="gallica", vendor="BnF", kind="patrimoine", is_free=True,
        summary="La bibliothèque numérique de la BnF.", url="https://gallica.bnf.fr/",
    )  # fmt: skip
    training = Resource.objects.create(
        name="Tout apprendre", slug="tout-apprendre", vendor="Tout apprendre", kind="autoformation",
        summary="Cours en ligne.", url="https://www.toutapprendre.com/connexion",
        access_method="lien_signe", signing_key="clé-partagée-de-test", whole_network=False,
    )  # fmt: skip
    training.communes.add(cast.commune_a)
    tablets = Resource.objects.create(
        name="Liseuses", slug="liseuses", kind="livres_numeriques", on_site_only=True,
        summary="Des liseuses à consulter sur place.", url="https://liseuses.example.org/",
    )  # fmt: skip
    return {"press": press, "gallica": gallica, "training": training, "tablets": tablets}


def open_(client, resource, **extra):
    return client.post(reverse("digital:open", args=[resource.slug]), **extra)


def test_list_shows_every_resource_and_what_the_visitor_may_open(client, resources):
    response = client.get(reverse("digital:resources"))
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("Europresse", "Gallica", "Tout apprendre", "Liseuses"):
        assert name in page
    assert "Connectez-vous pour savoir" in page
    free = client.get(reverse("digital:resources") + "?libre=on").content.decode()
    assert "Gallica" in free and "Europresse" not in free


def test_with_my_card_filter_keeps_what_the_patron_may_open(client, cast, resources, bron_patron):
    client.force_login(cast.patron)
    page = client.get(reverse("digital:resources") + "?ma_carte=on").content.decode()
    names = re.findall(r'<h3><a href="/ressources-numeriques/[^"]+/">([^<]+)</a>', page)
    assert names == ["Europresse", "Gallica", "Tout apprendre"]


def test_anonymous_visitor_is_told_to_log_in_and_cannot_open(client, resources):
    page = client.get(resources["press"].get_absolute_url()).content.decode()
    assert "Connectez-vous avec votre carte" in page
    assert "Accéder" not in page
    response = open_(client, resources["press"])
    assert response.status_code == 403
    assert UsageEvent.objects.count() == 0


def test_free_resource_opens_for_anyone_and_is_recorded_without_a_pseudonym(client, resources):
    response = open_(client, resources["gallica"])
    assert response.status_code == 303
    assert response["Location"] == "https://gallica.bnf.fr/"
    event = UsageEvent.objects.get()
    assert (event.card_kind, event.patron_hash, event.commune_id) == ("aucune", "", None)


def test_patron_opens_the_press_and_the_access_is_pseudonymised(
    client, cast, resources, bron_patron
):
    client.force_login(cast.patron)
    page = client.get(resources["press"].get_absolute_url()).content.decode()
    assert "Accéder" in page
    response = open_(client, resources["press"])
    assert response.status_code == 303 and response["Location"] == "https://nouveau.europresse.com/"
    event = UsageEvent.objects.get()
    assert event.patron_hash == yearly_pseudonym(cast.patron.pk, timezone.localtime().year)
    assert event.patron_hash != yearly_pseudonym(cast.patron.pk, timezone.localtime().year + 1)
    assert (event.home_library, event.commune, event.age_band, event.card_kind) == (
        cast.library_a,
        cast.commune_a,
        "26-64",
        "bibliotheque",
    )
    row = " ".join(str(v) for v in UsageEvent.objects.values().get().values())
    assert "2902000101" not in row and cast.patron.last_name not in row


def test_signed_link_carries_a_vendor_pseudonym_that_expires(client, cast, resources, bron_patron):
    client.force_login(cast.patron)
    response = open_(client, resources["training"])
    assert response.status_code == 303
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://www.toutapprendre.com/connexion"
    token = parse_qs(url.query)[methods.LINK_PARAMETER][0]
    payload = methods.verify_token(token, "clé-partagée-de-test")
    assert payload["res"] == "tout-apprendre"
    assert payload["sub"] == methods.vendor_pseudonym(resources["training"], cast.patron.pk)
    assert payload["sub"] != methods.vendor_pseudonym(resources["press"], cast.patron.pk)
    with pytest.raises(ValueError, match="expired"):
        methods.verify_token(token, "clé-partagée-de-test", now=time.time() + 301)
    with pytest.raises(ValueError, match="bad signature"):
        methods.verify_token(
            token[:-1] + ("0" if token[-1] != "0" else "1"), "clé-partagée-de-test"
        )
    with pytest.raises(ValueError, match="bad signature"):
        methods.verify_token(token, "une-autre-clé")


def test_a_patron_of_a_non_subscribing_commune_is_told_why(client, cast, resources, bron_patron):
    bron_patron.commune = cast.commune_b
    bron_patron.home_library = cast.library_b
    bron_patron.save()
    LibraryCard.objects.update(
        connector=Connector.objects.create(library=cast.library_b, name="B", driver="demo")
    )
    client.force_login(cast.patron)
    page = client.get(resources["training"].get_absolute_url()).content.decode()
    assert "pas proposée dans votre commune" in page
    assert open_(client, resources["training"]).status_code == 403


def test_an_expired_card_is_told_to_renew(client, cast, resources, bron_patron):
    LibraryCard.objects.update(expires_on=date.today() - timedelta(days=1))
    client.force_login(cast.patron)
    page = client.get(resources["press"].get_absolute_url()).content.decode()
    assert "Votre carte n&#x27;est plus valable" in page


def test_on_site_resource_opens_from_a_library_network_only(client, cast, resources, settings):
    LibraryNetwork.objects.create(library=cast.library_a, cidr="192.0.2.0/24")
    assert open_(client, resources["tablets"], REMOTE_ADDR="198.51.100.7").status_code == 403
    response = open_(client, resources["tablets"], REMOTE_ADDR="192.0.2.40")
    assert response.status_code == 303
    event = UsageEvent.objects.get()
    assert event.on_site and event.home_library == cast.library_a
    # Behind the proxy, only the address the proxy saw counts, not what the client claims.
    settings.BEHIND_PROXY = True
    spoofed = open_(client, resources["tablets"], REMOTE_ADDR="10.0.0.1",
                    HTTP_X_FORWARDED_FOR="192.0.2.40, 198.51.100.7")  # fmt: skip
    assert spoofed.status_code == 403
    proxied = open_(client, resources["tablets"], REMOTE_ADDR="10.0.0.1",
                    HTTP_X_FORWARDED_FOR="198.51.100.7, 192.0.2.41")  # fmt: skip
    assert proxied.status_code == 303


def test_unpublished_resource_is_not_found(client, resources):
    resources["press"].published = False
    resources["press"].save()
    assert client.get(resources["press"].get_absolute_url()).status_code == 404
    assert open_(client, resources["press"]).status_code == 404


def test_the_usage_row_refuses_a_patron_access_without_pseudonym(resources):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        UsageEvent.objects.create(
            resource=resources["press"], at=timezone.now(), card_kind="bibliotheque"
        )


def test_catalogue_search_shows_the_digital_resources_that_match(client, resources):
    page = client.get(reverse("catalogue:search"), {"q": "presse française"}).content.decode()
    assert "Dans la bibliothèque numérique" in page
    assert 'href="/ressources-numeriques/europresse/">Europresse</a>' in page
    # Accents and plurals as the catalogue analyses them; all words must match.
    assert (
        "Gallica"
        in client.get(
            reverse("catalogue:search"), {"q": "bibliotheques numeriques"}
        ).content.decode()
    )
    none = client.get(reverse("catalogue:search"), {"q": "presse gallica"}).content.decode()
    assert "Dans la bibliothèque numérique" not in none
    resources["press"].published = False
    resources["press"].save()
    hidden = client.get(reverse("catalogue:search"), {"q": "presse"}).content.decode()
    assert "Europresse" not in hidden
