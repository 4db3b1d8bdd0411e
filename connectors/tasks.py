from django_tasks import task

from connectors.models import HarvestRun, RunStatus
from connectors.services import HarvestError, claim_run, execute_run


@task(queue_name="harvest")
def run_harvest_task(run_id: int) -> str:
    """Carry out a queued harvest run (idempotent: a run already taken is left alone)."""
    run = HarvestRun.objects.select_related("connector").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.QUEUED:
        return "skipped"
    try:
        run = claim_run(run.connector)
    except HarvestError as error:
        return str(error)
    return execute_run(run).summary()
