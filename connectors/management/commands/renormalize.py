"""manage.py renormalize: describe records again from the raw records already harvested."""

import sys

from django.core.management.base import BaseCommand, CommandError

from connectors.models import Connector
from connectors.services import renormalize


class Command(BaseCommand):
    help = (
        "Re-run normalisation, item mapping and deduplication from stored raw records, "
        "without harvesting (all connectors, or those given by id)."
    )

    def add_arguments(self, parser):
        parser.add_argument("connectors", nargs="*", type=int, help="connector ids")

    def handle(self, *args, connectors=(), **options):
        queryset = Connector.objects.all()
        if connectors:
            queryset = queryset.filter(pk__in=connectors)
            if queryset.count() != len(set(connectors)):
                raise CommandError("unknown connector id")
        for connector in queryset:
            bar = None
            if sys.stderr.isatty():
                from tqdm import tqdm

                bar = tqdm(unit=" notices", desc=connector.name, file=sys.stderr)
            counts = renormalize(connector, progress=bar.update if bar else None)
            if bar:
                bar.close()
            self.stdout.write(
                f"{connector}: updated={counts['updated']} rejected={counts['rejected']}"
            )
