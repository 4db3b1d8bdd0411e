"""Catalogue search on the real corpus: matching, identifiers, facets, filters, sorts,
pages, corrections, completion, broad queries, and the index following the catalogue."""

import json
from collections import Counter

import pytest
from django.db import connection

from catalogue import search
from catalogue.models import Item, Record, Work, WorkIndex
from catalogue.search import SearchQuery, analysis, complete
from catalogue.search import engine as engine_module
from catalogue.search.query import identifier, plan


def titles(result) -> list[str]:
    works = Work.objects.in_bulk([hit.work_id for hit in result.hits])
    return [works[hit.work_id].title for hit in result.hits]


def engine_sql():
    """The module of the current database's engine (its SQL of the ranking)."""
    if connection.vendor == "postgresql":
        from catalogue.search import postgres as module
    else:
        from catalogue.search import sqlite as module
    return module


def in_order(work_ids, order: str, params: list, column: tuple[str, list] = ("NULL", [])):
    """These works' index rows, (work_id, ``column``), in ``order`` (an ORDER BY)."""
    expression, column_params = column
    marks = ", ".join("%s" for _ in work_ids)
    sql = (
        f"SELECT work_id, {expression} FROM catalogue_workindex "  # noqa: S608
        f"WHERE work_id IN ({marks}) ORDER BY {order}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*column_params, *work_ids, *params])
        return cursor.fetchall()


def paged(the_plan, sort: str, total: int, per_page: int = 7) -> list[int]:
    """Every work of ``the_plan`` in ``sort`` order, read page after page."""
    current, ids = search.current_engine(), []
    for offset in range(0, total, per_page):
        ids += current.run(the_plan, sort=sort, offset=offset, limit=per_page).work_ids
    return ids


# ----------------------------------------------------------------------------- analysis


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("chevaux", "cheval"),
        ("étrangers", "l'étranger"),
        ("Finances", "finance"),
        ("préjugés", "prejuge"),
        ("ÉCOLE", "ecoles"),
        ("Œuvres", "oeuvre"),
        ("pr\ufffdejug\ufffdes", "préjugés"),  # a byte the source's encoding lost
    ],
)
def test_french_words_meet_whatever_their_form(one, other):
    assert analysis.terms(one) == analysis.terms(other)


def test_stop_words_and_elisions_are_dropped_but_a_query_of_stop_words_is_kept():
    assert analysis.terms("L'État et les chevaux d'Europe") == ["etat", "cheval", "europ"]
    assert analysis.query_terms("Nous") == ["nou"]


@pytest.mark.parametrize(
    ("typed", "indexed"),
    [
        ("978-2-07-051842-5", "9782070518425"),
        ("2-07-051842-6", "9782070518425"),  # ISBN-10 becomes the ISBN-13
        ("2 211 03401 2", "9782211034012"),
        ("0335-5322", "03355322"),
        ("0248-661x", "0248661x"),
        ("3760092301123", ""),  # not a valid EAN
        ("1998", ""),
    ],
)
def test_identifiers_are_recognised_with_or_without_hyphens(typed, indexed):
    assert identifier(typed) == indexed


def test_a_quoted_phrase_is_kept_in_order():
    the_plan = plan(text='"science politique" histoire')
    assert the_plan.clauses[0].phrase and the_plan.clauses[0].terms == ("scienc", "polit")
    assert ("scienc", "polit") in the_plan.rank_units


# ------------------------------------------------------------------------- on the corpus


def test_every_work_has_a_search_document(corpus, db):
    assert WorkIndex.objects.count() == Work.objects.count() > 3000


def test_facet_counts_are_exact_and_agree_with_the_catalogue(corpus, db):
    result = search.search(SearchQuery(text="finances", per_page=1000))
    assert result.exact
    hits = {hit.work_id for hit in result.hits}
    assert len(hits) == result.total
    by_type = {group.facet.name: group for group in result.facets}["type"]
    pairs = set(Record.objects.filter(work_id__in=hits).values_list("work_id", "doc_type"))
    expected = Counter(doc_type for _work, doc_type in pairs)
    assert {value.value: value.count for value in by_type.values} == dict(expected)


