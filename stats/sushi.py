"""Harvesting vendors' COUNTER reports by SUSHI, one report × one month per request,
with the state of each (connector, report, release, month) in :class:`~stats.models.SushiMonth`.

What each answer leads to (COUNTER.md §2; the codes' groups are ``stats.counter.codes``):

=====================  ==============================================================
data, or 0 / 1–999     imported; the month is done
3050–3071              imported, flagged "parameters ignored"; done
3031, 3040             what came is imported; asked again after 1, 2, 4, 8, 8… days,
                       accepted as final after ``PARTIAL_MAX_ATTEMPTS``
3030 (or no items)     empty-month marker; asked again ``EMPTY_RETRIES`` times a week
                       apart (vendors say 3030 for "not ready"), then final
3032 (R5: 3000/3010)   never asked again
1000, 1010, 1011, 5xx  backoff 1 h, 2 h, 4 h… up to a day; after
                       ``BACKOFF_MAX_ATTEMPTS`` the month fails and is tried weekly
1020, HTTP 429         the whole server pauses (Retry-After or an hour); the run stops
1030                   settings incomplete: the source is blocked until staff fix it
3020                   the month fails, tried again in a week
2000–2030, HTTP 401/3  credentials refused: the source is blocked, network
                       administrators are e-mailed, the run stops
malformed report       kept as a rejected report with its reason; the month fails
=====================  ==============================================================

The current month is never asked, nor a month after the server's Last_Month_Available
(R5.1 ``/r51/reports``) or before its First_Month_Available. Each run is recorded as a
:class:`~connectors.models.HarvestRun` of the connector (read = requests, created =
reports imported, unchanged = months without new data, rejected = failures), which is
also what ``due_connectors`` schedules by.
"""

import logging
from datetime import date, datetime, timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from connectors.base import ConnectorError
from connectors.models import ACTIVE_STATUSES, Connector, HarvestRun, RunStatus
from connectors.services import (
    due_connectors,
    fail_run,
    is_dead,
    network_admin_emails,
    worker_id,
)
from stats.counter import codes
from stats.counter.codes import Action
from stats.counter.normalise import decode_json, recase
from stats.counter.reading import read_json
from stats.counter.report import CounterError, NoUsageData, month_of, next_month
from stats.imports import import_counter_file
from stats.models import CounterSource, SushiMonth, SushiSource

log = logging.getLogger(__name__)

CAPABILITY = "usage_reports"
MAX_REQUESTS_PER_RUN = 48
EMPTY_RETRIES = 3
EMPTY_RETRY_AFTER = timedelta(days=7)
PARTIAL_MAX_ATTEMPTS = 6
PARTIAL_MAX_GAP = timedelta(days=8)
BACKOFF_FIRST = timedelta(hours=1)
BACKOFF_MAX_GAP = timedelta(days=1)
BACKOFF_MAX_ATTEMPTS = 6
FAILED_RETRY_AFTER = timedelta(days=7)
COOL_DOWN = timedelta(hours=1)
OPEN_STATES = (
    SushiMonth.State.PENDING,
    SushiMonth.State.PARTIAL,
    SushiMonth.State.EMPTY,
    SushiMonth.State.WAITING,
    SushiMonth.State.FAILED,
)


class Stop(Exception):
    """The server as a whole refuses (credentials, settings, rate limit): end the run."""


def last_complete_month(now: datetime) -> date:
    today = timezone.localtime(now).date()
    return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)


def due_sources(now=None) -> list[SushiSource]:
    """The SUSHI sources whose connector's schedule says a harvest is due."""
    connectors = due_connectors(now, capability=CAPABILITY)
    return list(
        SushiSource.objects.filter(connector__in=connectors).select_related("connector", "resource")
    )


def harvest_source(source: SushiSource, *, now: datetime | None = None, driver=None) -> HarvestRun:
    """Ask the server for every due (report, month) of ``source``, at most
    ``MAX_REQUESTS_PER_RUN``, newest first. Returns the run (failed when the source is
    blocked or stopped). Never raises for what the server answers."""
    now = now or timezone.now()
    run, started = _start_run(source.connector, now)
    if not started:  # another live process is harvesting this connector
        return run
    tally = {"created": 0, "unchanged": 0, "rejected": 0}
    notes: list[str] = []
    if source.blocked:
        return _end(run, tally, [f"Moisson arrêtée : {source.blocked_reason}"], failed=True)
    if source.cool_down_until and source.cool_down_until > now:
        when = timezone.localtime(source.cool_down_until)
        return _end(run, tally, [f"Serveur en pause jusqu'au {when:%d/%m/%Y à %H:%M} (1020)."])
    try:
        return _harvest(run, source, tally, notes, now=now, driver=driver)
    except Exception as error:
        log.exception("SUSHI harvest run %s crashed", run.pk)
        notes.append(f"Erreur interne ({type(error).__name__}) ; l'équipe technique est prévenue.")
        _end(run, tally, notes, failed=True)
        raise


