"""Storing a batch of harvested records: raw records, normalised records, copies, works.

One batch is one transaction, committed with the driver's checkpoint and the run's
counts: a process killed at any point leaves the catalogue as it was after the last
committed batch, and the next run goes on from that checkpoint (see
:mod:`connectors.services`). Raw checksums are compared before anything is parsed, so
re-reading an unchanged source costs a hash per record.
"""

import logging
from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from catalogue import dedup, deletions
from catalogue.models import Item, Record, RecordKey
from catalogue.records import NormalisedRecord
from connectors import mapping as item_mapping
from connectors.base import HarvestedRecord
from connectors.models import HarvestRun, SourceRecord
from connectors.parsing import Parsed, checksum, parse
from metrobib.bulk import insert as bulk_insert
from metrobib.bulk import insert_rows as bulk_insert_rows

log = logging.getLogger(__name__)

RECORD_FIELDS = [
    "work",
    "title", "subtitle", "part", "responsibility", "authors", "main_author", "publisher",
    "place", "year", "isbns", "eans", "issns", "language", "doc_type", "audience",
    "subjects", "summary", "series", "contents", "warnings",
]  # fmt: skip
KEY_COLUMNS = ("record_id", "key")
ITEM_COLUMNS = (
    "record_id", "library_id", "site_id", "site_code", "barcode", "call_number", "section",
    "status", "loan_category", "available", "source_item_id",
)  # fmt: skip
SOURCE_FIELDS = [
    "format", "payload", "checksum", "datestamp", "deleted", "rejected_reason",
    "last_seen_at", "last_run",
]  # fmt: skip