def test_filters_combine_and_stay_consistent_with_their_counts(corpus, db):
    villeurbanne = corpus.libraries["villeurbanne"]
    venissieux = corpus.libraries["venissieux"]
    both = search.search(
        SearchQuery(
            text="finances",
            filters={"bibliotheque": [str(villeurbanne.pk)], "type": ["book"]},
        )
    )
    library_group = {g.facet.name: g for g in both.facets}["bibliotheque"]
    counts = {value.value: value.count for value in library_group.values}
    assert counts[str(villeurbanne.pk)] == both.total
    # Works held by both libraries: cotes8.mrc is in both exports.
    shared = search.search(
        SearchQuery(
            text="finances",
            per_page=1000,
            filters={
                "bibliotheque": [str(villeurbanne.pk)],
                "lieu": [str(corpus.sites["venissieux"].pk)],
            },
        )
    )
    assert 0 < shared.total < both.total
    for hit in shared.hits:
        libraries = set(
            Record.objects.filter(work_id=hit.work_id).values_list("library", flat=True)
        )
        assert {villeurbanne.pk, venissieux.pk} <= libraries
    # Two values of one facet: either (OR); the selected values are marked.
    either = search.search(
        SearchQuery(
            text="finances", filters={"bibliotheque": [str(villeurbanne.pk), str(venissieux.pk)]}
        )
    )
    assert either.total >= both.total
    assert all(v.selected for v in {g.facet.name: g for g in either.facets}["bibliotheque"].values)


def test_available_now_means_a_copy_on_the_shelf_at_a_site(corpus, db):
    result = search.search(SearchQuery(text="harry potter", filters={"disponible": ["1"]}))
    assert result.total == 1
    work_id = result.hits[0].work_id
    assert Item.objects.filter(record__work_id=work_id, available=True, site__isnull=False).exists()
    nothing = search.search(SearchQuery(text="pride prejudice", filters={"disponible": ["1"]}))
    assert nothing.total == 0


def test_a_filter_without_words_browses_the_catalogue(corpus, db):
    result = search.search(SearchQuery(filters={"type": ["audiobook"]}))
    expected = Work.objects.filter(records__doc_type="audiobook").distinct().count()
    assert result.total == expected > 0


def test_sorts_order_by_year_title_and_author(corpus, db):
    newest = search.search(SearchQuery(text="austen", sort="newest", per_page=50))
    years = [Work.objects.get(pk=h.work_id).year for h in newest.hits]
    assert [y for y in years if y] == sorted([y for y in years if y], reverse=True)
    by_title = search.search(SearchQuery(text="austen", sort="title", per_page=50))
    keys = [WorkIndex.objects.get(work_id=h.work_id).title_key for h in by_title.hits]
    assert keys == sorted(keys)


@pytest.mark.parametrize("sort", ["newest", "title", "author"])
def test_each_sort_pages_every_match_in_the_order_of_its_order_by(corpus, db, sort):
    """A narrow query sorted by year, title or author: every match, page after page, in
    the order of the sort's ORDER BY (engine.order_by) over the index's rows."""
    the_plan = plan(text="austen")
    whole = search.current_engine().run(the_plan, sort=sort, offset=0, limit=10_000)
    order, params = engine_module.order_by(sort, **engine_sql()._ranking(the_plan))
    expected = [work_id for work_id, _ in in_order(whole.work_ids, order, params)]
    assert whole.exact and len(expected) == whole.total > 10
    assert whole.work_ids == expected
    assert paged(the_plan, sort, whole.total) == expected