def _start_run(connector, now: datetime) -> tuple[HarvestRun, bool]:
    """(a new running run, True), or (the live one another process holds, False); a run
    whose process died (connectors.services.is_dead) is failed first, so that it cannot
    block the connector."""
    for _ in range(2):
        try:
            with transaction.atomic():
                run = HarvestRun.objects.create(
                    connector=connector, full=False, status=RunStatus.RUNNING, started_at=now,
                    worker=worker_id(), heartbeat_at=now,
                )  # fmt: skip
                return run, True
        except IntegrityError:
            active = connector.runs.filter(status__in=ACTIVE_STATUSES).first()
            if active is None:
                continue
            if not is_dead(active, timezone.now()):
                log.info("SUSHI harvest of connector %s already running", connector.pk)
                return active, False
            fail_run(active, "Moisson interrompue (processus arrêté).")
    raise RuntimeError(f"could not start a SUSHI harvest of connector {connector.pk}")


def _harvest(run, source, tally, notes, *, now, driver) -> HarvestRun:
    driver = driver or source.connector.get_driver()
    last = last_complete_month(now)
    windows = _windows(driver, notes)
    failed = False
    try:
        _plan(source, driver, last, windows, now)
        due = SushiMonth.objects.filter(
            Q(state=SushiMonth.State.PENDING, next_attempt_at__isnull=True)
            | Q(state__in=OPEN_STATES, next_attempt_at__lte=now),
            source=source,
            release=driver.release,
            month__lte=last,
        ).order_by("-month", "report_code")
        skipped_reports: set[str] = set()
        for month_state in due[:MAX_REQUESTS_PER_RUN]:
            if month_state.report_code in skipped_reports:
                continue
            outcome = harvest_month(source, month_state, driver=driver, now=now)
            tally[outcome] += 1
            HarvestRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
            if month_state.state == SushiMonth.State.FAILED and month_state.last_code == 404:
                skipped_reports.add(month_state.report_code)
    except Stop as stop:
        tally["rejected"] += 1
        notes.append(str(stop))
        failed = True
    SushiSource.objects.filter(pk=source.pk).update(last_harvest_at=now)
    return _end(run, tally, notes, failed=failed)


def _end(run: HarvestRun, tally: dict, notes: list[str], *, failed: bool = False) -> HarvestRun:
    """Record the tallies and end the run as the catalogue's harvests end: a failure
    counts towards the connector's alert (connectors.services.fail_run), a success
    resets it."""
    run.created, run.unchanged, run.rejected = (
        tally["created"],
        tally["unchanged"],
        tally["rejected"],
    )
    run.read = run.created + run.unchanged + run.rejected
    if failed:
        run.save(update_fields=["created", "unchanged", "rejected", "read"])
        return fail_run(run, "\n".join(notes))
    run.status = RunStatus.COMPLETED
    run.error = "\n".join(notes)
    run.finished_at = timezone.now()
    run.save()
    Connector.objects.filter(pk=run.connector_id).update(consecutive_failures=0)
    return run


def _windows(driver, notes: list[str]) -> dict[str, tuple[date | None, date | None]]:
    """Report_ID -> (First_Month_Available, Last_Month_Available), when the server says
    (R5.1). A failure here does not stop the harvest."""
    if driver.release != "5.1":
        return {}
    try:
        reply = driver.available_reports()
        listed = recase(decode_json(reply.content)) if reply.status_code == 200 else []
    except (ConnectorError, CounterError) as error:
        notes.append(f"Liste des rapports du serveur illisible : {error.message}")
        return {}
    if isinstance(listed, dict):
        listed = listed.get("Reports") or listed.get("Report_List") or []
    windows = {}
    for entry in listed if isinstance(listed, list) else []:
        if isinstance(entry, dict) and entry.get("Report_ID"):
            windows[str(entry["Report_ID"]).upper()] = (
                month_of(str(entry.get("First_Month_Available") or "")),
                month_of(str(entry.get("Last_Month_Available") or "")),
            )
    return windows


