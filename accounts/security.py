"""Login security: who is trying (without keeping who), from where, and the audit trail.

Card numbers and staff user names reach django-axes and the audit trail only as a keyed
digest (HMAC-SHA256 with the site's secret key, cut to 16 hex digits): attempts on one
card can be counted and told apart from attempts on many, but the number cannot be read
back. Client addresses are kept with their last part cut off (a /24 or a /48).
"""

import hashlib
import hmac
import ipaddress

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import LoginEvent

DIGEST_LENGTH = 16


def normalise_card_number(value: str) -> str:
    """A card number as typed, without spaces or dashes, in capitals."""
    return "".join(value.split()).replace("-", "").upper()


def login_digest(value: str) -> str:
    """The keyed digest of a card number or user name."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:DIGEST_LENGTH]


def login_digest_of(request: HttpRequest, credentials: dict | None) -> str | None:
    """django-axes' "username": the digest of the card number or user name tried."""
    credentials = credentials or {}
    card = credentials.get("card_number")
    if card:
        return login_digest(normalise_card_number(card))
    username = credentials.get("username") or request.POST.get("username")
    return login_digest(username) if username else None


def over_limit(scope: str, key: str, *, limit: int, seconds: int) -> bool:
    """Count one more request of ``key`` (a card number, an address: kept only as its
    digest) in ``scope``; whether it is beyond ``limit`` in the current window of
    ``seconds``. In the shared cache, so that every web process counts together."""
    name = f"throttle:{scope}:{login_digest(key)}"
    cache.add(name, 0, timeout=seconds)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr: a new window
        cache.set(name, 1, timeout=seconds)
        count = 1
    return count > limit


def client_ip(request: HttpRequest) -> str:
    """The client's address: the socket's, or behind a proxy the last address it added."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


def network_of(address: str) -> str:
    """The address with its host part cut: 192.0.2.0/24, 2001:db8:1::/48."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def record_login_event(
    request: HttpRequest | None,
    kind: str,
    *,
    login: str = "",
    user=None,
    library=None,
    detail: str = "",
) -> LoginEvent:
    return LoginEvent.objects.create(
        kind=kind,
        user=user,
        library=library,
        login_digest=login_digest(login) if login else "",
        network=network_of(client_ip(request)) if request is not None else "",
        detail=detail[:200],
    )


def _login_of(credentials: dict) -> str:
    # Django masks the password (the PIN) in these credentials; only the login is read.
    if credentials.get("card_number"):
        return normalise_card_number(credentials["card_number"])
    return credentials.get("username") or ""


@receiver(user_logged_in, dispatch_uid="accounts_login_succeeded")
def _logged_in(sender, request, user, **kwargs):
    library = getattr(request, "login_library", None)
    login = getattr(request, "login_card_number", "") or user.get_username()
    record_login_event(request, LoginEvent.Kind.SUCCESS, login=login, user=user, library=library)
    forget_failures(request, login)


def forget_failures(request: HttpRequest, login: str) -> None:
    """After a successful login, the failures counted on this card number (or user name)
    and from this address start again from zero, in one query when there were none.
    django-axes' own reset (AXES_RESET_ON_SUCCESS, off) keys the card's failures on the
    account's internal user name, which a card login does not use, so it never reset them."""
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    AccessAttempt.objects.filter(Q(username=login_digest(login)) | Q(ip_address=address)).delete()


@receiver(user_login_failed, dispatch_uid="accounts_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    if request is not None and getattr(request, "axes_locked_out", False):
        return  # recorded as a lockout by the receiver below
    record_login_event(
        request,
        LoginEvent.Kind.FAILURE,
        login=_login_of(credentials),
        library=getattr(request, "login_library", None),
    )


@receiver(user_locked_out, dispatch_uid="accounts_locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    record_login_event(
        request,
        LoginEvent.Kind.LOCKOUT,
        library=getattr(request, "login_library", None),
        detail="Trop d'échecs depuis cette adresse ou sur cet identifiant",
    )
