"""The CAS 3.0 server (digital.cas) through the Django test client: service matching,
tickets issued only to entitled patrons of registered services, single-use validation,
the XML answers of §2.5–2.6, and the access recorded at the ticket. The same flows with
an independent CAS client over HTTP are in test_sso_live.py."""

import html
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from digital import cas, methods
from digital.models import CasTicket, UsageEvent
from tests.digital.conftest import VENDOR

NS = {"cas": cas.CAS_NAMESPACE}
SERVICE = f"{VENDOR}/kiosque/session?lang=fr"


@pytest.mark.parametrize(
    ("service", "registered", "matches"),
    [
        ("https://v.example/app", "https://v.example/app", True),
        ("https://v.example/app/login?x=1", "https://v.example/app", True),
        ("https://v.example/app/", "https://v.example/app/", True),
        ("https://v.example/application", "https://v.example/app", False),
        ("https://V.EXAMPLE/app", "https://v.example/app", True),
        ("http://v.example/app", "https://v.example/app", False),
        ("https://v.example:8443/app", "https://v.example/app", False),
        ("https://v.example.evil.test/app", "https://v.example/app", False),
        ("https://v.example@evil.test/app", "https://v.example/app", False),
        ("https://evil.test/?https://v.example/app", "https://v.example/app", False),
        ("javascript:alert(1)//v.example/app", "https://v.example/app", False),
        ("https://v.example:99999/app", "https://v.example/app", False),
        ("https://v.example/", "https://v.example", True),
    ],
)
def test_service_matches_only_a_registered_address_and_the_paths_below_it(
    service, registered, matches
):
    assert cas.service_matches(service, registered) is matches


def login_url(service: str, **extra) -> str:
    query = {"service": service, **extra}
    return reverse("cas:login") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def ticket_from(response) -> str:
    assert response.status_code == 302, response.content[:300]
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{VENDOR}/kiosque/session"
    query = parse_qs(location.query)
    assert query["lang"] == ["fr"]  # the service's own parameters are kept
    return query["ticket"][0]


def validate(client, ticket: str, service: str = SERVICE, *, path="cas:p3_service_validate"):
    response = client.get(reverse(path), {"ticket": ticket, "service": service})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)  # noqa: S314  (the answer of our own server)


def test_entitled_patron_gets_a_ticket_that_validates_once_with_the_vendor_pseudonym(
    client, cast, cas_resource, bron_patron
):
    client.force_login(cast.patron)
    ticket = ticket_from(client.get(login_url(SERVICE)))
    assert ticket.startswith("ST-") and len(ticket) >= 35
    assert set(ticket[3:]) <= set("0123456789abcdef")

    vendor = client.__class__()  # the vendor's server has no session
    answer = validate(vendor, ticket)
    user = answer.find("cas:authenticationSuccess/cas:user", NS).text
    assert user == methods.vendor_pseudonym(cas_resource, cast.patron.pk)
    attributes = answer.find("cas:authenticationSuccess/cas:attributes", NS)
    names = {child.tag.split("}")[1] for child in attributes}
    # Only the protocol's attributes: the resource shares nothing else.
    assert names == {"authenticationDate", "longTermAuthenticationRequestTokenUsed",
                     "isFromNewLogin"}  # fmt: skip

    again = validate(vendor, ticket).find("cas:authenticationFailure", NS)
    assert again.get("code") == "INVALID_TICKET"


def test_shared_attributes_go_only_to_p3_and_only_those_the_resource_names(
    client, cast, cas_resource, bron_patron
):
    cas_resource.shared_attributes = ["age_band", "commune"]
    cas_resource.save()
    client.force_login(cast.patron)
    ticket = ticket_from(client.get(login_url(SERVICE)))
    attributes = validate(client, ticket).find("cas:authenticationSuccess/cas:attributes", NS)
    assert attributes.find("cas:age_band", NS).text == "26-64"
    assert attributes.find("cas:commune", NS).text == "69029"
    assert attributes.find("cas:email", NS) is None and attributes.find("cas:library", NS) is None

    ticket = ticket_from(client.get(login_url(SERVICE)))
    answer = validate(client, ticket, path="cas:service_validate")  # CAS 2.0: user only
    assert answer.find("cas:authenticationSuccess/cas:user", NS) is not None
    assert answer.find("cas:authenticationSuccess/cas:attributes", NS) is None


def test_cas_1_validate_answers_yes_and_the_user_then_no(client, cast, cas_resource, bron_patron):
    client.force_login(cast.patron)
    ticket = ticket_from(client.get(login_url(SERVICE)))
    url = reverse("cas:validate")
    first = client.get(url, {"ticket": ticket, "service": SERVICE}).content.decode()
    assert first == f"yes\n{methods.vendor_pseudonym(cas_resource, cast.patron.pk)}\n"
    assert client.get(url, {"ticket": ticket, "service": SERVICE}).content == b"no\n\n"


def test_ticket_validated_for_another_service_fails_and_is_spent(
    client, cast, cas_resource, bron_patron
):
    client.force_login(cast.patron)
    ticket = ticket_from(client.get(login_url(SERVICE)))
    wrong = validate(client, ticket, f"{VENDOR}/kiosque/other")
    assert wrong.find("cas:authenticationFailure", NS).get("code") == "INVALID_SERVICE"
    right = validate(client, ticket)
    assert right.find("cas:authenticationFailure", NS).get("code") == "INVALID_TICKET"


