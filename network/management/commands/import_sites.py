from django.core.management.base import BaseCommand, CommandError

from network.services import SiteImportError, import_sites


class Command(BaseCommand):
    help = "Create or update sites from a CSV in the Ministry of Culture's layout (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the CSV file")

    def handle(self, *args, file, **options):
        try:
            with open(file, "rb") as handle:
                result = import_sites(handle.read())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        except SiteImportError as error:
            for message in error.errors:
                self.stderr.write(message)
            raise CommandError(
                "Nothing was imported: fix the lines above and try again."
            ) from error
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(
            f"created={result.created} updated={result.updated} "
            f"libraries_created={len(result.libraries_created)}"
        )