def test_pages_do_not_overlap_and_cover_the_results(corpus, db):
    seen = []
    first = search.search(SearchQuery(text="revue", per_page=20))
    assert first.pages > 3
    for number in range(1, 4):
        page = search.search(SearchQuery(text="revue", per_page=20, page=number))
        seen += [hit.work_id for hit in page.hits]
    assert len(seen) == len(set(seen)) == 60


def test_a_query_without_results_is_corrected_and_says_so(corpus, db):
    result = search.search(SearchQuery(text="Lolipop"))
    assert result.corrected == "lollipop"
    assert titles(result)[0] == "Lollipop"


def test_nothing_is_invented_for_a_query_the_catalogue_cannot_correct(corpus, db):
    result = search.search(SearchQuery(text="zzqxw"))
    assert result.total == 0 and not result.corrected and not result.suggestion


def test_an_identifier_finds_its_edition_only(corpus, db):
    result = search.search(SearchQuery(text="978-2-07-051842-5"))
    assert result.total == 1 and titles(result) == ["Harry Potter à l'école des sorciers"]


def test_hostile_input_is_searched_as_words(corpus, db):
    for text in ['"', "' OR 1=1 --", "title:(", "NEAR(a b)", "a & b | !c", "%_\\", "\u200b", "*"]:
        search.search(SearchQuery(text=text))  # no error, whatever the engine's syntax


def test_broad_queries_are_estimated_and_paged_tier_by_tier(corpus, db, monkeypatch):
    from catalogue.search import documents

    sample_buckets = engine_module.SAMPLE_BUCKETS
    exact = search.search(SearchQuery(text="revue", per_page=10))
    matching = {h.work_id for h in search.search(SearchQuery(text="revue", per_page=1000)).hits}
    assert exact.exact and exact.total == len(matching) > 100
    monkeypatch.setattr(engine_module, "EXACT_LIMIT", 100)
    broad = search.search(SearchQuery(text="revue", per_page=10))
    assert not broad.exact
    # The estimate is the fixed sample's matches scaled, never below the exact limit (how
    # near the truth it comes depends on the catalogue's size: work ids, and so the
    # sample, differ from one test database to another).
    sampled = [d for d in documents.build(sorted(matching)) if d.sample < sample_buckets]
    scale = 1000 / sample_buckets
    assert broad.total == max(round(len(sampled) * scale), 101)
    assert broad.shown_total % 10 == 0
    # Facet counts of a broad query are the sample's too, scaled.
    types = Counter(t for d in sampled for t in d.facets if t.startswith("t:"))
    counts = {g.facet.name: g.values for g in broad.facets}.get("type", [])
    assert {v.value: v.count for v in counts} == {
        token[2:]: max(1, round(n * scale)) for token, n in types.items()
    }
    # The best tiers come first in both ways of reading the results.
    first_exact = WorkIndex.objects.get(work_id=exact.hits[0].work_id)
    first_broad = WorkIndex.objects.get(work_id=broad.hits[0].work_id)
    assert first_broad.title_key == first_exact.title_key == "revue"
    assert {h.work_id for h in broad.hits} <= matching


def test_completion_offers_titles_and_authors(corpus, db):
    labels = [c.label for c in complete("lolli")]
    assert labels and labels[0].startswith("Lollipop")
    authors = [c for c in complete("nostl") if c.kind == "auteur"]
    assert authors and authors[0].label == "Nöstlinger, Christine"
    assert complete("l") == []


def test_the_index_follows_the_catalogue(corpus, db):
    """A record leaving the catalogue takes its work out of the results."""
    from connectors.ingest import remove_records

    record = Record.objects.get(title__startswith="Lollipop")
    assert search.search(SearchQuery(text="lollipop")).total == 1
    remove_records([record.source_id])
    from catalogue import dedup

    dedup.settle(set(), left_works={record.work_id})
    search.index_pending()  # what a harvest run does when it ends
    assert search.search(SearchQuery(text="lollipop")).total == 0


