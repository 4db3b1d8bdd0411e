"""How the portal hands a patron over to a resource: one small driver per access method,
behind one function, :func:`destination`.

- ``lien``: the resource's address, as is.
- ``cas`` and ``oidc``: the vendor's address; the vendor then asks the portal who the
  patron is, through the CAS server (``digital.cas``) or the OpenID Connect provider
  (``digital.oidc``), which check the patron's rights again and record the access.
- ``lien_signe``: the address with ``mb_token``, a token the vendor checks with the key it
  shares with the network: ``<payload>.<signature>``, the payload being URL-safe base64
  (no padding) of a JSON object ``{"sub": <pseudonym>, "exp": <unix time>, "res":
  <resource slug>}`` and the signature the hex HMAC-SHA256 of the payload's text under
  the shared key. ``sub`` is stable for one vendor and different for each vendor, so
  vendors cannot match their users; it says nothing else of the patron.
"""

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.utils.crypto import salted_hmac

from digital.models import AccessMethod, Resource, SharedAttribute, UsageEvent

SIGNED_LINK_SECONDS = 300
LINK_PARAMETER = "mb_token"


class AccessError(Exception):
    """The resource's access is misconfigured (a signed link without its key); French."""


def vendor_pseudonym(resource: Resource, user_id: int) -> str:
    """The stable identifier a vendor receives: the same for every access of a patron to
    this vendor's resources, unrelated to the one another vendor receives."""
    vendor = (resource.vendor or resource.slug).strip().casefold()
    return salted_hmac(
        f"metrobib.digital.vendor.{vendor}", str(user_id), algorithm="sha256"
    ).hexdigest()[:32]


def vendor_attributes(resource: Resource, user) -> dict[str, str]:
    """What the vendor receives of ``user``: ``id``, its pseudonym, always; each other
    attribute only when the resource's ``shared_attributes`` names it, and only when the
    portal knows it. CAS and OpenID Connect both read this, so they cannot disagree."""
    attributes = {"id": vendor_pseudonym(resource, user.pk)}
    wanted = set(resource.shared_attributes or ())
    if not wanted:
        return attributes
    from accounts.models import Patron

    patron = Patron.objects.filter(user=user).select_related("commune", "home_library").first()
    known = {"email": user.email or ""}
    if patron is not None:
        with_library_card = patron.cards.exists()
        known |= {
            "age_band": patron.age_band,
            "commune": patron.commune.insee_code if patron.commune else "",
            "library": patron.home_library.name if patron.home_library else "",
            "card_kind": UsageEvent.CardKind.LIBRARY if with_library_card
            else UsageEvent.CardKind.METROPOLITAN,
        }  # fmt: skip
    for name in SharedAttribute.values:
        if name in wanted and known.get(name):
            attributes[name] = known[name]
    return attributes


def hands_over_identity(resource: Resource) -> bool:
    """Single sign-on: the vendor comes back to the portal for the patron's identity, and
    the access is recorded then (at the ticket or the code), not at the "Accéder" click."""
    return resource.access_method in (AccessMethod.CAS, AccessMethod.OIDC)


def destination(resource: Resource, *, user, now: float | None = None) -> str:
    """Where to send the patron to open ``resource``."""
    if resource.access_method == AccessMethod.SIGNED_LINK:
        if not resource.signing_key:
            raise AccessError("Le lien signé de cette ressource n'a pas de clé.")
        subject = vendor_pseudonym(resource, user.pk) if user and user.is_authenticated else ""
        token = sign_token(
            {"sub": subject, "exp": int((now or time.time()) + SIGNED_LINK_SECONDS),
             "res": resource.slug},
            resource.signing_key,
        )  # fmt: skip
        return with_parameter(resource.url, LINK_PARAMETER, token)
    return resource.url


def sign_token(payload: dict, key: str) -> str:
    text = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    text = text.rstrip(b"=").decode()
    signature = hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()
    return f"{text}.{signature}"


def verify_token(token: str, key: str, *, now: float | None = None) -> dict:
    """What a vendor does with the token (and our tests): the payload, or ValueError."""
    text, _, signature = token.partition(".")
    expected = hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise ValueError("bad signature")
    payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    if payload["exp"] < (now or time.time()):
        raise ValueError("expired")
    return payload


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, or "" when it has none."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def with_parameter(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(parts._replace(query=urlencode([*query, (name, value)])))
