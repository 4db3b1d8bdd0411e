"""Importing a COUNTER report for a resource: an uploaded file or a harvested SUSHI reply.

A report that cannot be read is kept as *rejected*, with its bytes and the French reason,
and changes nothing else. A readable one replaces, in one transaction, every count of the
same (resource, report, release) for each month it speaks for — its reporting period,
since R5.1 leaves zero months out — and earlier reports left with nothing become
*replaced*."""

import logging

from django.db import transaction
from django.db.models import Exists, OuterRef

from stats.counter import codes
from stats.counter.reading import format_of, read_file
from stats.counter.report import CounterError, NoUsageData, ParsedReport
from stats.models import CounterCount, CounterReport, CounterSource

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
BATCH = 2000


class CounterImportError(Exception):
    """An import that cannot even be recorded (no resource, an empty file); French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def import_counter_file(
    resource,
    data: bytes,
    *,
    file_name: str = "",
    source: str = CounterSource.UPLOAD,
    connector=None,
    actor=None,
    parsed: ParsedReport | None = None,
) -> CounterReport:
    """Read ``data`` (JSON, TSV, CSV or XLSX) and import it for ``resource``. Returns the
    :class:`CounterReport`: ``IMPORTED``, or ``REJECTED`` with ``error`` (nothing else
    changed). ``parsed``: the report already read (a SUSHI reply read to decide what to do).
    Raises :class:`CounterImportError` for an empty or oversized file."""
    if not data:
        raise CounterImportError("Le fichier est vide.")
    if len(data) > MAX_FILE_BYTES:
        raise CounterImportError(
            f"Le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo : demandez au fournisseur "
            "un rapport par période plus courte."
        )
    base = {
        "resource": resource,
        "source": source,
        "connector": connector,
        "file_name": file_name[:255],
        "file_format": format_of(data, file_name),
        "payload": data,
        "created_by": actor if getattr(actor, "is_authenticated", False) else None,
    }
    if parsed is None:
        try:
            parsed = read_file(data, file_name)
        except CounterError as error:
            exceptions = error.exceptions if isinstance(error, NoUsageData) else []
            report = CounterReport.objects.create(
                **base,
                status=CounterReport.Status.REJECTED,
                error=error.message,
                exceptions=[e.as_dict() for e in exceptions],
            )
            log.info(
                "COUNTER report %s for resource %s rejected: %s", report.pk, resource.pk, error
            )
            return report
    return _store(parsed, base)


def _store(parsed: ParsedReport, base: dict) -> CounterReport:
    months = parsed.months()
    slot = {
        "resource": base["resource"],
        "report_code": parsed.report_id,
        "release": parsed.release,
    }
    with transaction.atomic():
        report = CounterReport.objects.create(
            **base,
            status=CounterReport.Status.IMPORTED,
            report_code=parsed.report_id,
            release=parsed.release,
            platform=parsed.platform[:200],
            report_name=parsed.report_name[:200],
            begin_month=months[0] if months else None,
            end_month=months[-1] if months else None,
            exceptions=[e.as_dict() for e in parsed.exceptions],
            warnings=parsed.warnings,
            parameters_ignored=bool(parsed.codes() & codes.FLAG),
            rows=len(parsed.rows),
        )
        CounterCount.objects.filter(**slot, month__in=months).delete()
        CounterCount.objects.bulk_create(
            (CounterCount(report=report, **slot, **_fields(row)) for row in parsed.rows),
            batch_size=BATCH,
        )
        # Earlier reports of the slot whose months were all given again are replaced.
        earlier = CounterReport.objects.filter(
            status=CounterReport.Status.IMPORTED,
            resource=slot["resource"],
            report_code=parsed.report_id,
            release=parsed.release,
        ).exclude(pk=report.pk)
        covered = (
            earlier.filter(begin_month__gte=months[0], end_month__lte=months[-1])
            if months
            else earlier.none()
        )
        emptied = earlier.filter(rows__gt=0).exclude(
            Exists(CounterCount.objects.filter(report=OuterRef("pk")))
        )
        (covered | emptied).update(status=CounterReport.Status.REPLACED)
    log.info(
        "COUNTER report %s imported for resource %s: %s %s, %s rows",
        report.pk, slot["resource"].pk, parsed.report_id, parsed.release, len(parsed.rows),
    )  # fmt: skip
    return report


def _fields(row) -> dict:
    return {
        "month": row.month,
        "metric_type": row.metric_type,
        "data_type": row.data_type,
        "access_type": row.access_type,
        "access_method": row.access_method,
        "yop": row.yop,
        "title": row.title,
        "item_id": row.item_id,
        "count": row.count,
    }


def reimport_report(report: CounterReport, *, actor=None) -> CounterReport:
    """Read a kept report's file again (after the reader changed) and import it anew."""
    return import_counter_file(
        report.resource,
        bytes(report.payload),
        file_name=report.file_name,
        source=report.source,
        connector=report.connector,
        actor=actor,
    )