class Ingest:
    """Stores batches for one run. Keeps, for sources without record identifiers (files),
    the checksums of the records already held, to skip unchanged ones before parsing."""

    def __init__(self, run: HarvestRun | None, *, connector=None, force: bool = False):
        self.run = run
        self.connector = run.connector if run is not None else connector
        self.force = force  # re-describe records even when their bytes did not change
        self.library_id = self.connector.library_id
        self.mapping = item_mapping.resolve(self.connector.item_mapping)
        self.site_ids = dict(self.connector.site_codes.values_list("code", "site_id"))
        self._known: dict[str, tuple[int, bool]] | None = None
        self._seen: set[int] | None = None

    def seen_in_run(self) -> set[int]:
        """Source records this run already stored (a resumed run finds them in the
        database): a file that holds an identifier twice keeps the first record."""
        if self._seen is None:
            self._seen = set(
                SourceRecord.objects.filter(last_run=self.run).values_list("pk", flat=True)
            )
        return self._seen

    def known_checksums(self) -> dict[str, tuple[int, bool]]:
        if self._known is None:
            self._known = {
                digest: (pk, bool(reason))
                for pk, digest, reason in SourceRecord.objects.filter(
                    connector=self.connector, deleted=False
                ).values_list("pk", "checksum", "rejected_reason")
            }
        return self._known

    def _by_checksum(self, harvested: HarvestedRecord) -> bool:
        """Whether this record is recognised by its bytes alone: a file's record, whose
        identifier is only known once parsed (a protocol gives identifiers up front)."""
        return not (harvested.local_id or harvested.rejected or self.force)

    def to_parse(self, batch: list[HarvestedRecord]) -> tuple[list[str], list[int]]:
        """The checksums of ``batch`` and the positions of the records that will need
        parsing: what a parsing process can do ahead while the previous batch is stored."""
        digests = [checksum(harvested.payload) for harvested in batch]
        known = self.known_checksums() if any(map(self._by_checksum, batch)) else {}
        todo = [
            position
            for position, (harvested, digest) in enumerate(zip(batch, digests, strict=True))
            if not harvested.deleted and not (self._by_checksum(harvested) and digest in known)
        ]
        return digests, todo

    def store(
        self,
        batch: list[HarvestedRecord],
        resume: dict,
        *,
        digests: list[str] | None = None,
        parsed: dict[int, Parsed] | None = None,
    ) -> Counter:
        """Store ``batch`` and record ``resume`` as the run's checkpoint, atomically; return
        this batch's counts. ``digests``, ``parsed``: checksums of the batch and records
        already parsed elsewhere (by position), from :meth:`to_parse`."""
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # A batch commits with its checkpoint, so losing the last commits to a crash
                # only sends the next run back to an earlier checkpoint: no need to wait for
                # each commit to reach the disk.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            counts: Counter = Counter()
            unknown: Counter = Counter()
            prepared = self._prepare(batch, digests or [], parsed or {})
            for part in _without_repeated_ids(prepared):
                self._store_part(part, counts, unknown)
            if self.run is None:
                return counts
            run = HarvestRun.objects.select_for_update().get(pk=self.run.pk)
            for name in ("created", "updated", "unchanged", "deleted", "rejected"):
                setattr(run, name, getattr(run, name) + counts[name])
            run.read += len(batch)
            merged = Counter(run.unknown_site_codes)
            merged.update(unknown)
            run.unknown_site_codes = dict(merged)
            run.resume = resume
            run.heartbeat_at = timezone.now()
            run.save(
                update_fields=[
                    "created",
                    "updated",
                    "unchanged",
                    "deleted",
                    "rejected",
                    "read",
                    "unknown_site_codes",
                    "resume",
                    "heartbeat_at",
                ]  # fmt: skip
            )
            self.run = run
        return counts

    # ------------------------------------------------------------------ steps

    def _prepare(self, batch, digests: list[str], ahead: dict[int, Parsed]):
        """(harvested, checksum, parsed or None, known source pk or None) for each record;
        records of files whose checksum is known are not parsed."""
        prepared = []
        for position, harvested in enumerate(batch):
            digest = digests[position] if digests else checksum(harvested.payload)
            if self._by_checksum(harvested):
                known = self.known_checksums().get(digest)
                if known is not None:
                    prepared.append((harvested, digest, None, known))
                    continue
            parsed = None
            if not harvested.deleted:
                parsed = ahead.get(position) or parse(harvested, digest, self.mapping)
            prepared.append((harvested, digest, parsed, None))
        return prepared

    def _store_part(self, part, counts: Counter, unknown: Counter) -> None:
        now = timezone.now()
        run_id = self.run.pk if self.run is not None else None
        unchanged_ids: list[int] = []
        by_local: dict[str, tuple] = {}
        for harvested, digest, parsed, known in part:
            if known is not None:
                unchanged_ids.append(known[0])
                counts["rejected" if known[1] else "unchanged"] += 1
                continue
            local_id = harvested.local_id or (parsed.local_id if parsed else "")
            by_local[local_id] = (harvested, digest, parsed)
        existing = {
            source.local_id: source
            for source in SourceRecord.objects.filter(
                connector=self.connector, local_id__in=list(by_local)
            ).only("pk", "local_id", "checksum", "deleted", "rejected_reason", "last_run_id")
        }
        to_create: list[SourceRecord] = []
        to_update: list[SourceRecord] = []
        tombstones: list[SourceRecord] = []
        described: list[tuple[SourceRecord, Parsed]] = []
        removed_sources: list[int] = []
        for local_id, (harvested, digest, parsed) in by_local.items():
            source = existing.get(local_id)
            if (
                source is not None
                and self.run is not None
                and not harvested.local_id
                and source.checksum != digest
                and (source.pk in unchanged_ids or source.pk in self.seen_in_run())
            ):
                # Two different records of one file under one identifier: the first wins,
                # the other waits in the quarantine (so re-reading the file changes nothing).
                reason = (
                    f"identifiant {local_id} en double dans le fichier : "
                    "la première notice est gardée"
                )
                local_id = f"{local_id} (doublon {digest[:12]})"
                parsed = Parsed(local_id, reason=reason)
                source = SourceRecord.objects.filter(
                    connector=self.connector, local_id=local_id
                ).first()
            if harvested.deleted:
                counts["deleted"] += 1
                if source is not None and not source.deleted:
                    source.deleted, source.rejected_reason = True, ""
                    source.datestamp, source.last_seen_at = harvested.datestamp, now
                    source.last_run_id = run_id or source.last_run_id
                    tombstones.append(source)
                    removed_sources.append(source.pk)
                continue
            if (
                source is not None
                and not source.deleted
                and source.checksum == digest
                and not self.force
            ):
                unchanged_ids.append(source.pk)
                counts["rejected" if source.rejected_reason else "unchanged"] += 1
                continue
            if source is None:
                source = SourceRecord(connector=self.connector, local_id=local_id)
                to_create.append(source)
                outcome = "created"
            else:
                to_update.append(source)
                outcome = "created" if source.deleted else "updated"
                if (
                    self._known is not None
                    and self._known.get(source.checksum, (0,))[0] == source.pk
                ):
                    del self._known[source.checksum]  # these bytes are no longer this record's
            source.format, source.payload, source.checksum = (
                harvested.format,
                harvested.payload,
                digest,
            )
            source.datestamp, source.deleted = harvested.datestamp, False
            source.last_seen_at = now
            if run_id is not None:
                source.last_run_id = run_id
            source.rejected_reason = parsed.reason if parsed else ""
            if parsed is None or parsed.reason:
                counts["rejected"] += 1
            else:
                counts[outcome] += 1
                described.append((source, parsed))
        bulk_insert(to_create)
        SourceRecord.objects.bulk_update(to_update, SOURCE_FIELDS)
        SourceRecord.objects.bulk_update(
            tombstones, ["deleted", "rejected_reason", "datestamp", "last_seen_at", "last_run"]
        )
        if unchanged_ids and run_id is not None:
            SourceRecord.objects.filter(pk__in=unchanged_ids).update(
                last_seen_at=now, last_run_id=run_id
            )
        if self._known is not None:
            for source in to_create + to_update:
                if not source.deleted:
                    self._known[source.checksum] = (source.pk, bool(source.rejected_reason))
        if self._seen is not None:
            self._seen.update(unchanged_ids)
            self._seen.update(source.pk for source in to_create + to_update)
        left_works = remove_records(removed_sources)
        self._describe(described, unknown, left_works)

    def _describe(self, described, unknown: Counter, left_works: set[int]) -> None:
        """Write the records of this part with their work, keys and copies. Works are
        decided before the records are written, so a new record is inserted in its work
        (no second pass over the rows)."""
        if not described and not left_works:
            return
        current = {
            source_id: (pk, work_id)
            for pk, source_id, work_id in Record.objects.filter(
                source_id__in=[source.pk for source, _parsed in described]
            ).values_list("pk", "source_id", "work_id")
        }
        old_ids = [pk for pk, _work in current.values()]
        if old_ids:
            RecordKey.objects.filter(record_id__in=old_ids).delete()
            Item.objects.filter(record_id__in=old_ids).delete()
        entries, records = {}, []
        for position, (source, parsed) in enumerate(described):
            record = record_from(parsed.record, source_id=source.pk, library_id=self.library_id)
            if source.pk in current:
                record.pk, work_id = current[source.pk]
                token = ("r", record.pk)
            else:
                work_id, token = None, ("n", position)
            entries[token] = (work_id, dedup.record_keys(parsed.record))
            records.append((token, record, parsed))
        assignment, touched = dedup.assign_works(entries)
        for token, record, _parsed in records:
            record.work_id = assignment[token]
        bulk_insert([r for t, r, _p in records if t[0] == "n"])
        # bulk_update() leaves auto_now fields alone: the datestamp OAI-PMH harvesters
        # select changes by is set here, as late as possible before the batch commits.
        described_at = timezone.now()
        updated = [r for t, r, _p in records if t[0] == "r"]
        for record in updated:
            record.updated_at = described_at
        Record.objects.bulk_update(updated, [*RECORD_FIELDS, "updated_at"])
        keys, items = [], []
        for token, record, parsed in records:
            keys += [(record.pk, key) for key in entries[token][1]]
            for item in parsed.items:
                site_id = self.site_ids.get(item.site_code)
                if site_id is None:
                    unknown[item.site_code or "(sans code)"] += 1
                items.append(
                    (
                        record.pk,
                        self.library_id,
                        site_id,
                        item.site_code[:40],
                        item.barcode[:64],
                        item.call_number[:120],
                        item.section[:120],
                        item.status[:120],
                        item.loan_category[:64],
                        item.available,
                        item.item_id[:64],
                    )  # fmt: skip
                )
        bulk_insert_rows(RecordKey, KEY_COLUMNS, keys)
        bulk_insert_rows(Item, ITEM_COLUMNS, items)
        dedup.settle(touched, changed=old_ids, left_works=left_works)


