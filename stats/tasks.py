from django_tasks import task

from stats.aggregation import aggregate_usage


@task()
def aggregate_usage_task(year: int, month: int | None = None) -> str:
    """Rewrite the usage figures of a year (or a month): idempotent, safe to repeat."""
    return f"{aggregate_usage(year, month)} figures"


# ---------------------------------------------------------------- COUNTER / SUSHI


@task(queue_name="harvest")
def harvest_counter_task(source_id: int) -> str:
    """Harvest one SUSHI source now ("Moissonner maintenant"); a run already going on is
    left alone (one active run per connector)."""
    from stats.models import SushiSource
    from stats.sushi import harvest_source

    sources = SushiSource.objects.select_related("connector", "resource")
    source = sources.filter(pk=source_id).first()
    if source is None:
        return "skipped"
    run = harvest_source(source)
    return run.summary() if run else "skipped"