def test_a_deleted_document_leaves_nothing_in_the_engine_tables(corpus, db):
    """The sample (PostgreSQL) and the full-text rows (SQLite) go with their documents,
    deleted one by one or truncated with them (as Django's flush does between tests)."""
    sampled = [d.work_id for d in WorkIndex.objects.filter(sample__lt=engine_module.SAMPLE_BUCKETS)]
    assert sampled
    own = {
        "postgresql": "SELECT count(*) FROM catalogue_workindex_sample WHERE work_id = ANY(%s)",
        "sqlite": "SELECT count(*) FROM catalogue_workindex_fts "
        "WHERE rowid IN (SELECT value FROM json_each(%s))",
    }[connection.vendor]
    ids = sampled if connection.vendor == "postgresql" else json.dumps(sampled)

    def left(work_ids) -> int:
        with connection.cursor() as cursor:
            cursor.execute(own, [work_ids])
            return cursor.fetchone()[0]

    assert left(ids) == len(sampled)
    WorkIndex.objects.filter(work_id=sampled[0]).delete()
    assert left(ids) == len(sampled) - 1
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks before it
            cursor.execute("TRUNCATE catalogue_workindex")
        else:
            cursor.execute("DELETE FROM catalogue_workindex")
    assert left(ids) == 0


def test_rebuilding_the_index_gives_the_same_answers(corpus, db):
    from django.core.management import call_command

    before = [h.work_id for h in search.search(SearchQuery(text="revue", per_page=50)).hits]
    vocabulary = set(search.current_engine().known_terms(["lollipop", "revue", "finances"]))
    call_command("rebuild_search_index", "--no-progress")
    after = [h.work_id for h in search.search(SearchQuery(text="revue", per_page=50)).hits]
    assert before == after
    assert set(search.current_engine().known_terms(["lollipop", "revue", "finances"])) == vocabulary


def test_a_rare_misspelling_the_catalogue_carries_is_offered_its_common_spelling(corpus, db):
    """One record with a typo in its title (a test record, made here) and hundreds with
    the right spelling: a search for the typo finds that record and offers the spelling."""
    from django.utils import timezone

    from catalogue.models import Record
    from connectors.models import SourceRecord

    connector = corpus.connectors["demo-marc21"]
    source = SourceRecord.objects.create(
        connector=connector, local_id="typo-1", format="marcxml", payload=b"", checksum="x",
        last_seen_at=timezone.now(),
    )  # fmt: skip
    work = Work.objects.create(title="Pride and prejudise", doc_type="book", record_count=1)
    Record.objects.create(
        source=source, library=connector.library, work=work, title="Pride and prejudise",
        doc_type="book",
    )  # fmt: skip
    search.index_works([work.pk])
    result = search.search(SearchQuery(text="prejudise"))
    assert result.total == 1 and not result.corrected
    assert result.suggestion == "prejudice"


def test_real_words_are_never_corrected_into_others(corpus, db):
    """Rare but real words of the catalogue (in a subject, a summary) keep their results:
    no "Vouliez-vous dire" towards a merely similar common word."""
    for word in ("pouchkine", "verrerie", "lollipop", "sorciers"):
        result = search.search(SearchQuery(text=word))
        assert result.total and not result.suggestion and not result.corrected, word


def test_a_work_held_by_more_libraries_always_ranks_higher():
    """What the broad path relies on to read its best-held candidates among the works of
    a threshold of libraries only (catalogue.search.postgres)."""
    from catalogue.search.documents import HELD_BY, held_by_tokens, static_rank

    for threshold in HELD_BY:
        assert static_rank(threshold, 1, None) > static_rank(threshold - 1, 10_000, 9999)
        assert f"r:{threshold}" in held_by_tokens(threshold)
        assert f"r:{threshold}" not in held_by_tokens(threshold - 1)