def _without_repeated_ids(prepared):
    """Split a batch where a record identifier repeats (an export holding a record twice),
    so that each part holds an identifier once and later versions win, in order."""
    part, seen = [], set()
    for entry in prepared:
        harvested, _digest, parsed, known = entry
        local_id = harvested.local_id or (parsed.local_id if parsed else "")
        if known is None and local_id in seen:
            yield part
            part, seen = [], set()
        if known is None:
            seen.add(local_id)
        part.append(entry)
    if part:
        yield part


def record_from(normalised: NormalisedRecord, *, source_id: int, library_id: int) -> Record:
    main_author = normalised.authors[0].name if normalised.authors else ""
    return Record(
        source_id=source_id,
        library_id=library_id,
        title=normalised.title[:500],
        subtitle=normalised.subtitle[:500],
        part=normalised.part[:255],
        responsibility=normalised.responsibility[:500],
        authors=[
            {"name": a.name, "role": a.role, "role_code": a.role_code, "kind": a.kind}
            for a in normalised.authors
        ],
        main_author=main_author[:255],
        publisher=normalised.publisher[:255],
        place=normalised.place[:255],
        year=normalised.year if normalised.year and -32768 < normalised.year < 32767 else None,
        isbns=list(normalised.isbns),
        eans=list(normalised.eans),
        issns=list(normalised.issns),
        language=normalised.language[:3],
        doc_type=normalised.doc_type,
        audience=normalised.audience,
        subjects=list(normalised.subjects),
        summary=normalised.summary,
        series=list(normalised.series),
        contents=normalised.contents,
        warnings=list(normalised.warnings),
    )


def remove_records(source_ids: list[int]) -> set[int]:
    """Remove the catalogue records of these source records, leaving their tombstones
    (:mod:`catalogue.deletions`); returns the works they left."""
    if not source_ids:
        return set()
    records = Record.objects.filter(source_id__in=source_ids)
    works = set(records.values_list("work_id", flat=True)) - {None}
    deletions.bury(records)  # OAI-PMH tombstones, in the same transaction
    records.delete()
    return works
