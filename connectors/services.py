"""Harvesting: starting a run (one per connector at a time), running it batch by batch,
resuming a run whose process died, finishing it, and telling people when it fails."""

import logging
import multiprocessing
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from catalogue import dedup
from connectors import registry
from connectors.base import Checkpoint, ConnectorError, Driver, HarvestedRecord, ResumptionLost
from connectors.ingest import Ingest, remove_records
from connectors.models import (
    ACTIVE_STATUSES,
    Connector,
    HarvestRun,
    RunStatus,
    Schedule,
    SourceRecord,
)
from connectors.parsing import parse_many

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=15)  # a run without heartbeat for this long is dead
DONE = "_done"


class HarvestError(Exception):
    """A harvest cannot start; the message is French, for staff."""


def check_harvests(connector: Connector) -> None:
    """Raise :class:`HarvestError` when the connector's driver does not harvest (a SIP2 or
    ILS-DI connector only answers live questions about copies)."""
    driver = connector.driver_class
    if not driver.supports("harvest"):
        raise HarvestError(
            f"Le connecteur « {connector.name} » ({driver.label}) ne moissonne pas de "
            "notices : il sert seulement à la disponibilité en direct des exemplaires."
        )


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead(run: HarvestRun, now) -> bool:
    if run.heartbeat_at is None or now - run.heartbeat_at > STALE_AFTER:
        return True
    host, _, pid = run.worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def request_harvest(
    connector: Connector,
    *,
    actor=None,
    full: bool = False,
    source_file: str = "",
    removes_missing: bool | None = None,
):
    """Queue a harvest for the worker ("Moissonner maintenant"). ``removes_missing``:
    whether records absent from a complete harvest leave the catalogue (by default, as
    the connector says). Raises :class:`HarvestError` when one is already queued or
    running."""
    from connectors.tasks import run_harvest_task

    check_harvests(connector)
    try:
        with transaction.atomic():
            run = HarvestRun.objects.create(
                connector=connector,
                full=full,
                source_file=source_file,
                removes_missing=(
                    _source_is_complete(connector) if removes_missing is None else removes_missing
                ),
                status=RunStatus.QUEUED,
            )
    except IntegrityError:
        raise HarvestError(
            "Une moisson de ce connecteur est déjà en attente ou en cours."
        ) from None
    log.info("harvest of connector %s queued by user %s", connector.pk, getattr(actor, "pk", None))
    transaction.on_commit(lambda: run_harvest_task.enqueue(run.pk))
    return run


def claim_run(connector: Connector, *, full: bool = False, source_file: str = "") -> HarvestRun:
    """The run this process will carry out: the queued one, a dead one to resume, or a new
    one. Raises :class:`HarvestError` when another live process is harvesting, or when the
    connector's driver does not harvest."""
    check_harvests(connector)
    now = timezone.now()
    with transaction.atomic():
        connector = Connector.objects.select_for_update().get(pk=connector.pk)
        active = (
            HarvestRun.objects.select_for_update()
            .filter(connector=connector, status__in=ACTIVE_STATUSES)
            .first()
        )
        if active is not None and active.status == RunStatus.RUNNING:
            if not is_dead(active, now):
                raise HarvestError(
                    f"Une moisson de « {connector.name} » est déjà en cours "
                    f"(depuis le {timezone.localtime(active.started_at):%d/%m/%Y à %H:%M})."
                )
            active.resumed += 1
            log.warning("resuming interrupted harvest run %s", active.pk)
        elif active is None:
            active = HarvestRun(
                connector=connector,
                full=full,
                source_file=source_file or last_file(connector),
                removes_missing=_source_is_complete(connector),
            )
        else:  # queued by the back-office or the scheduler
            active.full = active.full or full
            active.source_file = active.source_file or source_file
        if active.status != RunStatus.RUNNING:
            incremental = connector.driver_class.incremental and connector.next_since
            if active.full or not incremental:
                active.full, active.since = True, ""
            else:
                active.since = connector.next_since
            active.started_at = now
        active.status = RunStatus.RUNNING
        active.worker = worker_id()
        active.heartbeat_at = now
        active.save()
        return active


