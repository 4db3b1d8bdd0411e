"""Grouping editions into works: keys, merges, splits, and what must never merge."""

import pytest
from django.utils import timezone

from catalogue import dedup
from catalogue.models import Record, RecordKey, Work
from catalogue.records import Author, DocType, NormalisedRecord
from connectors.ingest import record_from
from connectors.models import Connector, SourceRecord


def edition(title, author="", *, isbns=(), doc_type=DocType.BOOK, part="", publisher=""):
    authors = (Author(author),) if author else ()
    return NormalisedRecord(
        title=title, authors=authors, isbns=tuple(isbns), doc_type=doc_type, part=part,
        publisher=publisher,
    )  # fmt: skip


def test_title_key_drops_articles_accents_case_and_punctuation():
    assert dedup.title_for_key("L'Étranger") == "etranger"
    assert dedup.title_for_key("Les Misérables !") == "miserable"
    assert dedup.title_for_key("The Pride & Prejudices") == "pride prejudice"  # "and", plural
    assert dedup.title_for_key("Œdipe roi") == "oedipe roi"
    assert dedup.title_for_key("Lettres de mon moulin") == "lettre de mon moulin"  # no article


def test_every_key_carries_the_document_type():
    book = dedup.record_keys(edition("Germinal", "Zola, Émile", isbns=["9782070411030"]))
    film = dedup.record_keys(
        edition("Germinal", "Zola, Émile", isbns=["9782070411030"], doc_type=DocType.DVD)
    )
    assert book and film
    assert not set(book) & set(film)


def test_volumes_do_not_share_keys_even_with_the_sets_isbn():
    one = dedup.record_keys(
        edition("Les Misérables", "Hugo, Victor", isbns=["9782253096337"], part="1")
    )
    two = dedup.record_keys(
        edition("Les Misérables", "Hugo, Victor", isbns=["9782253096337"], part="2")
    )
    assert not set(one) & set(two)


def test_an_adapter_is_read_from_the_statement_of_responsibility():
    assert dedup.adapter("Jane Austen ; retold by Joanna Strange") == "strange"
    assert dedup.adapter("Jane Austen ; adapté par Fern Siegel ; traduit par F. Robert") == "siegel"
    assert dedup.adapter("by Jane Austen ; introduction by Tony Tanner") == ""


def test_a_short_anonymous_title_is_matched_by_identifiers_only():
    keys = dedup.record_keys(edition("Bulletin", publisher="Société"))
    assert keys == []


@pytest.fixture
def store(cast):
    connector = Connector.objects.create(library=cast.library_a, name="Test", driver="demo")
    counter = iter(range(1, 10_000))

    def add(normalised, library=cast.library_a):
        source = SourceRecord.objects.create(
            connector=connector, local_id=str(next(counter)), format="iso2709", payload=b"",
            checksum="x", last_seen_at=timezone.now(),
        )  # fmt: skip
        # As the ingest does: the work is decided, then the record and its keys written.
        keys = dedup.record_keys(normalised)
        assignment, touched = dedup.assign_works({("n", 0): (None, keys)})
        record = record_from(normalised, source_id=source.pk, library_id=library.pk)
        record.work_id = assignment[("n", 0)]
        record.save()
        RecordKey.objects.bulk_create([RecordKey(record=record, key=k) for k in keys])
        dedup.settle(touched)
        record.refresh_from_db()
        return record

    return add


def test_two_editions_with_different_isbns_are_one_work(store):
    a = store(edition("L'Étranger", "Camus, Albert", isbns=["9782070360024"]))
    b = store(edition("L'étranger", "Camus, Albert", isbns=["9782070360109"]))
    assert a.work_id == b.work_id
    work = Work.objects.get(pk=a.work_id)
    assert (work.record_count, work.title, work.main_author) == (2, "L'Étranger", "Camus, Albert")


def test_a_book_and_its_film_adaptation_are_separate_works(store):
    book = store(edition("Germinal", "Zola, Émile"))
    film = store(edition("Germinal", "Zola, Émile", doc_type=DocType.DVD))
    assert book.work_id != film.work_id


def test_same_title_by_another_author_is_another_work(store):
    a = store(edition("Le Horla", "Maupassant, Guy de"))
    b = store(edition("Le Horla", "Perrin, Jean"))
    assert a.work_id != b.work_id


def test_a_record_bridging_two_works_merges_them_into_the_oldest(store):
    a = store(edition("Nadja", "Breton, André", isbns=["9782070368679"]))
    b = store(edition("Nadja : édition revue", "Breton, André", isbns=["9782070426829"]))
    assert a.work_id != b.work_id
    bridge = store(edition("Nadja", "Breton, André", isbns=["9782070426829"]))
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.work_id == b.work_id == bridge.work_id == min(a.work_id, b.work_id)
    assert Work.objects.count() == 1


def test_removing_the_bridge_splits_the_work_and_keeps_the_oldest_id(store):
    a = store(edition("Nadja", "Breton, André", isbns=["9782070368679"]))
    b = store(edition("Nadja : édition revue", "Breton, André", isbns=["9782070426829"]))
    bridge = store(edition("Nadja", "Breton, André", isbns=["9782070426829"]))
    kept = a.work_id
    left = {bridge.work_id}
    bridge.delete()
    dedup.settle((), left_works=left)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.work_id == kept
    assert b.work_id != kept
    assert Work.objects.count() == 2
    assert Work.objects.get(pk=b.work_id).record_count == 1


def test_removing_the_last_record_removes_the_work(store):
    a = store(edition("Zazie dans le métro", "Queneau, Raymond"))
    work = a.work_id
    Record.objects.filter(pk=a.pk).delete()
    dedup.settle((), left_works={work})
    assert not Work.objects.filter(pk=work).exists()


def test_works_count_the_libraries_that_hold_them(store, cast):
    store(edition("Bonjour tristesse", "Sagan, Françoise"), cast.library_a)
    b = store(edition("Bonjour tristesse", "Sagan, Françoise"), cast.library_b)
    assert Work.objects.get(pk=b.work_id).library_count == 2
