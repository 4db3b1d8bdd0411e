"""Harvesting files end to end: raw records, normalised records, copies, works, runs."""

import io
import re
import shutil
from collections import Counter

import pymarc
import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from catalogue import dedup
from catalogue.models import Item, Record, RecordKey, Work
from connectors.models import Connector, HarvestRun, RunStatus, SiteCode, SourceRecord
from connectors.services import (
    HarvestError,
    claim_run,
    due_connectors,
    harvest_connector,
    renormalize,
)
from tests.connectors import DATA

COTES8 = DATA / "marc" / "cotes8.mrc"  # 35 real UNIMARC records with 995 copies
PRIDE = DATA / "marc" / "pride-and-prejudice-with-many-errors.mrc"  # 383, some broken


def file_connector(library, path, **settings) -> Connector:
    return Connector.objects.create(
        library=library,
        name="Export",
        driver="marc_file",
        settings={"path": str(path), **settings},
        item_mapping={"preset": "koha_unimarc_995"},
    )


def counts(run) -> dict:
    return {
        n: getattr(run, n)
        for n in ("read", "created", "updated", "unchanged", "deleted", "rejected")
    }


def groups() -> set[tuple[str, ...]]:
    """Works as the sets of source identifiers they hold (independent of row ids)."""
    out: dict[int, list[str]] = {}
    for work_id, local_id in Record.objects.values_list("work_id", "source__local_id"):
        out.setdefault(work_id, []).append(local_id)
    return {tuple(sorted(ids)) for ids in out.values()}


def test_harvesting_a_unimarc_export_creates_records_copies_and_works(cast):
    connector = file_connector(cast.library_a, COTES8)
    SiteCode.objects.create(connector=connector, code="751072303", site=cast.site_a)
    run = harvest_connector(connector)
    assert run.status == RunStatus.COMPLETED, run.error
    assert counts(run) == {
        "read": 35,
        "created": 35,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "rejected": 0,
    }
    assert Record.objects.filter(library=cast.library_a).count() == 35
    assert Work.objects.count() == len(groups()) > 0
    first = Record.objects.get(source__local_id="054273242")
    assert first.title == "Traité de la science des finances"
    assert first.doc_type == "book"
    items = Item.objects.filter(record=first)
    assert {i.barcode for i in items} == {"00000001158900", "00000001158899"}
    assert all(i.site_id == cast.site_a.pk for i in items)
    assert run.unknown_site_codes == {}


def test_unknown_site_codes_are_reported_and_copies_kept(cast):
    run = harvest_connector(file_connector(cast.library_a, COTES8))
    assert run.unknown_site_codes == {"751072303": Item.objects.count()}
    assert Item.objects.filter(site__isnull=True).count() == Item.objects.count() > 0


def test_reharvesting_an_unchanged_export_changes_nothing(cast):
    connector = file_connector(cast.library_a, COTES8)
    harvest_connector(connector)
    before = (
        set(Work.objects.values_list("pk", flat=True)),
        set(Record.objects.values_list("pk", "work_id")),
        Item.objects.count(),
        RecordKey.objects.count(),
    )
    run = harvest_connector(connector)
    assert counts(run) == {
        "read": 35,
        "created": 0,
        "updated": 0,
        "unchanged": 35,
        "deleted": 0,
        "rejected": 0,
    }
    assert run.missing == 0
    after = (
        set(Work.objects.values_list("pk", flat=True)),
        set(Record.objects.values_list("pk", "work_id")),
        Item.objects.count(),
        RecordKey.objects.count(),
    )
    assert after == before


def _rewrite(src, dst, *, drop: int | None = None, retitle: tuple[int, str] | None = None):
    with open(src, "rb") as f:
        records = list(pymarc.MARCReader(f, to_unicode=True, force_utf8=True))
    out = io.BytesIO()
    for position, record in enumerate(records, start=1):
        if position == drop:
            continue
        if retitle and position == retitle[0]:
            record["200"]["a"] = retitle[1]
        out.write(record.as_marc())
    dst.write_bytes(out.getvalue())