def _source_is_complete(connector: Connector) -> bool:
    # A file connector's setting "the file holds the whole catalogue"; other sources are.
    return connector.settings.get("complete", True) is not False


def last_file(connector: Connector) -> str:
    """A file connector without a path of its own reads its last uploaded file again."""
    driver = connector.driver_class
    if not driver.takes_uploads or driver.runs_unattended(connector.settings):
        return ""
    last = connector.runs.exclude(source_file="").order_by("-created_at").first()
    return last.source_file if last else ""


def driver_for(connector: Connector, source_file: str = "") -> Driver:
    """The connector's driver, reading ``source_file`` (an uploaded export) if given."""
    settings_ = dict(connector.settings)
    if source_file:
        settings_["path"] = source_file
    return connector.driver_class(settings_)


def harvest_upload(connector: Connector, upload, *, actor=None, complete: bool = True):
    """Keep an uploaded export (outside the served media) and queue its harvest."""
    folder = Path(settings.HARVEST_UPLOAD_DIR) / str(connector.pk)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}{Path(upload.name).suffix[:10]}"
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return request_harvest(
        connector, actor=actor, full=True, source_file=str(target), removes_missing=complete
    )


def file_connector(library) -> Connector:
    """The library's connector for export files, created (on demand only) if it has none."""
    connector = library.connectors.filter(driver="marc_file").order_by("pk").first()
    if connector is None:
        connector = Connector.objects.create(
            library=library, name="Export MARC", driver="marc_file", schedule=Schedule.MANUAL
        )
    return connector


def harvest_connector(
    connector: Connector,
    *,
    full: bool = False,
    source_file: str = "",
    progress: Callable[[HarvestRun], None] | None = None,
) -> HarvestRun:
    """Harvest ``connector`` now, in this process (resuming an interrupted run if there
    is one). Returns the finished run — completed, or failed with its error."""
    run = claim_run(connector, full=full, source_file=source_file)
    return execute_run(run, progress=progress)


def execute_run(run: HarvestRun, *, progress=None) -> HarvestRun:
    """Carry out a claimed run: batch by batch from the driver, each stored with its
    checkpoint; then :func:`finish_run`. A failure of the source fails the run."""
    connector = run.connector
    ingest = Ingest(run)
    try:
        if not run.resume.get(DONE):
            resumed_from = dict(run.resume)
            try:
                _harvest_batches(ingest, driver_for(connector, run.source_file), progress)
            except ResumptionLost:
                if not resumed_from:
                    raise  # lost while harvesting from the start: the source is failing
                # The source forgot where we were (an expired token while the process was
                # down): go through it again from the start; what is already stored reads
                # as unchanged.
                log.warning("harvest run %s: resume point lost, starting over", run.pk)
                HarvestRun.objects.filter(pk=run.pk).update(resume={})
                ingest.run.resume = {}
                _harvest_batches(ingest, driver_for(connector, run.source_file), progress)
        return finish_run(ingest.run)
    except ConnectorError as error:
        return fail_run(ingest.run, error.message)
    except Exception as error:
        log.exception("harvest run %s crashed", run.pk)
        fail_run(
            ingest.run,
            f"Erreur interne ({type(error).__name__}) ; l'équipe technique est prévenue.",
        )
        raise


def _harvest_batches(ingest: Ingest, driver, progress) -> None:
    run = ingest.run
    with LookAhead(ingest, progress) as pipeline:
        batch = []
        for entry in driver.harvest(since=run.since, resume=run.resume or None):
            if isinstance(entry, Checkpoint):
                resume = dict(entry.resume)
                if entry.done:
                    resume = {DONE: True, "next_since": entry.next_since}
                pipeline.push(batch, resume)
                batch = []
            else:
                batch.append(entry)
        if batch:  # a driver that forgot its last checkpoint: nothing is lost
            pipeline.push(batch, {DONE: True, "next_since": ""})


