import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stats.aggregation import aggregate_usage


class Command(BaseCommand):
    help = (
        "Roll the digital library's usage events up into the dashboard's figures: by "
        "default the current year (and last year too on 1 January, to close it). "
        "Idempotent: the period's figures are replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="the year to count (default: see above)")
        parser.add_argument(
            "--month", type=int, choices=range(1, 13), metavar="1-12",
            help="only this month's figures (the year's distinct users need a run "
            "without --month)",
        )  # fmt: skip

    def handle(self, *args, year=None, month=None, **options):
        if month and not year:
            raise CommandError("--month needs --year.")
        today = timezone.localdate()
        years = [year] if year else sorted({(today - timedelta(days=1)).year, today.year})
        for each in years:
            started = time.perf_counter()
            written = aggregate_usage(each, month)
            period = f"{each}-{month:02d}" if month else str(each)
            took = time.perf_counter() - started
            self.stdout.write(f"usage {period}: {written} figures in {took:.2f} s")
