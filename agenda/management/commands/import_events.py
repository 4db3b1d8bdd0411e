"""manage.py import_events: import libraries' iCalendar feeds into the agenda."""

from django.core.management.base import BaseCommand, CommandError

from agenda.ical import import_connector
from agenda.services import refresh_open_ended_events
from connectors.models import Connector, RunStatus
from connectors.services import due_connectors


class Command(BaseCommand):
    help = (
        "Import the iCalendar feed of a connector (by id or name; --file reads a local .ics "
        "instead of fetching), or of every connector that is due (--due, run it from cron "
        "with the harvests; it also creates the coming dates of rules without an end)."
    )

    def add_arguments(self, parser):
        parser.add_argument("connector", nargs="?", help="connector id or exact name")
        parser.add_argument("--file", help="a local .ics file to import for that connector")
        parser.add_argument("--due", action="store_true", help="every due calendar connector")

    def handle(self, *args, connector=None, file=None, due=False, **options):
        if due:
            runs = [import_connector(c) for c in due_connectors(capability="events")]
            created = refresh_open_ended_events()
            for run in runs:
                self._report(run)
            self.stdout.write(f"open-ended rules: {created} date(s) created")
            if any(run.status == RunStatus.FAILED for run in runs):
                raise CommandError("some calendar imports failed")
            return
        if not connector:
            raise CommandError("give a connector (id or name), or --due")
        found = Connector.objects.filter(pk=int(connector)) if connector.isdigit() else None
        found = found or Connector.objects.filter(name=connector)
        target = found.first()
        if target is None or not target.driver_class.supports("events"):
            raise CommandError(f"no calendar connector {connector!r}")
        data = None
        if file:
            with open(file, "rb") as handle:
                data = handle.read()
        run = import_connector(target, data=data)
        self._report(run)
        if run.status == RunStatus.FAILED:
            raise CommandError("import failed")

    def _report(self, run):
        if run.status == RunStatus.FAILED:
            self.stderr.write(f"{run.connector}: failed: {run.error}")
        else:
            self.stdout.write(
                f"{run.connector}: read={run.read} created={run.created} updated={run.updated} "
                f"rejected={run.rejected} gone={run.missing}"
            )