@pytest.mark.parametrize(
    ("ticket", "service", "code"),
    [
        ("", SERVICE, "INVALID_REQUEST"),
        ("ST-123", "", "INVALID_REQUEST"),
        ("PT-1234567890", SERVICE, "INVALID_TICKET_SPEC"),
        ("ST-not-a-ticket-we-issued", SERVICE, "INVALID_TICKET"),
    ],
)
def test_bad_validation_requests_get_the_specification_error_codes(
    client, cas_resource, ticket, service, code
):
    answer = validate(client, ticket, service)
    failure = answer.find("cas:authenticationFailure", NS)
    assert failure.get("code") == code and failure.text


def test_expired_ticket_does_not_validate(client, cast, cas_resource, bron_patron):
    client.force_login(cast.patron)
    ticket = ticket_from(client.get(login_url(SERVICE)))
    CasTicket.objects.filter(ticket=ticket).update(
        created_at=timezone.now() - timedelta(seconds=cas.TICKET_SECONDS + 1)
    )
    assert validate(client, ticket).find("cas:authenticationFailure", NS).get("code") == (
        "INVALID_TICKET"
    )
    assert not CasTicket.objects.filter(ticket=ticket).exists()


def test_unknown_service_is_refused_without_a_redirect(client, cast, cas_resource, bron_patron):
    client.force_login(cast.patron)
    for service in ("https://evil.example/kiosque/", f"{VENDOR}/autre/"):
        response = client.get(login_url(service))
        assert response.status_code == 403
        assert "Service non reconnu" in response.content.decode()
    assert not CasTicket.objects.exists()


def test_visitor_not_logged_in_is_sent_to_the_portal_login_and_back(client, cas_resource):
    response = client.get(login_url(SERVICE))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("accounts:login")
    assert parse_qs(location.query)["next"][0].startswith("/cas/login?service=")


def test_gateway_returns_to_the_service_without_a_ticket(client, cas_resource):
    response = client.get(login_url(SERVICE, gateway="true"))
    assert response.status_code == 302 and response["Location"] == SERVICE


def test_patron_of_a_commune_that_does_not_subscribe_is_told_why(
    client, cas_resource, venissieux_patron
):
    client.force_login(venissieux_patron.user)
    response = client.get(login_url(SERVICE))
    assert response.status_code == 403
    assert "n'est pas proposée dans votre commune" in html.unescape(response.content.decode())
    assert not CasTicket.objects.exists() and not UsageEvent.objects.exists()


def test_access_is_recorded_once_at_the_ticket_not_at_the_button(
    client, cast, cas_resource, bron_patron
):
    client.force_login(cast.patron)
    response = client.post(reverse("digital:open", args=[cas_resource.slug]))
    assert response.status_code == 303 and response["Location"] == cas_resource.url
    assert not UsageEvent.objects.exists()
    ticket_from(client.get(login_url(SERVICE)))
    event = UsageEvent.objects.get()
    assert event.resource == cas_resource and event.card_kind == "bibliotheque"
    assert event.commune == cast.commune_a


def test_renew_asks_for_the_card_again_unless_the_login_is_fresh(
    client, cast, cas_resource, bron_patron
):
    client.force_login(cast.patron)  # sets last_login to now
    ticket = ticket_from(client.get(login_url(SERVICE, renew="true")))
    record = CasTicket.objects.get(ticket=ticket)
    assert record.from_new_login
    answer = client.get(reverse("cas:service_validate"),
                        {"ticket": ticket, "service": SERVICE, "renew": "true"})  # fmt: skip
    assert b"authenticationSuccess" in answer.content

    type(cast.patron).objects.filter(pk=cast.patron.pk).update(
        last_login=timezone.now() - timedelta(hours=1)
    )
    response = client.get(login_url(SERVICE, renew="true"))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session_and_returns_only_to_a_registered_service(
    client, cast, cas_resource, bron_patron
):
    client.force_login(cast.patron)
    back = client.get(reverse("cas:logout"), {"service": f"{VENDOR}/kiosque/"})
    assert back.status_code == 302 and back["Location"] == f"{VENDOR}/kiosque/"
    assert "_auth_user_id" not in client.session
    client.force_login(cast.patron)
    page = client.get(reverse("cas:logout"), {"service": "https://evil.example/"})
    assert page.status_code == 200 and "Vous êtes déconnecté" in page.content.decode()


def test_expired_tickets_are_purged(cast, cas_resource, bron_patron):
    old = cas.issue_ticket(cas_resource, cast.patron, SERVICE, from_new_login=False)
    CasTicket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    fresh = cas.issue_ticket(cas_resource, cast.patron, SERVICE, from_new_login=False)
    assert cas.purge_expired_tickets() == 1
    assert list(CasTicket.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_pages_with_access_buttons_let_the_form_redirect_to_the_vendor(
    client, cast, cas_resource, bron_patron
):
    """Browsers hold the POST's redirect to the page's form-action: the vendor is named."""
    client.force_login(cast.patron)
    for url in (reverse("digital:resources"), cas_resource.get_absolute_url()):
        policy = client.get(url)["Content-Security-Policy"]
        form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
        assert form_action.split()[1:] == ["'self'", VENDOR]
    client.logout()
    policy = client.get(cas_resource.get_absolute_url())["Content-Security-Policy"]
    assert VENDOR not in policy  # no button, no exception