def test_a_changed_record_is_updated_and_a_removed_one_leaves_the_catalogue(cast, tmp_path):
    path = tmp_path / "export.mrc"
    _rewrite(COTES8, path)
    connector = file_connector(cast.library_a, path)
    harvest_connector(connector)
    removed = Record.objects.order_by("pk")[2]
    removed_work = removed.work_id
    others_in_work = Record.objects.filter(work_id=removed_work).exclude(pk=removed.pk).count()
    _rewrite(COTES8, path, drop=3, retitle=(1, "Traité des finances publiques"))
    run = harvest_connector(connector)
    assert (run.updated, run.unchanged, run.missing) == (1, 33, 1)
    assert run.read == 34
    assert Record.objects.get(source__local_id="054273242").title == "Traité des finances publiques"
    assert not Record.objects.filter(pk=removed.pk).exists()
    assert SourceRecord.objects.get(pk=removed.source_id).deleted
    # The record leaves its work; a work left empty disappears, otherwise it shrinks.
    assert Record.objects.filter(work_id=removed_work).count() == others_in_work
    assert Work.objects.filter(pk=removed_work).exists() == (others_in_work > 0)


def test_bad_records_are_quarantined_with_their_reason_and_the_run_goes_on(cast):
    run = harvest_connector(file_connector(cast.library_a, PRIDE))
    assert run.status == RunStatus.COMPLETED
    # The file repeats some records byte for byte: read once, then unchanged.
    assert run.read == 383 == run.created + run.unchanged + run.updated + run.rejected
    assert run.rejected > 0
    quarantined = SourceRecord.objects.exclude(rejected_reason="")
    assert 0 < quarantined.count() <= run.rejected  # a record repeated in the file is kept once
    assert all(r.rejected_reason for r in quarantined)
    assert all(bytes(r.payload) for r in quarantined)
    assert not Record.objects.filter(source__in=quarantined).exists()


def test_editions_of_one_novel_are_grouped_into_one_work(cast):
    harvest_connector(file_connector(cast.library_a, PRIDE))
    austen = Record.objects.filter(
        title__iexact="Pride and prejudice", main_author__startswith="Austen", doc_type="book"
    )
    main = Counter(austen.values_list("work_id", flat=True)).most_common(1)[0][0]
    assert austen.filter(work_id=main).count() > 10
    # The others are retellings ("abridged by", "retold by"): works of their own.
    assert all(dedup.adapter(r.responsibility) for r in austen.exclude(work_id=main))
    assert Work.objects.get(pk=main).record_count >= austen.filter(work_id=main).count()


def test_only_one_run_per_connector_at_a_time(cast):
    connector = file_connector(cast.library_a, COTES8)
    claim_run(connector)  # alive: this very process
    with pytest.raises(HarvestError, match="déjà en cours"):
        claim_run(connector)


def test_a_run_whose_process_died_is_resumed(cast):
    connector = file_connector(cast.library_a, COTES8, batch_size=50)
    run = claim_run(connector)
    HarvestRun.objects.filter(pk=run.pk).update(worker="nowhere:1")  # not this host: by age
    HarvestRun.objects.filter(pk=run.pk).update(worker=f"{_hostname()}:999999")  # dead pid
    resumed = harvest_connector(connector)
    assert resumed.pk == run.pk
    assert resumed.resumed == 1
    assert resumed.status == RunStatus.COMPLETED
    assert resumed.created == 35


def _hostname():
    import socket

    return socket.gethostname()


