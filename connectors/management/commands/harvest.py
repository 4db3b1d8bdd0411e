"""manage.py harvest: run harvests from a terminal, a cron job or a systemd timer."""

import sys

from django.core.management.base import BaseCommand, CommandError

from connectors.base import ConnectorError
from connectors.marc_file.driver import detect_format
from connectors.models import Connector, RunStatus
from connectors.services import (
    HarvestError,
    driver_for,
    due_connectors,
    file_connector,
    harvest_connector,
    last_file,
)
from network.models import Library


class Command(BaseCommand):
    help = (
        "Harvest a connector (by id or name), a one-off export file for a library "
        "(--library SLUG --file PATH), or every connector that is due (--due)."
    )

    def add_arguments(self, parser):
        parser.add_argument("connector", nargs="?", help="connector id or exact name")
        parser.add_argument("--full", action="store_true", help="full harvest, not incremental")
        parser.add_argument("--library", help="library slug (with --file)")
        parser.add_argument("--file", help="an ISO 2709 or MARCXML export to harvest")
        parser.add_argument("--due", action="store_true", help="harvest every due connector")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, connector=None, full=False, library=None, file=None, due=False,
               no_progress=False, **options):  # fmt: skip
        self.show_progress = not no_progress and sys.stderr.isatty()
        if due:
            failed = 0
            for found in due_connectors():
                failed += self._harvest(found, full=False) is False
            if failed:
                raise CommandError(f"{failed} harvest(s) failed")
            return
        if file:
            if not library:
                raise CommandError("--file needs --library SLUG")
            target = self._file_connector(library, file)
            ok = self._harvest(target, full=True, source_file=file)
        elif connector:
            ok = self._harvest(self._connector(connector), full=full)
        else:
            raise CommandError("give a connector, --library SLUG --file PATH, or --due")
        if not ok:
            raise CommandError("harvest failed")

    def _connector(self, ref: str) -> Connector:
        found = Connector.objects.filter(pk=int(ref)) if ref.isdigit() else None
        if not found:
            found = Connector.objects.filter(name=ref)
        if found.count() != 1:
            raise CommandError(f"no single connector matches {ref!r}")
        return found.get()

    def _file_connector(self, slug: str, path: str) -> Connector:
        library = Library.objects.filter(slug=slug).first()
        if library is None:
            raise CommandError(f"no library with slug {slug!r}")
        try:
            detected = detect_format(path)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        self.stdout.write(f"{path}: {detected} export for {library}")
        return file_connector(library)

    def _harvest(self, connector: Connector, *, full: bool, source_file: str = "") -> bool:
        bar = self._bar(connector, source_file)
        seen = 0

        def progress(run):
            nonlocal seen
            if bar is not None:
                bar.update(run.read - seen)
            seen = run.read

        try:
            run = harvest_connector(
                connector, full=full, source_file=source_file, progress=progress
            )
        except (HarvestError, ConnectorError) as error:
            raise CommandError(str(error)) from None
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(f"{connector}: {run.summary()}")
        if run.unknown_site_codes:
            codes = ", ".join(f"{c} ({n})" for c, n in sorted(run.unknown_site_codes.items()))
            self.stdout.write(f"unknown site codes: {codes}")
        if run.status != RunStatus.COMPLETED:
            self.stderr.write(f"failed: {run.error}")
            return False
        return True

    def _bar(self, connector: Connector, source_file: str):
        if not self.show_progress:
            return None
        from tqdm import tqdm

        driver = driver_for(connector, source_file or last_file(connector))
        return tqdm(
            total=driver.estimate_total(), unit=" notices", desc=connector.name, file=sys.stderr
        )