def _plan(source: SushiSource, driver, last: date, windows, now) -> None:
    """Create the missing month states; months before the server's first available month
    are never asked, months after its last available one wait for a later run."""
    release = driver.release
    existing = set(
        SushiMonth.objects.filter(source=source, release=release).values_list(
            "report_code", "month"
        )
    )
    new = []
    for code in source.report_ids():
        first_available, _last = windows.get(code, (None, None))
        month = source.first_month.replace(day=1)
        while month <= last:
            if (code, month) not in existing:
                state = SushiMonth(source=source, report_code=code, release=release, month=month)
                if first_available and month < first_available:
                    state.state = SushiMonth.State.UNAVAILABLE
                    state.last_message = "Antérieur au premier mois disponible chez le fournisseur."
                new.append(state)
            month = next_month(month)
    SushiMonth.objects.bulk_create(new, ignore_conflicts=True)
    for code, (_first, last_available) in windows.items():
        if last_available:
            SushiMonth.objects.filter(
                source=source, report_code=code, release=release, month__gt=last_available,
                state__in=OPEN_STATES,
            ).update(next_attempt_at=now + timedelta(days=1))  # fmt: skip


def harvest_month(source: SushiSource, state: SushiMonth, *, driver, now: datetime) -> str:
    """Ask one (report, month) and act on the answer; returns which count of the run it
    adds to (``created``, ``unchanged`` or ``rejected``). Raises :class:`Stop` when the
    whole server refuses."""
    state.attempts += 1
    state.last_attempt_at = now
    try:
        reply = driver.fetch_report(state.report_code, state.month)
    except ConnectorError as error:
        if error.retryable:
            _backoff(state, now, error.message, code=None)
            return "unchanged"
        _fail(state, now, error.message, code=None)
        raise Stop(error.message) from None
    try:
        parsed = read_json(reply.content)
    except NoUsageData as error:
        found = {e.code for e in error.exceptions}
        action = codes.decide(found, has_data=False) if found else _by_status(reply.status_code)
        code = min(found) if found else reply.status_code
        return _act(source, state, action, now, error.message, code, reply)
    except CounterError as error:
        # A 4xx/5xx without a readable exception: the status says what to do. No payload
        # at all (a 202 "queued", a 200 with nothing) is a report not ready: ask later.
        if reply.status_code >= 400 or not reply.content.strip():
            message = f"HTTP {reply.status_code} sans exception COUNTER lisible."
            action = Action.BACKOFF if reply.status_code < 400 else _by_status(reply.status_code)
            return _act(source, state, action, now, message, reply.status_code, reply)
        report = import_counter_file(
            source.resource, reply.content, file_name=_file_name(state), source=CounterSource.SUSHI,
            connector=source.connector,
        )  # fmt: skip
        state.report = report
        _fail(state, now, error.message, code=None)
        return "rejected"
    found = parsed.codes()
    action = codes.decide(found, has_data=bool(parsed.rows))
    if action in (Action.IMPORT, Action.FLAG, Action.PARTIAL):
        report = import_counter_file(
            source.resource, reply.content, file_name=_file_name(state), source=CounterSource.SUSHI,
            connector=source.connector, parsed=parsed,
        )  # fmt: skip
        state.report = report
        state.parameters_ignored = report.parameters_ignored
        state.last_code = min(found) if found else None
        if action == Action.PARTIAL and state.attempts < PARTIAL_MAX_ATTEMPTS:
            state.state = SushiMonth.State.PARTIAL
            gap = min(timedelta(days=2 ** (state.attempts - 1)), PARTIAL_MAX_GAP)
            state.next_attempt_at = now + gap
            state.last_message = _listed(parsed.exceptions)
        else:
            state.state = SushiMonth.State.IMPORTED
            state.next_attempt_at = None
            state.last_message = _listed(parsed.exceptions) if found else ""
            if action == Action.PARTIAL:
                state.last_message += " Accepté comme définitif après plusieurs essais."
        state.save()
        return "created"
    message = _listed(parsed.exceptions)
    return _act(source, state, action, now, message, min(found) if found else None, reply)


