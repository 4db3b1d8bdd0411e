"""manage.py harvest_counter: harvest vendors' COUNTER reports from their SUSHI servers."""

from django.core.management.base import BaseCommand, CommandError

from connectors.models import RunStatus
from stats.models import SushiSource
from stats.sushi import harvest_due, harvest_source


class Command(BaseCommand):
    help = (
        "Harvest the COUNTER reports of a SUSHI connector (by id or exact name), or of every "
        "SUSHI connector that is due (--due; run it from cron with the other harvests). One "
        "report × one month per request; each (report, month) remembers its state."
    )

    def add_arguments(self, parser):
        parser.add_argument("connector", nargs="?", help="SUSHI connector id or exact name")
        parser.add_argument("--due", action="store_true", help="every due SUSHI connector")

    def handle(self, *args, connector=None, due=False, **options):
        if due:
            runs = harvest_due()
        elif connector:
            sources = SushiSource.objects.select_related("connector", "resource")
            found = sources.filter(connector__pk=int(connector)) if connector.isdigit() else None
            source = (found or sources.filter(connector__name=connector)).first()
            if source is None:
                raise CommandError(
                    f"no SUSHI connector {connector!r} linked to a resource (Statistiques › "
                    "Moissons SUSHI)"
                )
            runs = [harvest_source(source)]
        else:
            raise CommandError("give a connector (id or name), or --due")
        for run in runs:
            line = (
                f"{run.connector}: requests={run.read} imported={run.created} "
                f"without_new_data={run.unchanged} failed={run.rejected}"
            )
            if run.status == RunStatus.FAILED:
                self.stderr.write(f"{line}: {run.error}")
            else:
                self.stdout.write(line + (f" ({run.error})" if run.error else ""))
        if any(run.status == RunStatus.FAILED for run in runs):
            raise CommandError("some SUSHI harvests failed")
