"""manage.py import_patron_file: import a library's patron list (CSV) into its
``patron_file`` connector, from a terminal or a cron job (connectors/patron_file/importer.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from connectors.models import Connector
from connectors.patron_file.importer import PatronFileError, import_patron_file


class Command(BaseCommand):
    help = (
        "Import a patron list (CSV: numero_carte;nom;prenom;email;date_expiration) into a "
        "patron_file connector. Patrons absent from the file can no longer log in."
    )

    def add_arguments(self, parser):
        parser.add_argument("connector_id", type=int, help="id of the patron_file connector")
        parser.add_argument("file", help="the CSV file (UTF-8 or Windows-1252, ';' or ',')")

    def handle(self, *args, connector_id, file, **options):
        connector = Connector.objects.filter(pk=connector_id).select_related("library").first()
        if connector is None:
            raise CommandError(f"no connector {connector_id}")
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        try:
            record = import_patron_file(connector, data, file_name=path.name)
        except PatronFileError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"{connector}: {record.summary()} ({record.encoding})")
        for row in record.rejected_rows:
            self.stdout.write(f"  ligne {row['ligne']} : {row['motif']}")