def _act(source, state, action: Action, now, message: str, code, reply) -> str:
    state.last_code = code
    if action == Action.EMPTY:
        state.state = SushiMonth.State.EMPTY
        state.last_message = message
        state.next_attempt_at = now + EMPTY_RETRY_AFTER if state.attempts < EMPTY_RETRIES else None
        state.save()
        return "unchanged"
    if action == Action.UNAVAILABLE:
        state.state = SushiMonth.State.UNAVAILABLE
        state.last_message = message
        state.next_attempt_at = None
        state.save()
        return "unchanged"
    if action == Action.BACKOFF:
        _backoff(state, now, message, code=code)
        return "unchanged"
    if action == Action.DATES:
        _fail(state, now, message, code=code)
        return "rejected"
    if action == Action.COOL_DOWN:
        until = now + (timedelta(seconds=reply.retry_after) if reply.retry_after else COOL_DOWN)
        SushiSource.objects.filter(pk=source.pk).update(cool_down_until=until)
        source.cool_down_until = until
        state.attempts -= 1  # the server's limit, not this month's fault
        state.last_message, state.next_attempt_at = message, until
        state.save()
        raise Stop(
            f"Trop de requêtes (1020) : pause jusqu'au {timezone.localtime(until):%d/%m/%Y %H:%M}."
        )
    state.attempts -= 1
    state.last_message = message
    state.save()
    block = (
        SushiSource.Block.CREDENTIALS if action == Action.CREDENTIALS else SushiSource.Block.CONFIG
    )
    block_source(source, block, message)
    raise Stop(f"{SushiSource.Block(block).label} : {message}")


def _by_status(status: int) -> Action:
    if status in (401, 403):
        return Action.CREDENTIALS
    if status == 429:
        return Action.COOL_DOWN
    if status >= 500 or status == 202:
        return Action.BACKOFF
    return Action.DATES if status >= 400 else Action.EMPTY


def _backoff(state: SushiMonth, now, message: str, *, code) -> None:
    state.last_code, state.last_message = code, message
    if state.attempts >= BACKOFF_MAX_ATTEMPTS:
        state.state = SushiMonth.State.FAILED
        state.next_attempt_at = now + FAILED_RETRY_AFTER
    else:
        state.state = SushiMonth.State.WAITING
        state.next_attempt_at = now + min(
            BACKOFF_FIRST * 2 ** (state.attempts - 1), BACKOFF_MAX_GAP
        )
    state.save()


def _fail(state: SushiMonth, now, message: str, *, code) -> None:
    state.state = SushiMonth.State.FAILED
    state.last_code, state.last_message = code, message
    state.next_attempt_at = now + FAILED_RETRY_AFTER
    state.save()


def _listed(exceptions) -> str:
    return " ; ".join(
        f"{e.code} {codes.label(e.code)} — {e.message}".strip(" —") for e in exceptions
    )


def _file_name(state: SushiMonth) -> str:
    return f"sushi-{state.report_code.lower()}-{state.month:%Y-%m}.json"


def block_source(source: SushiSource, block: str, reason: str) -> None:
    """Stop harvesting ``source`` until staff unblock it; e-mail the network administrators
    when its credentials are refused."""
    with transaction.atomic():
        SushiSource.objects.filter(pk=source.pk).update(
            blocked=block, blocked_reason=reason, blocked_at=timezone.now()
        )
        source.blocked, source.blocked_reason = block, reason
        if block == SushiSource.Block.CREDENTIALS:
            transaction.on_commit(lambda: _alert(source, reason))
    log.warning("SUSHI source %s blocked (%s): %s", source.pk, block, reason)


def unblock_source(source: SushiSource, *, actor=None) -> SushiSource:
    """Harvest again after staff fixed the settings or the vendor the credentials."""
    SushiSource.objects.filter(pk=source.pk).update(
        blocked="", blocked_reason="", blocked_at=None, cool_down_until=None
    )
    log.info("SUSHI source %s unblocked by user %s", source.pk, getattr(actor, "pk", None))
    source.refresh_from_db()
    return source


def _alert(source: SushiSource, reason: str) -> None:
    recipients = network_admin_emails()
    if not recipients:
        return
    send_mail(
        subject=f"[Métrobib] Statistiques COUNTER : identifiants refusés ({source.resource})",
        message=(
            f"Le serveur SUSHI du connecteur « {source.connector.name} » refuse les "
            f"identifiants de Métrobib pour « {source.resource} ».\n\n{reason}\n\n"
            "La moisson est arrêtée. Corrigez les réglages du connecteur, puis reprenez la "
            "moisson dans l'administration (Statistiques › Moissons SUSHI)."
        ),
        from_email=None,
        recipient_list=recipients,
    )


def harvest_due(now=None) -> list[HarvestRun]:
    """Harvest every due SUSHI source (``manage.py harvest_counter --due``)."""
    return [harvest_source(source, now=now) for source in due_sources(now)]
