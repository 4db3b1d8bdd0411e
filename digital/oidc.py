"""The portal as an OpenID Connect provider for vendors, on django-oauth-toolkit.

Each resource whose access method is OpenID Connect has its own client (a toolkit
``Application``): confidential, authorization code flow only, PKCE required (settings
``OAUTH2_PROVIDER``), ID tokens signed RS256, its redirect addresses the resource's
registered ones and nothing else. The toolkit speaks the protocol; this module adds what
is the network's: the patron must be allowed to use the resource (``digital.access``)
before a code is issued, the access is recorded then, and the claims are the resource's
choice (``digital.methods.vendor_attributes``): ``sub`` is the patron's pseudonym for
that vendor, anything else only when the resource's settings share it.
"""

import secrets
from urllib.parse import parse_qs, urlsplit

from django.db import transaction
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.crypto import salted_hmac
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import AuthorizationView

from digital import access, methods
from digital.models import AccessMethod, Resource
from digital.usage import record_access
from digital.views import refused

# Claim names of the attributes a resource may share, and the scope each needs.
CLAIMS = {
    "age_band": ("age_band", "openid"),
    "commune": ("commune", "openid"),
    "library": ("library", "openid"),
    "card_kind": ("card_kind", "openid"),
    "email": ("email", "email"),
}


def resource_of_client(client_id: str) -> Resource | None:
    """The published OpenID Connect resource whose client is ``client_id``."""
    if not client_id:
        return None
    resources = Resource.objects.filter(
        published=True, access_method=AccessMethod.OIDC, oidc_client__client_id=client_id
    )
    return access.with_offer(resources).first()


@transaction.atomic
def ensure_client(
    resource: Resource, *, client_id: str | None = None, secret: str | None = None
) -> str | None:
    """Create or update ``resource``'s client from its settings. Returns the new client
    secret when one was just made: it is stored only as a hash, so this is the one time
    it can be shown (to the network editor, who gives it to the vendor). ``client_id`` and
    ``secret`` are chosen only by the demo (``digital.demo``); otherwise both are random."""
    Application = get_application_model()
    fields = {
        "name": resource.name[:255],
        "redirect_uris": " ".join(resource.vendor_url_list),
        "client_type": Application.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
        "algorithm": Application.RS256_ALGORITHM,
        "skip_authorization": True,  # the network's contract is the patron's consent
    }
    if resource.oidc_client_id:
        Application.objects.filter(pk=resource.oidc_client_id).update(**fields)
        return None
    secret = secret or secrets.token_urlsafe(40)
    if client_id:
        fields["client_id"] = client_id
    client = Application.objects.create(client_secret=secret, hash_client_secret=True, **fields)
    Resource.objects.filter(pk=resource.pk).update(oidc_client=client)
    resource.oidc_client = client
    return secret


def purge_expired_grants() -> int:
    """Delete expired codes and tokens (the toolkit's own ``clear_expired``); returns how
    many authorization codes went."""
    from oauth2_provider.models import clear_expired, get_grant_model

    before = get_grant_model().objects.count()
    clear_expired()
    return before - get_grant_model().objects.count()


class VendorValidator(OAuth2Validator):
    """Claims chosen by the resource, ``sub`` being the patron's pseudonym for its vendor."""

    oidc_claim_scope = {"sub": "openid"} | {name: scope for name, scope in CLAIMS.values()}

    def get_claim_dict(self, request):
        resource = Resource.objects.filter(oidc_client=request.client).first()
        if resource is None:  # a client without a resource authorizes nobody (see below)
            subject = salted_hmac("metrobib.digital.oidc", f"{request.client.pk}:{request.user.pk}")
            return {"sub": subject.hexdigest()[:32]}
        shared = methods.vendor_attributes(resource, request.user)
        claims = {"sub": shared.pop("id")}
        for name, value in shared.items():
            claims[CLAIMS[name][0]] = value
        return claims

    def get_additional_claims(self, request):
        return {}


class VendorAuthorizationView(AuthorizationView):
    """``/oidc/authorize/``: the toolkit's, after the portal's own login and access check."""

    login_url = reverse_lazy("accounts:login")

    def get(self, request, *args, **kwargs):
        resource = resource_of_client(request.GET.get("client_id", ""))
        if resource is None:
            return render(request, "digital/sso_refused.html", status=403)
        visitor = access.visitor_of(request)
        decision = access.decide(visitor, access.terms_of(resource))
        if not decision:
            return refused(request, resource, decision)
        response = super().get(request, *args, **kwargs)
        location = response.get("Location", "")
        if location and "code" in parse_qs(urlsplit(location).query):
            record_access(resource, visitor, user=request.user)
        return response

    def post(self, request, *args, **kwargs):
        # Clients skip the consent form; a POST would bypass the access check above.
        return render(request, "digital/sso_refused.html", status=403)
