"""A vendor's side of single sign-on, on 127.0.0.1, for `make run` and the browser tests.

Three demo services (``digital.demo``) send patrons here: ``/kiosque/`` is a CAS client
(python-cas, the library django-cas-ng uses) validating the portal's tickets with
``/cas/p3/serviceValidate``; ``/apprendre/`` is an OpenID Connect relying party (Authlib)
doing the code flow with PKCE against ``/oidc/``; ``/jeux/`` checks the portal's signed
link as a vendor would, with its own code and the shared key (``mb_token``: base64url
JSON, a dot, the hex HMAC-SHA256 of the base64 text). Each shows the patron as the vendor
sees them: a pseudonym, and the attributes the resource shares. Development only: it
needs the dev dependencies (python-cas, Authlib) and keeps its state in memory.
"""

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from django.core.management.base import BaseCommand

from digital.demo import DEMO_OIDC_CLIENT_ID, DEMO_OIDC_CLIENT_SECRET, DEMO_SIGNING_KEY

PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


def signed_link_subject(token: str, key: str, now: float) -> tuple[str | None, str]:
    """The vendor's side of a signed link: (the pseudonym, "") or (None, why not)."""
    text, _, signature = token.partition(".")
    expected = hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(expected, signature):
        return None, "signature invalide"
    payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    if payload.get("exp", 0) < now:
        return None, "lien expiré"
    return payload.get("sub") or None, ""


def vendor_handler(
    base_url: str, portal: str, client_id: str, client_secret: str, signing_key: str
):
    from authlib.integrations.requests_client import OAuth2Session
    from cas import CASClient

    kiosque = f"{base_url}/kiosque/"
    callback = f"{base_url}/apprendre/callback"
    cas_client = CASClient(version=3, service_url=kiosque, server_url=f"{portal}/cas/")
    verifiers: dict[str, str] = {}  # state -> PKCE verifier, for flows in progress

    def oidc_session() -> OAuth2Session:
        return OAuth2Session(
            client_id, client_secret, scope="openid email", redirect_uri=callback,
            code_challenge_method="S256",
        )  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/kiosque/":
                return self.kiosque(query)
            if url.path == "/apprendre/":
                return self.start_oidc()
            if url.path == "/apprendre/callback":
                return self.finish_oidc(query)
            if url.path == "/jeux/":
                return self.signed(query)
            return self.page("Page introuvable", "<p>Rien ici.</p>", status=404)

        def kiosque(self, query):
            ticket = query.get("ticket")
            if not ticket:
                return self.redirect(cas_client.get_login_url())
            user, attributes, _ = cas_client.verify_ticket(ticket)
            if user is None:
                return self.page("Le Kiosque", "<p>Ticket refusé par Métrobib.</p>", 403)
            return self.identified("Le Kiosque (démonstration CAS)", user, attributes or {})

        def start_oidc(self):
            verifier = secrets.token_urlsafe(48)
            url, state = oidc_session().create_authorization_url(
                f"{portal}/oidc/authorize/", code_verifier=verifier
            )
            verifiers[state] = verifier
            return self.redirect(url)

        def finish_oidc(self, query):
            verifier = verifiers.pop(query.get("state", ""), None)
            if verifier is None or "code" not in query:
                message = html.escape(query.get("error", "demande inconnue"))
                return self.page("Tout apprendre", f"<p>Connexion refusée : {message}.</p>", 403)
            session = oidc_session()
            session.fetch_token(f"{portal}/oidc/token/", code=query["code"], code_verifier=verifier)
            claims = session.get(f"{portal}/oidc/userinfo/").json()
            user = claims.pop("sub")
            return self.identified("Cours en ligne (démonstration OpenID Connect)", user, claims)

        def signed(self, query):
            title = "Jeux et quiz (démonstration lien signé)"
            token = query.get("mb_token", "")
            user, why = signed_link_subject(token, signing_key, time.time())
            if user is None:
                return self.page(title, f"<p>Accès refusé : {why or 'aucun jeton'}.</p>", 403)
            return self.identified(title, user, {})

        def identified(self, title, user, attributes):
            rows = "".join(
                f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>"
                for k, v in sorted(attributes.items())
            )
            body = (
                f'<p class="identified">Vous êtes identifié : <code>{html.escape(user)}</code></p>'
                "<p>C'est tout ce que le fournisseur sait de vous, avec :</p>"
                f"<dl>{rows or '<dt>Autres données</dt><dd>aucune</dd>'}</dl>"
            )
            return self.page(title, body)

        def redirect(self, location):
            self.send_response(302)
            self.send_header("Location", location)
            self.end_headers()

        def page(self, title, body, status=200):
            content = PAGE.format(title=html.escape(title), body=body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
            pass

    return Handler


class Command(BaseCommand):
    help = "Serve the demo vendors that open through CAS and OpenID Connect (development)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--portal", default="http://127.0.0.1:8000")
        parser.add_argument("--client-id", default=DEMO_OIDC_CLIENT_ID)
        parser.add_argument("--client-secret", default=DEMO_OIDC_CLIENT_SECRET)
        parser.add_argument("--signing-key", default=DEMO_SIGNING_KEY)

    def handle(self, *args, port, portal, client_id, client_secret, signing_key, **options):
        base_url = f"http://127.0.0.1:{port}"
        handler = vendor_handler(
            base_url, portal.rstrip("/"), client_id, client_secret, signing_key
        )
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.stdout.write(
            f"Demo vendors on {base_url}/kiosque/, {base_url}/apprendre/ and {base_url}/jeux/"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
