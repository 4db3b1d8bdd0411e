"""manage.py rebuild_search_index: write every work's search document again.

Needed once after upgrading to a version whose search documents changed, or after
changing what the documents hold (sites' communes, the analyser); harvests keep the
index up to date otherwise.
"""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from catalogue import search
from catalogue.models import Work


class Command(BaseCommand):
    help = "Rebuild the catalogue's search index (every work's document) and its vocabulary."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, no_progress=False, **options):
        show = not no_progress and sys.stderr.isatty()
        with tqdm(total=Work.objects.count(), unit="œuvre", disable=not show) as bar:
            written = search.rebuild_index(progress=bar.update)
        self.stdout.write(f"indexed={written}")
