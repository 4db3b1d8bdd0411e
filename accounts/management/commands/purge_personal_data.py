from django.core.management.base import BaseCommand

from accounts.privacy import purge_expired
from agenda.services import erase_past_registrations
from digital.cas import purge_expired_tickets
from digital.oidc import purge_expired_grants


class Command(BaseCommand):
    help = (
        "Erase personal data past the retention periods of the network's settings: old "
        "login events, metropolitan cards whose e-mail was never confirmed, patrons who have "
        "not logged in for long, who registered for events that are over; single sign-on "
        "tickets, codes and tokens that expired. Run it every night."
    )

    def handle(self, *args, **options):
        erased = purge_expired()
        erased["event_registrations"] = erase_past_registrations()
        erased["cas_tickets"] = purge_expired_tickets()
        erased["oidc_grants"] = purge_expired_grants()
        self.stdout.write(" ".join(f"{name}={count}" for name, count in erased.items()))
