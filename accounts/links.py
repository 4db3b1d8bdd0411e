"""Signed links sent by e-mail: confirming a metropolitan card's address, choosing the
password of a patron of an imported list. One way to sign them (``django.core.signing``
with a salt per use, so that one kind of link is never accepted for another), to read them
back, telling an expired link from a forged one, and to send them."""

from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

INVALID = "Ce lien n'est pas valide : vérifiez qu'il est complet, ou demandez-en un nouveau."


class LinkError(ValueError):
    """A link that cannot be used; ``message`` is French, for the person who opened it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def sign(payload: dict, *, salt: str) -> str:
    """A URL-safe token carrying ``payload`` and the time it was made."""
    return signing.dumps(payload, salt=salt)


def unsign(token: str, *, salt: str, days: int, expired: str) -> dict:
    """The payload of a token made by :func:`sign` with this salt at most ``days`` ago.
    Raises :class:`LinkError`: with ``expired`` when it is older, :data:`INVALID` when it
    was not made here (or was cut short)."""
    try:
        payload = signing.loads(token, salt=salt, max_age=days * 24 * 3600)
    except signing.SignatureExpired:
        raise LinkError(expired) from None
    except signing.BadSignature:
        raise LinkError(INVALID) from None
    if not isinstance(payload, dict):
        raise LinkError(INVALID)
    return payload


def send_link(
    request, *, to: str, subject: str, template: str, url_name: str, token: str, context: dict
) -> None:
    """E-mail ``template`` (plain text) to ``to``, with ``link``: the absolute URL of
    ``url_name`` for ``token``."""
    link = request.build_absolute_uri(reverse(url_name, args=[token]))
    body = render_to_string(template, {**context, "link": link})
    send_mail(subject, body, None, [to])
