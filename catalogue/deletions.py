"""Records removed from the catalogue leave a tombstone (:class:`DeletedRecord`), so
that OAI-PMH harvesters learn of the deletion (the provider declares
``deletedRecord: persistent``, :mod:`catalogue.oai`).

Every path that removes records must write their tombstones in the same transaction:
:func:`connectors.ingest.remove_records` (a record deleted in its source, a record missing
from a complete export) calls :func:`bury`; deleting a connector (its source records,
hence its records, go by cascade) is caught by the ``pre_delete`` receiver below, and
so is deleting a library (its connectors go by cascade): its tombstones stay, with the
set they were in, and full harvests learn of the deletions.
"""

from django.db import transaction
from django.db.models.signals import pre_delete
from django.utils import timezone

from catalogue.models import DeletedRecord, Record

CHUNK = 2000


def formats_of(source_format: str) -> list[str]:
    """The metadata prefixes a record is disseminated in, by its source's format."""
    return ["oai_dc", "marcxml"] if source_format in ("iso2709", "marcxml") else ["oai_dc"]


def bury(records) -> int:
    """Write the tombstones of ``records`` (a queryset of :class:`Record`) before they are
    deleted; returns how many. Call inside the transaction that deletes them."""
    now = timezone.now()
    rows = records.order_by().values_list("pk", "library_id", "library__slug", "source__format")
    written = 0
    with transaction.atomic():
        batch = []
        for pk, library_id, slug, source_format in rows.iterator(chunk_size=CHUNK):
            batch.append(
                DeletedRecord(
                    record_id=pk,
                    library_id=library_id,
                    set_spec=slug,
                    formats=formats_of(source_format),
                    deleted_at=now,
                )
            )
            if len(batch) >= CHUNK:
                written += len(DeletedRecord.objects.bulk_create(batch, ignore_conflicts=True))
                batch = []
        if batch:
            written += len(DeletedRecord.objects.bulk_create(batch, ignore_conflicts=True))
    return written


def bury_connector_records(sender, instance, **kwargs) -> None:
    """A connector being deleted (alone, or with its library) takes its records with it
    (source records cascade): their tombstones are written first."""
    bury(Record.objects.filter(source__connector=instance))


def connect() -> None:
    from connectors.models import Connector

    pre_delete.connect(
        bury_connector_records, sender=Connector, dispatch_uid="catalogue-bury-connector"
    )
