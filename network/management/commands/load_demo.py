import secrets

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import Role, User
from agenda.demo import load_demo_agenda
from catalogue import search
from catalogue.models import Work, WorkIndex
from connectors.demo.setup import load_demo_catalogue, load_demo_patron_file
from digital.demo import load_demo_resources
from editorial.demo import load_demo_editorial
from network.demo import load_demo_network
from network.models import Library
from stats.counter_demo import load_demo_counter
from stats.demo import load_demo_usage

DEMO_ACCOUNTS = [
    ("coordination@metrobib.example", "Camille", "Coordination", Role.NETWORK_ADMIN, None),
    ("admin.villeurbanne@metrobib.example", "Sacha", "Villeurbanne", Role.LIBRARY_ADMIN, "69266"),
    ("editeur.villeurbanne@metrobib.example", "Noa", "Villeurbanne", Role.LIBRARY_EDITOR, "69266"),
]


class Command(BaseCommand):
    help = (
        "Load the demo network (real communes and sites, demo hours), the demo catalogue "
        "(real records harvested by the demo connector), a demo patron list (CSV), demo "
        "staff accounts, the demo agenda (events dated from today, a library's iCalendar "
        "feed) and demo news and selections."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-accounts", action="store_true", help="do not create or reset demo staff accounts"
        )

    def handle(self, *args, no_accounts=False, **options):
        today = timezone.localdate()
        summary = load_demo_network(today)
        self.stdout.write(
            f"communes={summary['communes']} sites_created={summary['sites_created']} "
            f"sites_updated={summary['sites_updated']} demo_values={summary['demo_values']}"
        )
        for warning in summary["warnings"]:
            self.stdout.write(f"warning: {warning}")
        for run in load_demo_catalogue():
            self.stdout.write(f"{run.connector}: {run.summary()}")
        patron_list = load_demo_patron_file()
        if patron_list is not None:
            self.stdout.write(f"{patron_list.connector}: {patron_list.summary()}")
        if WorkIndex.objects.count() != Work.objects.count():
            # A database from before the search index (or a changed one): index it all.
            self.stdout.write(f"search index: indexed={search.rebuild_index()}")
        # Staff first: the agenda's demo registrations are taken by phone by the library's
        # editor, so that loading sends no e-mail.
        accounts = [] if no_accounts else self._reset_accounts()
        agenda = load_demo_agenda(today)
        self.stdout.write(
            f"agenda: events={agenda['events']} dates={agenda['dates']} "
            f"registrations={agenda['registrations']} holidays={agenda['holidays']} "
            f"ical={agenda['ical']}"
        )
        for warning in agenda["warnings"]:
            self.stdout.write(f"warning: {warning}")
        self.stdout.write(f"digital: resources={load_demo_resources()}")
        usage = load_demo_usage(today)
        self.stdout.write(
            f"stats: usage events={usage['events']} active members entered={usage['members']} "
            f"figures={usage['figures']}"
        )
        self.stdout.write(f"stats: COUNTER demo reports={load_demo_counter()}")
        editorial = load_demo_editorial()
        self.stdout.write(f"editorial: news and selections created={editorial['pages_created']}")
        if no_accounts:
            return
        self.stdout.write(self.style.SUCCESS("Demo accounts (passwords reset at each run):"))
        for role, email, password in accounts:
            self.stdout.write(f"  {role.label:32} {email:40} {password}")
        self.stdout.write("Back-office: /admin/")

    def _reset_accounts(self) -> list[tuple[Role, str, str]]:
        accounts = []
        for email, first, last, role, commune in DEMO_ACCOUNTS:
            library = (
                Library.objects.filter(communes__insee_code=commune).first() if commune else None
            )
            user = User.objects.filter(username=email).first() or User(username=email)
            user.email, user.first_name, user.last_name = email, first, last
            user.role, user.library = role, library
            password = f"demo-{secrets.token_urlsafe(9)}"
            user.set_password(password)
            user.save()
            accounts.append((role, email, password))
        return accounts
