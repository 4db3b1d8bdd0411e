"""Demo vendors' statistics for `make run`: two real COUNTER 5.1 sample reports of the Code
of Practice (``demo/counter/``, see ``demo/SOURCES.md``) imported for two demo resources,
so that Statistiques › Rapports COUNTER des fournisseurs shows imported reports. Their
figures are the CoP's sample figures (year 2022), not the vendors'. Idempotent: a demo
report already imported is not imported again."""

from pathlib import Path

from django.conf import settings

from digital.models import Resource
from stats.imports import import_counter_file
from stats.models import CounterReport, CounterSource

FOLDER = Path(settings.BASE_DIR) / "demo" / "counter"
REPORTS = [
    ("europresse", "r51_DR_D1_sample.json"),  # a press database: Database Search and Item Usage
    ("la-mediatheque-numerique", "r51_PR_P1_sample.tsv"),  # a platform: Platform Usage
]


def load_demo_counter() -> int:
    """Import the demo reports missing; returns how many demo reports are imported."""
    for slug, file_name in REPORTS:
        resource = Resource.objects.filter(slug=slug).first()
        if resource is None:
            continue
        done = CounterReport.objects.filter(
            resource=resource, source=CounterSource.DEMO, file_name=file_name
        ).exclude(status=CounterReport.Status.REJECTED)
        if not done.exists():
            import_counter_file(
                resource,
                (FOLDER / file_name).read_bytes(),
                file_name=file_name,
                source=CounterSource.DEMO,
            )
    return CounterReport.objects.filter(
        source=CounterSource.DEMO, status=CounterReport.Status.IMPORTED
    ).count()
