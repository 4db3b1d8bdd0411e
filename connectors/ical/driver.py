"""A library's own iCalendar feed (.ics over HTTP): the ``events`` capability.

The driver only fetches the feed; reading it into the agenda is ``agenda.ical``'s job
(one transaction, nothing written when the feed cannot be read)."""

from django import forms

from connectors.base import DEFAULT_TIMEOUT, ConnectorError, Driver, ServerSettings
from connectors.http import HttpClient
from connectors.registry import register

MAX_FEED_BYTES = 16 * 1024 * 1024


class IcalSettings(ServerSettings):
    base_url = forms.URLField(
        label="Adresse du flux iCalendar (.ics)",
        assume_scheme="https",
        max_length=500,
        help_text="L'adresse d'abonnement de l'agenda de la bibliothèque, par exemple "
        "https://mediatheque.example.org/agenda.ics (webcal:// s'écrit https://).",
    )
    default_site = forms.CharField(
        label="Lieu par défaut (identifiant d'URL du site)",
        required=False,
        max_length=200,
        help_text="Le lieu des événements dont le champ LOCATION ne nomme aucun site de la "
        "bibliothèque, par exemple « mediatheque-jean-prevost ».",
    )


@register
class IcalDriver(Driver):
    name = "ical"
    label = "Agenda iCalendar (.ics)"
    capabilities = frozenset({"events"})
    settings_form = IcalSettings

    def fetch_calendar(self) -> bytes:
        """The feed's bytes; :class:`ConnectorError` when it cannot be fetched."""
        timeout = float(self.settings.get("timeout", DEFAULT_TIMEOUT))
        with HttpClient(timeout=timeout, max_bytes=MAX_FEED_BYTES, max_retries=1) as client:
            reply = client.get(self.settings["base_url"])
        if not reply.content.strip():
            raise ConnectorError("Le flux iCalendar est vide.")
        return reply.content