class LookAhead:
    """Stores batches in order; with ``HARVEST_PARSE_PROCESSES``, a separate process parses
    and normalises batch N+1 while batch N is written to the database (the two halves of a
    harvest's work, on two cores). Batches too small to be worth a process are parsed here.
    """

    MIN_BATCH = 500

    def __init__(self, ingest: Ingest, progress=None):
        self.ingest, self.progress = ingest, progress
        self.pool: ProcessPoolExecutor | None = None
        self.pending = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                self._flush()
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
        return False

    def push(self, batch, resume) -> None:
        processes = settings.HARVEST_PARSE_PROCESSES
        if processes and self.pool is None and len(batch) >= self.MIN_BATCH:
            spawn = multiprocessing.get_context("spawn")  # no inherited database connection
            self.pool = ProcessPoolExecutor(processes, mp_context=spawn)
        if self.pool is None:
            self._flush()
            self._store(batch, resume)
            return
        digests, todo = self.ingest.to_parse(batch)
        future = self.pool.submit(
            parse_many, [(batch[p], digests[p]) for p in todo], self.ingest.connector.item_mapping
        )
        self._flush()
        self.pending = (batch, resume, digests, todo, future)

    def _flush(self) -> None:
        if self.pending is None:
            return
        batch, resume, digests, todo, future = self.pending
        self.pending = None
        parsed = dict(zip(todo, future.result(), strict=True))
        self._store(batch, resume, digests=digests, parsed=parsed)

    def _store(self, batch, resume, **ahead) -> None:
        self.ingest.store(batch, resume, **ahead)
        if self.progress:
            self.progress(self.ingest.run)


def finish_run(run: HarvestRun) -> HarvestRun:
    """Remove what a complete harvest did not see, then mark the run completed."""
    connector = run.connector
    with transaction.atomic():
        run = HarvestRun.objects.select_for_update().get(pk=run.pk)
        if run.full and run.removes_missing:
            absent = SourceRecord.objects.filter(connector=connector, deleted=False).exclude(
                last_run=run
            )
            quarantined = absent.exclude(rejected_reason="")
            # A record whose last version was quarantined still describes its previous
            # one: removed (with its tombstone) before its source goes.
            left = remove_records(list(quarantined.values_list("pk", flat=True)))
            quarantined.delete()
            dedup.settle((), left_works=left)
            ids = list(absent.values_list("pk", flat=True))
            for start in range(0, len(ids), 2000):
                chunk = ids[start : start + 2000]
                left = remove_records(chunk)
                SourceRecord.objects.filter(pk__in=chunk).update(deleted=True)
                dedup.settle((), left_works=left)
            run.missing = len(ids)
        run.status = RunStatus.COMPLETED
        run.finished_at = timezone.now()
        run.next_since = run.resume.get("next_since", "")
        run.save()
        Connector.objects.filter(pk=connector.pk).update(
            consecutive_failures=0,
            **({"next_since": run.next_since} if run.next_since else {}),
        )
    log.info("harvest run %s completed: %s", run.pk, run.summary())
    index_changed_works()
    if run.source_file:
        forget_older_uploads(run)
    return run


def forget_older_uploads(run: HarvestRun) -> None:
    """Once an uploaded export is harvested, the connector's earlier uploads are deleted:
    only the last one is kept (it is what "Moissonner maintenant" reads again)."""
    folder = Path(settings.HARVEST_UPLOAD_DIR) / str(run.connector_id)
    kept = Path(run.source_file)
    if kept.parent != folder:
        return  # a file the library keeps elsewhere (a path setting, --file): not ours
    for upload in folder.iterdir():
        if upload != kept and upload.is_file():
            upload.unlink(missing_ok=True)


def fail_run(run: HarvestRun, message: str) -> HarvestRun:
    with transaction.atomic():
        run = HarvestRun.objects.select_for_update().get(pk=run.pk)
        run.status = RunStatus.FAILED
        run.error = message
        run.finished_at = timezone.now()
        run.save()
        connector = Connector.objects.select_for_update().get(pk=run.connector_id)
        connector.consecutive_failures += 1
        connector.save(update_fields=["consecutive_failures"])
        if connector.consecutive_failures == settings.HARVEST_ALERT_AFTER_FAILURES:
            transaction.on_commit(lambda: alert_failing_connector(connector, run))
    log.warning("harvest run %s failed: %s", run.pk, message)
    index_changed_works()  # what the committed batches changed is in the catalogue
    return run


