"""How the portal hands a patron over to a resource: one small driver per access method,
behind one function, :func:`destination`.

- ``lien``: the resource's address, as is.
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

from digital.models import AccessMethod, Resource

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


def with_parameter(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(parts._replace(query=urlencode([*query, (name, value)])))
