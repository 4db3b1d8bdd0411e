"""Live availability of copies through SIP2 (Item Information, messages 17/18).

One connection per call: login (93/94) when an account is configured, the server's status
(99/98) when asked, then one Item Information per copy, by barcode, one after the other,
all within the call's ``timeout``. The circulation status of each answer (SIP2 2.00,
fixed field 1 of message 18) becomes a French label:

== ====================================== ===================================== =========
01 other                                  Statut non précisé par la bibliothèque None
02 on order                               En commande                           False
03 available                              En rayon                              True
04 charged                                En prêt (jusqu'au JJ/MM/AAAA, AH)      False
05 charged; not to be recalled until ...  En prêt (jusqu'au JJ/MM/AAAA, AH)      False
06 in process                             En traitement                         False
07 recalled                               Rappelé                               False
08 waiting on hold shelf                  Réservé, en attente du lecteur        False
09 waiting to be re-shelved               En cours de rangement                 True
10 in transit between library locations   En transit                            False
11 claimed returned                       Déclaré rendu                         False
12 lost                                   Perdu                                 False
13 missing                                Manquant                              False
== ====================================== ===================================== =========

09 counts as available: the copy is back in the library and can be borrowed today (Koha
answers 09 for copies on its shelving cart, which it lends); the label tells the patron it
may not be on the shelf yet. A copy the server does not know (Koha answers 01 with an
empty title, AJ) is left out, so it keeps its harvested status.
"""

import logging
import re
import time
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pysip2 import ItemInformationResponse

from connectors.base import ConnectorError, Driver, ItemQuery, ItemStatus
from connectors.registry import register
from connectors.sip2 import settings as defaults
from connectors.sip2.client import Sip2Client
from connectors.sip2.settings import Sip2Settings

log = logging.getLogger(__name__)

UNKNOWN_LABEL = "Statut non précisé par la bibliothèque"
# Circulation status → (available, French label). 04/05 get the due date when known.
CIRCULATION_STATUSES: dict[str, tuple[bool | None, str]] = {
    "01": (None, UNKNOWN_LABEL),
    "02": (False, "En commande"),
    "03": (True, "En rayon"),
    "04": (False, "En prêt"),
    "05": (False, "En prêt"),
    "06": (False, "En traitement"),
    "07": (False, "Rappelé"),
    "08": (False, "Réservé, en attente du lecteur"),
    "09": (True, "En cours de rangement"),
    "10": (False, "En transit"),
    "11": (False, "Déclaré rendu"),
    "12": (False, "Perdu"),
    "13": (False, "Manquant"),
}
CHARGED = frozenset({"04", "05"})

# Due dates (AH) as ACS write them: SIP2's own 18-character date (Koha, SIPServer),
# ISO dates, or day/month/year (French systems).
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:\D|$)")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})")


def parse_due_date(value: str | None) -> date | None:
    """The date of an AH field, or None when it cannot be read."""
    if not value:
        return None
    for pattern, order in ((_COMPACT, "ymd"), (_ISO, "ymd"), (_DAY_FIRST, "dmy")):
        found = pattern.match(value)
        if found:
            parts = [int(p) for p in found.groups()]
            year, month, day = parts if order == "ymd" else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def item_status(answer: ItemInformationResponse) -> ItemStatus | None:
    """What a message 18 says of a copy, or None when the server does not know it."""
    code = answer.circulation_status
    if code == "01" and not (answer.title_identifier or "").strip():
        return None  # Koha, SIPServer: an unknown barcode is "other" with no title
    available, label = CIRCULATION_STATUSES.get(code, (None, UNKNOWN_LABEL))
    due = parse_due_date(answer.due_date) if code in CHARGED else None
    if due is not None:
        label = f"En prêt jusqu'au {due:%d/%m/%Y}"
    location = (answer.current_location or answer.permanent_location or "").strip()
    return ItemStatus(available=available, label=label, due_date=due, location=location)


@register
class Sip2Driver(Driver):
    """Live status of copies from a library system's SIP2 server (Koha, Evergreen,
    Aleph, Symphony, Orphée, Decalog...)."""

    name = "sip2"
    label = "Serveur SIP2 (disponibilité en direct)"
    capabilities = frozenset({"availability"})
    settings_form = Sip2Settings

    def client(self, *, timeout: float, deadline: float | None = None) -> Sip2Client:
        """A client for this server (not connected yet)."""
        host = self.settings.get("host", "")
        if not host or not self.settings.get("institution_id"):
            raise ConnectorError(
                "Réglages incomplets : l'adresse du serveur SIP2 ou le code de "
                "l'établissement (AO) manque."
            )
        return Sip2Client(
            host,
            int(self.settings.get("port") or defaults.DEFAULT_PORT),
            timeout=timeout,
            deadline=deadline,
            tls=bool(self.settings.get("tls")),
            tls_verify=not self.settings.get("tls_insecure"),
            encoding=self.settings.get("encoding") or defaults.DEFAULT_ENCODING,
            error_detection=not self.settings.get("without_checksum"),
        )

    def open_session(self, client: Sip2Client) -> None:
        """Connect, log in when an account is configured, check the status if asked."""
        client.connect()
        if self.settings.get("login_user"):
            client.login(
                self.settings["login_user"],
                self.settings.get("login_password", ""),
                self.settings.get("location_code", ""),
            )
        if self.settings.get("check_status"):
            client.sc_status()

    def availability(
        self,
        items: Sequence[ItemQuery],
        *,
        timeout: float,
        mapping: Mapping[str, Any] | None = None,
    ) -> dict[int, ItemStatus]:
        """Asks for each copy with a barcode, in order, over one connection. When the
        time runs out after some answers, returns those (the others keep their harvested
        status); with none, raises a retryable :class:`ConnectorError`."""
        wanted = [item for item in items if item.barcode]
        if not wanted:
            return {}
        per_exchange = float(self.settings.get("timeout") or defaults.DEFAULT_TIMEOUT)
        client = self.client(
            timeout=min(per_exchange, timeout), deadline=time.monotonic() + timeout
        )
        institution = self.settings["institution_id"]
        statuses: dict[int, ItemStatus] = {}
        try:
            self.open_session(client)
            for position, item in enumerate(wanted):
                try:
                    answer = client.item_information(item.barcode, institution)
                except ConnectorError as error:
                    if not (statuses and error.retryable and client.remaining() <= 0):
                        raise
                    log.warning(
                        "SIP2 %s: out of time after %d of %d copies",
                        client.where,
                        position,
                        len(wanted),
                    )
                    break
                if answer.item_identifier.strip() not in ("", item.barcode):
                    log.warning("SIP2 %s: answer about another copy, ignored", client.where)
                    continue
                status = item_status(answer)
                if status is not None:
                    statuses[item.key] = status
        finally:
            client.close()
        return statuses
