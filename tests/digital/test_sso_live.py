"""Single sign-on with independent clients over HTTP against a live server: python-cas
(the client django-cas-ng uses) validates our CAS tickets in its three protocol
versions; Authlib completes the OpenID Connect code flow with PKCE and joserfc checks the ID
token's signature against our published keys; the demo vendor checks signed links with its
own code. The patron's browser is a ``requests``
session carrying the portal's session cookie."""

import html
import re
import threading
import time
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from cas import CASClient
from django.conf import settings
from joserfc import jwt
from joserfc.jwk import KeySet

from digital import methods
from digital.management.commands.sso_demo_vendor import vendor_handler
from digital.models import Resource, UsageEvent
from tests.digital.conftest import VENDOR

pytestmark = [
    pytest.mark.sso,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CAS_SERVICE = f"{VENDOR}/kiosque/"
CALLBACK = f"{VENDOR}/apprendre/callback"


def browser_of(client, user) -> requests.Session:
    """A browser logged in to the portal as ``user``."""
    client.force_login(user)
    browser = requests.Session()
    browser.cookies.set(
        settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value
    )
    return browser


def cas_ticket(browser, live_server) -> str:
    response = browser.get(
        f"{live_server.url}/cas/login", params={"service": CAS_SERVICE}, allow_redirects=False
    )
    assert response.status_code == 302, response.text[:300]
    return parse_qs(urlsplit(response.headers["Location"]).query)["ticket"][0]


@pytest.mark.parametrize("version", [1, 2, 3])
def test_python_cas_validates_a_ticket_in_each_protocol_version(
    client, live_server, cast, cas_resource, bron_patron, version
):
    cas_resource.shared_attributes = ["library"]
    cas_resource.save()
    browser = browser_of(client, cast.patron)
    vendor = CASClient(
        version=version, service_url=CAS_SERVICE, server_url=f"{live_server.url}/cas/"
    )
    ticket = cas_ticket(browser, live_server)
    user, attributes, _ = vendor.verify_ticket(ticket)
    assert user == methods.vendor_pseudonym(cas_resource, cast.patron.pk)
    if version == 3:
        assert attributes["library"] == "Bibliothèques de Bron"
        assert attributes["isFromNewLogin"] == "true"
    else:
        assert "library" not in (attributes or {})
    assert vendor.verify_ticket(ticket)[0] is None  # spent
    assert UsageEvent.objects.filter(resource=cas_resource).count() == 1


def test_python_cas_refuses_a_ticket_for_another_service(
    client, live_server, cast, cas_resource, bron_patron
):
    ticket = cas_ticket(browser_of(client, cast.patron), live_server)
    other = CASClient(
        version=3, service_url=f"{VENDOR}/kiosque/autre", server_url=f"{live_server.url}/cas/"
    )
    assert other.verify_ticket(ticket)[0] is None


def test_cas_login_refuses_an_unknown_service(client, live_server, cast, cas_resource, bron_patron):
    browser = browser_of(client, cast.patron)
    response = browser.get(
        f"{live_server.url}/cas/login", params={"service": "https://evil.example/"},
        allow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 403 and "Service non reconnu" in response.text


def vendor_client(live_server, resource, **extra) -> OAuth2Session:
    return OAuth2Session(
        client_id=resource.oidc_client.client_id, client_secret=resource.client_secret,
        scope="openid", redirect_uri=CALLBACK, code_challenge_method="S256", **extra,
    )  # fmt: skip


def authorize(browser, live_server, client: OAuth2Session, verifier: str | None, **params):
    url, state = client.create_authorization_url(
        f"{live_server.url}/oidc/authorize/", code_verifier=verifier, nonce="n-0S6_WzA2Mj", **params
    )
    return browser.get(url, allow_redirects=False), state


def test_authlib_completes_the_code_flow_with_pkce_and_verifies_the_id_token(
    client, live_server, cast, oidc_resource, bron_patron
):
    browser = browser_of(client, cast.patron)
    vendor = vendor_client(live_server, oidc_resource)
    verifier = generate_token(48)
    response, state = authorize(browser, live_server, vendor, verifier)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(CALLBACK + "?") and parse_qs(urlsplit(location).query)["state"] == [
        state
    ]

    token = vendor.fetch_token(
        f"{live_server.url}/oidc/token/", authorization_response=location, code_verifier=verifier
    )
    discovery = requests.get(
        f"{live_server.url}/oidc/.well-known/openid-configuration", timeout=10
    ).json()
    assert discovery["issuer"] == f"{live_server.url}/oidc"
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    jwt.JWTClaimsRegistry(exp={"essential": True}).validate(claims)
    pseudonym = methods.vendor_pseudonym(oidc_resource, cast.patron.pk)
    assert claims["sub"] == pseudonym and claims["aud"] == oidc_resource.oidc_client.client_id
    assert claims["nonce"] == "n-0S6_WzA2Mj" and claims["iss"] == discovery["issuer"]
    # Nothing but the pseudonym: no name, no e-mail, no card.
    assert not {"email", "name", "age_band", "commune", "library", "card_kind"} & set(claims)
    userinfo = vendor.get(discovery["userinfo_endpoint"]).json()
    assert userinfo == {"sub": pseudonym}
    assert UsageEvent.objects.filter(resource=oidc_resource).count() == 1


def test_claims_are_those_the_resource_shares_and_email_needs_its_scope(
    client, live_server, cast, oidc_resource, bron_patron
):
    oidc_resource.shared_attributes = ["age_band", "email"]
    oidc_resource.save()
    cast.patron.email = "patron@example.org"
    cast.patron.save()
    browser = browser_of(client, cast.patron)
    for scope, expected in (
        ("openid", {"sub", "age_band"}),
        ("openid email", {"sub", "age_band", "email"}),
    ):
        vendor = vendor_client(live_server, oidc_resource)
        vendor.scope = scope
        verifier = generate_token(48)
        response, _ = authorize(browser, live_server, vendor, verifier)
        vendor.fetch_token(
            f"{live_server.url}/oidc/token/",
            authorization_response=response.headers["Location"], code_verifier=verifier,
        )  # fmt: skip
        assert set(vendor.get(f"{live_server.url}/oidc/userinfo/").json()) == expected


def test_a_request_without_pkce_is_refused(client, live_server, cast, oidc_resource, bron_patron):
    browser = browser_of(client, cast.patron)
    vendor = OAuth2Session(
        client_id=oidc_resource.oidc_client.client_id, client_secret=oidc_resource.client_secret,
        scope="openid", redirect_uri=CALLBACK,
    )  # fmt: skip
    response, _ = authorize(browser, live_server, vendor, None)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"] and "code" not in query


def test_an_unregistered_redirect_address_gets_no_redirect(
    client, live_server, cast, oidc_resource, bron_patron
):
    browser = browser_of(client, cast.patron)
    vendor = vendor_client(live_server, oidc_resource)
    vendor.redirect_uri = "https://evil.example/callback"
    response, _ = authorize(browser, live_server, vendor, generate_token(48))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "Connexion au service refusée" in response.text


def test_an_unknown_client_and_a_patron_not_entitled_are_refused(
    client, live_server, cast, oidc_resource, venissieux_patron
):
    browser = browser_of(client, venissieux_patron.user)
    vendor = vendor_client(live_server, oidc_resource)
    response, _ = authorize(browser, live_server, vendor, generate_token(48))
    assert response.status_code == 403
    assert "n'est pas proposée dans votre commune" in html.unescape(response.text)
    vendor.client_id = "unknown-client"
    response, _ = authorize(browser, live_server, vendor, generate_token(48))
    assert response.status_code == 403 and "Service non reconnu" in response.text
    assert not UsageEvent.objects.exists()


def test_a_stolen_code_is_useless_without_the_verifier(
    client, live_server, cast, oidc_resource, bron_patron
):
    browser = browser_of(client, cast.patron)
    vendor = vendor_client(live_server, oidc_resource)
    response, _ = authorize(browser, live_server, vendor, generate_token(48))
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    answer = requests.post(
        f"{live_server.url}/oidc/token/",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
              "code_verifier": generate_token(48)},
        auth=(oidc_resource.oidc_client.client_id, oidc_resource.client_secret),
        timeout=10,
    )  # fmt: skip
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


@pytest.fixture
def games_vendor(cast):
    """The demo vendor's signed-link service on a free port, checking tokens with its own
    code, and its resource in the portal, shared key "clé-de-test"."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.RequestHandlerClass = vendor_handler(base, "", "", "", "clé-de-test")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    resource = Resource.objects.create(
        name="Jeux", slug="jeux", kind="jeunesse", summary="Des jeux.", url=f"{base}/jeux/",
        access_method="lien_signe", signing_key="clé-de-test",
    )  # fmt: skip
    yield resource
    server.shutdown()
    server.server_close()


def test_a_signed_link_opens_the_vendor_and_a_tampered_or_expired_one_does_not(
    client, live_server, cast, bron_patron, games_vendor
):
    browser = browser_of(client, cast.patron)
    page = browser.get(f"{live_server.url}{games_vendor.get_absolute_url()}", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    opened = browser.post(
        f"{live_server.url}/ressources-numeriques/jeux/acceder/",
        data={"csrfmiddlewaretoken": csrf}, timeout=10,
    )  # fmt: skip
    assert opened.history[0].status_code == 303
    assert opened.status_code == 200 and "Vous êtes identifié" in opened.text
    assert methods.vendor_pseudonym(games_vendor, cast.patron.pk) in opened.text

    token = parse_qs(urlsplit(opened.url).query)[methods.LINK_PARAMETER][0]
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    refused = browser.get(games_vendor.url, params={"mb_token": tampered}, timeout=10)
    assert refused.status_code == 403 and "signature invalide" in refused.text
    old = methods.destination(games_vendor, user=cast.patron, now=time.time() - 301)
    expired = browser.get(old, timeout=10)
    assert expired.status_code == 403 and "lien expiré" in expired.text
