"""What a work's page reads (catalogue.selectors.work_page): its records with their work,
library and source as the database holds them, in two queries, on every database."""

from datetime import UTC, datetime

from catalogue import selectors
from catalogue.models import Item, Record, Work
from connectors.models import Connector, SourceRecord
from network import hours

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=hours.TZ)


def _record(library, work, local_id: str, seen: datetime, **fields) -> Record:
    connector, _ = Connector.objects.get_or_create(
        library=library, name="Catalogue", defaults={"driver": "marc_file"}
    )
    source = SourceRecord.objects.create(
        connector=connector,
        local_id=local_id,
        format=fields.pop("format", "marcxml"),
        payload=b"<record/>",
        checksum=local_id.rjust(32, "0"),
        last_seen_at=seen,
    )
    return Record.objects.create(source=source, library=library, work=work, **fields)


def test_a_work_page_reads_the_records_with_their_work_library_and_source(
    cast, db, django_assert_num_queries
):
    work = Work.objects.create(
        title="Germinal", main_author="Zola, Émile", doc_type="book", year=1885,
        record_count=3, library_count=2,
    )  # fmt: skip
    early = datetime(2026, 11, 30, 22, 15, 7, tzinfo=UTC)
    late = datetime(2026, 12, 2, 6, 40, 0, tzinfo=UTC)
    undated = _record(
        cast.library_a, work, "a-1", early, title="Germinal", doc_type="book", format="oai_dc"
    )
    newest = _record(
        cast.library_a, work, "a-2", late, title="Germinal", doc_type="book", year=2004,
        isbns=["9782253004226"], authors=[{"name": "Zola, Émile", "role": "Auteur"}],
        subjects=["Mineurs"], publisher="Le Livre de poche",
    )  # fmt: skip
    oldest = _record(
        cast.library_b, work, "b-1", early, title="Germinal", doc_type="book", year=1885,
        series=["Les Rougon-Macquart"],
    )  # fmt: skip
    Item.objects.create(record=newest, library=cast.library_a, barcode="1", available=True)
    Item.objects.create(record=oldest, library=cast.library_b, barcode="2", available=False)
    stored = Work.objects.get(pk=work.pk)

    selectors.work_page(work.pk, NOW)  # the process's copy of the sites, read once
    with django_assert_num_queries(2):
        page, moved_to = selectors.work_page(work.pk, NOW)
        # Everything the page shows of the records' relations is read with them.
        shown = [
            (r.work.title, r.work.updated_at, r.library.name, r.source.format,
             r.source.local_id, r.source.last_seen_at)
            for r in page.records
        ]  # fmt: skip

    assert moved_to is None
    assert [r.pk for r in page.records] == [oldest.pk, newest.pk, undated.pk]  # undated last
    assert page.main.pk == oldest.pk and page.main.series == ["Les Rougon-Macquart"]
    assert (page.work.pk, page.work.title, page.work.main_author, page.work.year) == (
        work.pk, "Germinal", "Zola, Émile", 1885,
    )  # fmt: skip
    assert (page.work.record_count, page.work.library_count) == (3, 2)
    assert page.work.updated_at == stored.updated_at
    assert shown == [
        ("Germinal", stored.updated_at, cast.library_b.name, "marcxml", "b-1", early),
        ("Germinal", stored.updated_at, cast.library_a.name, "marcxml", "a-2", late),
        ("Germinal", stored.updated_at, cast.library_a.name, "oai_dc", "a-1", early),
    ]
    second = page.records[1]
    assert second.isbns == ["9782253004226"] and second.subjects == ["Mineurs"]
    assert second.authors == [{"name": "Zola, Émile", "role": "Auteur"}]
    assert second.publisher == "Le Livre de poche"
    # Each library's status is as fresh as its latest harvested record.
    assert {h.name: h.harvested_at for h in page.holdings} == {
        cast.library_a.name: late,
        cast.library_b.name: early,
    }
    assert all(h.harvested_at.tzinfo is not None for h in page.holdings)
    copies = {h.name: [c.item.barcode for s in h.sites for c in s.copies] for h in page.holdings}
    assert copies == {cast.library_a.name: ["1"], cast.library_b.name: ["2"]}
    assert [e.record.pk for e in page.editions] == [newest.pk, oldest.pk, undated.pk]
