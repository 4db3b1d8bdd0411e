"""manage.py load_school_holidays: school holiday periods from vacances-scolaires-france."""

from django.core.management.base import BaseCommand

from agenda.holidays import load_school_holidays


class Command(BaseCommand):
    help = (
        "Create or update the school holiday periods of a zone (A for Lyon) from the "
        "vacances-scolaires-france package; periods the network entered are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--zone", default="A", choices=["A", "B", "C"])

    def handle(self, *args, zone="A", **options):
        created, updated = load_school_holidays(zone)
        self.stdout.write(f"zone {zone}: {created} period(s) created, {updated} updated")