def test_harvest_command_takes_a_one_off_file_and_prints_one_summary_line(cast, tmp_path):
    out = io.StringIO()
    call_command("harvest", "--library", cast.library_a.slug, "--file", str(COTES8), stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert re.search(
        r"read=35 created=35 updated=0 unchanged=0 deleted=0 rejected=0$",
        lines[-2] if "unknown" in lines[-1] else lines[-1],
    )
    connector = Connector.objects.get(library=cast.library_a, driver="marc_file")
    out = io.StringIO()
    call_command("harvest", str(connector.pk), stdout=out)  # reads its last file again
    assert "read=35 created=0 updated=0 unchanged=35" in out.getvalue()
    assert connector.runs.count() == 2


def test_harvest_command_fails_clearly_on_a_missing_file(cast):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("harvest", "--library", cast.library_a.slug, "--file", "/nonexistent.mrc")


def test_due_connectors_follow_their_schedule(cast):
    daily = file_connector(cast.library_a, COTES8)
    manual = Connector.objects.create(
        library=cast.library_b, name="Manuel", driver="marc_file", schedule="manual",
        settings={"path": str(COTES8)},
    )  # fmt: skip
    assert due_connectors() == [daily]
    call_command("harvest", "--due", stdout=io.StringIO())
    assert daily.runs.get().status == RunStatus.COMPLETED
    assert not manual.runs.exists()
    assert due_connectors() == []


def test_consecutive_failures_alert_the_network_administrators(
    cast, settings, django_capture_on_commit_callbacks
):
    cast.network_admin.email = "coord@example.org"
    cast.network_admin.save()
    connector = file_connector(cast.library_a, "/nonexistent/export.mrc")
    for _ in range(settings.HARVEST_ALERT_AFTER_FAILURES):
        with django_capture_on_commit_callbacks(execute=True):
            run = harvest_connector(connector)
        assert run.status == RunStatus.FAILED
        assert "Fichier illisible" in run.error
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["coord@example.org"]
    assert "Export" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        harvest_connector(connector)
    assert len(mail.outbox) == 1  # one alert per streak


def test_renormalize_describes_records_again_from_raw_records(cast):
    connector = file_connector(cast.library_a, COTES8)
    harvest_connector(connector)
    works = set(Record.objects.values_list("work_id", flat=True))
    Record.objects.update(title="abîmé")
    totals = renormalize(connector)
    assert totals == {"updated": 35, "rejected": 0}
    assert not Record.objects.filter(title="abîmé").exists()
    assert set(Record.objects.values_list("work_id", flat=True)) == works
    out = io.StringIO()
    call_command("renormalize", str(connector.pk), stdout=out)
    assert "updated=35" in out.getvalue()


def test_a_marcxml_export_is_harvested_too(cast, tmp_path):
    path = tmp_path / "export.xml"
    shutil.copy(DATA / "marc" / "batch.xml", path)
    run = harvest_connector(file_connector(cast.library_a, path))
    assert run.status == RunStatus.COMPLETED
    assert run.created == 2


def test_a_file_holding_an_identifier_twice_keeps_the_first_and_rereads_unchanged(cast, tmp_path):
    # Real Library of Congress records: the last of chabon-loc.mrc and summerland.mrc are
    # two different records of Summerland under one 001, 12883376.
    path = tmp_path / "export.mrc"
    path.write_bytes(
        (DATA / "dedup" / "chabon-loc.mrc").read_bytes()
        + (DATA / "marc" / "summerland.mrc").read_bytes()
    )
    connector = file_connector(cast.library_a, path)
    first = harvest_connector(connector)
    assert (first.read, first.created, first.rejected) == (3, 2, 1)
    kept = SourceRecord.objects.get(local_id="12883376")
    double = SourceRecord.objects.exclude(rejected_reason="").get()
    assert "en double" in double.rejected_reason
    again = harvest_connector(connector)
    assert counts(again) == {
        "read": 3,
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "deleted": 0,
        "rejected": 1,
    }
    assert SourceRecord.objects.get(pk=kept.pk).checksum == kept.checksum


def _snapshot():
    works = {}
    for work_id, local_id in Record.objects.values_list("work_id", "source__local_id"):
        works.setdefault(work_id, []).append(local_id)
    return (
        sorted(sorted(ids) for ids in works.values()),
        sorted(Record.objects.values_list("source__local_id", "title", "doc_type", "year")),
        sorted(Item.objects.values_list("record__source__local_id", "barcode")),
        sorted(SourceRecord.objects.values_list("local_id", "checksum", "rejected_reason")),
    )


def test_parsing_in_a_separate_process_gives_the_same_catalogue(
    cast, settings, monkeypatch, tmp_path
):
    from connectors.services import LookAhead

    path = tmp_path / "export.mrc"
    path.write_bytes(COTES8.read_bytes() + PRIDE.read_bytes())
    from connectors import services

    monkeypatch.setattr(LookAhead, "MIN_BATCH", 50)
    pools = []

    class CountedPool(services.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(services, "ProcessPoolExecutor", CountedPool)
    results = []
    for processes in (0, 1):
        settings.HARVEST_PARSE_PROCESSES = processes
        connector = file_connector(cast.library_a, path, batch_size=50)
        run = harvest_connector(connector)
        assert run.status == RunStatus.COMPLETED, run.error
        results.append((counts(run), _snapshot()))
        connector.delete()
        Work.objects.all().delete()
    assert len(pools) == 1  # the second harvest parsed in another process
    assert results[0] == results[1]