def index_changed_works() -> None:
    """The search documents of the works harvests changed (catalogue.search), once each."""
    from catalogue import search

    indexed = search.index_pending()
    if indexed:
        log.info("search documents written for %s works", indexed)


def network_admin_emails() -> list[str]:
    """Where alerts about connectors go: the active network administrators' addresses."""
    from accounts.models import Role, User

    return list(
        User.objects.filter(role=Role.NETWORK_ADMIN, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def alert_failing_connector(connector: Connector, run: HarvestRun) -> None:
    """E-mail the network administrators: this connector failed several times in a row."""
    recipients = network_admin_emails()
    if not recipients:
        return
    send_mail(
        subject=f"[Métrobib] Moissons en échec : {connector}",
        message=(
            f"Le connecteur « {connector.name} » de {connector.library} a échoué "
            f"{connector.consecutive_failures} fois de suite.\n\n"
            f"Dernière erreur : {run.error}\n\n"
            "Consultez les moissons dans l'administration de Métrobib (Catalogue › Moissons)."
        ),
        from_email=None,
        recipient_list=recipients,
    )


def can_harvest_on_its_own(connector: Connector) -> bool:
    """Whether a harvest can run without a file being given (a file connector needs a
    path of its own or a file uploaded before). Never for a driver that does not harvest."""
    driver = connector.driver_class
    if not driver.supports("harvest"):
        return False
    return driver.runs_unattended(connector.settings) or bool(last_file(connector))


def due_connectors(now=None, capability: str = "harvest") -> list[Connector]:
    """Enabled connectors whose schedule says a run is due and that have no active run:
    harvests by default, calendar imports with ``capability="events"``."""
    now = timezone.localtime(now or timezone.now())
    periods = {
        Schedule.HOURLY: timedelta(hours=1),
        Schedule.DAILY: timedelta(days=1),
        Schedule.WEEKLY: timedelta(days=7),
    }
    connectors = (
        Connector.objects.filter(enabled=True)
        .exclude(schedule=Schedule.MANUAL)
        .exclude(runs__status__in=ACTIVE_STATUSES)
        .annotate(last_run_at=Max("runs__created_at"))
    )
    return [
        connector
        for connector in connectors
        if connector.driver in registry_names(capability)
        and (capability != "harvest" or can_harvest_on_its_own(connector))
        # Slightly less than the period, so a nightly cron at a fixed hour never skips a day.
        and (
            connector.last_run_at is None
            or now - connector.last_run_at >= periods[connector.schedule] * 0.9
        )
    ]


def registry_names(capability: str) -> set[str]:
    return {name for name, _ in registry.driver_choices(capability)}


def renormalize(connector: Connector, *, progress: Callable[[int], None] | None = None) -> dict:
    """Describe again every record of ``connector`` from the raw records already held
    (after the normalisation rules or the item mapping changed), without harvesting.
    Returns the counts (updated, rejected). Runs in batches; safe to interrupt and rerun."""
    ingest = Ingest(None, connector=connector, force=True)
    totals = {"updated": 0, "rejected": 0, "created": 0}
    ids = list(
        SourceRecord.objects.filter(connector=connector, deleted=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), 1000):
        rows = SourceRecord.objects.filter(pk__in=ids[start : start + 1000]).order_by("pk")
        batch = [
            HarvestedRecord(
                payload=bytes(row.payload),
                format=row.format,
                local_id=row.local_id,
                datestamp=row.datestamp,
            )
            for row in rows
        ]
        counts = ingest.store(batch, {})
        for name in totals:
            totals[name] += counts[name]
        if progress:
            progress(len(batch))
    index_changed_works()
    # A record described for the first time (it was rejected before) counts as updated.
    totals["updated"] += totals.pop("created")
    return totals