def test_the_candidates_of_a_broad_query_are_its_best_held_title_and_author_matches(corpus, db):
    """However an engine reads them, the title and author candidates of a broad query
    are the best-ranked of all its title and author matches. PostgreSQL reads them among
    the works held by enough libraries when its sample says there are enough there, and
    among all matches when there are fewer than it needs (the sample misjudged); SQLite
    tries the thresholds from the highest down."""
    from django.test.utils import CaptureQueriesContext

    from catalogue.search import documents

    built = documents.build(WorkIndex.objects.values_list("work_id", flat=True))
    # The title word of a work two libraries hold that the most works have in their
    # titles or authors; the oracle ranks them as the static rank says.
    shared = Counter(term for d in built if d.library_count > 1 for term in set(d.title.split()))
    term = max(shared, key=lambda t: (sum(t in f"{d.title} {d.authors}".split() for d in built), t))
    oracle = [
        d.work_id
        for d in sorted(built, key=lambda d: (-d.rank, d.work_id))
        if term in f"{d.title} {d.authors}".split()
    ]
    held = sum(d.library_count > 1 for d in built if d.work_id in set(oracle))
    assert 0 < held < len(oracle)
    engine = search.current_engine()
    the_plan = plan(text=term)
    if connection.vendor == "postgresql":
        from catalogue.search import postgres

        ta = postgres._title_author_query(the_plan)
        told = {n: 0 for n in documents.HELD_BY} | {2: 1_000}  # "enough held by two"
        with CaptureQueriesContext(connection) as read:
            assert engine._best_held(ta, held, 0, told) == oracle[:held]
        assert len(read) == 1 and "r:2" in str(read.captured_queries[0]["sql"])
        with CaptureQueriesContext(connection) as read:
            assert engine._best_held(ta, held + 1, 0, told) == oracle[: held + 1]
        assert len(read) == 2  # the threshold held too few: all matches read
        assert engine._best_held(ta, held, 0, {n: 0 for n in documents.HELD_BY}) == oracle[:held]
    else:
        from catalogue.search import sqlite

        title_author = sqlite._title_author_match(the_plan)
        with CaptureQueriesContext(connection) as read:
            assert engine._best_held(title_author, held) == oracle[:held]
        # From the highest threshold down: the works held by two libraries hold them all.
        held_by_two = sqlite.facet_token(documents.held_by_token(2))
        assert held_by_two in read.captured_queries[-1]["sql"]
        assert len(read) == len(documents.HELD_BY)
        with CaptureQueriesContext(connection) as read:
            assert engine._best_held(title_author, held + 1) == oracle[: held + 1]
        assert len(read) == len(documents.HELD_BY) + 1  # too few held: all matches read
        assert set(oracle[:200]) <= set(engine._candidates(the_plan, 1))


@pytest.mark.parametrize("text", ["revue", "austen", "journal", "histoire de france"])
def test_pages_ranked_column_tiers_first_follow_the_whole_ranking(corpus, db, text):
    """A page by relevance ranks the works of the column tiers (0-2) apart, and the
    others only when those are too few (engine.ranked_page, SQLite), or computes every
    match's tier as it reads it (PostgreSQL's narrow statement): page after page, in
    pages that straddle the two, the order is that of one ORDER BY over every match."""
    the_plan = plan(text=text)
    ids = search.current_engine().run(the_plan, sort="relevance", offset=0, limit=10_000).work_ids
    ranking = engine_sql()._ranking(the_plan)
    order, params = engine_module.order_by("relevance", **ranking)
    first = engine_module.tier_case(ranking["tiers"], engine_module.COLUMN_TIERS)
    rows = in_order(ids, order, params, column=first)
    expected = [work_id for work_id, _tier in rows]
    in_column_tiers = sum(tier < 6 for _work_id, tier in rows)
    assert 0 < in_column_tiers < len(expected)  # both parts of the ranking are read
    assert ids == expected
    assert paged(the_plan, "relevance", len(expected)) == expected
