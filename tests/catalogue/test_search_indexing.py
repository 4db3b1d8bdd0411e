"""Search documents follow harvests: written once per changed work, when the run ends."""

from catalogue.models import Work, WorkIndex


def test_harvest_batches_queue_their_works_and_the_run_indexes_each_once(cast):
    """A batch writes no search document: it queues its works (in its transaction), and
    the end of the run writes each queued work's document once."""
    from catalogue.models import PendingIndex
    from catalogue.search import documents
    from connectors.models import Connector
    from connectors.services import harvest_connector
    from tests.catalogue.corpus import DEMO

    built = []
    original = documents.build

    def counting(work_ids):
        work_ids = list(work_ids)
        built.extend(work_ids)
        return original(work_ids)

    connector = Connector.objects.create(
        library=cast.library_a, name="Export", driver="marc_file",
        settings={"path": str(DEMO / "demo-marc21.mrc"), "batch_size": 50},
        item_mapping={"preset": "koha_marc21_952"},
    )  # fmt: skip
    documents.build = counting
    try:
        run = harvest_connector(connector)
    finally:
        documents.build = original
    assert run.status == "completed", run.error
    assert not PendingIndex.objects.exists()
    assert len(built) == len(set(built)), "a work's document was written more than once"
    # Works merged into others during the run were queued too (and lost their document).
    works = set(Work.objects.values_list("pk", flat=True))
    assert works <= set(built)
    assert set(WorkIndex.objects.values_list("work_id", flat=True)) == works
