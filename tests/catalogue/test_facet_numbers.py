"""Facet tokens as numbers (catalogue.search.facet_ids): numbered once, counted back to
their tokens, agreed on by concurrent indexers; and every facet count of a search is the
number of its matches filed under the value."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from catalogue import search
from catalogue.models import FacetToken, WorkIndex
from catalogue.search import SearchQuery, documents, facet_ids
from catalogue.search import engine as engine_module
from tests.databases import throwaway_postgres

ROOT = Path(__file__).resolve().parents[2]


def test_a_token_is_numbered_once_and_counted_back_by_name(db):
    first = facet_ids.numbers(["t:book", "u:Économie politique", "b:12"])
    again = facet_ids.numbers(["b:12", "l:fre", "t:book"])
    assert again["t:book"] == first["t:book"] and again["b:12"] == first["b:12"]
    assert len(set(first.values()) | set(again.values())) == 4
    assert FacetToken.objects.count() == 4
    packed = b"".join(
        facet_ids.pack(tokens, first | again)
        for tokens in (["t:book", "b:12"], ["t:book", "u:Économie politique"], ["l:fre"])
    )
    assert len(packed) == 5 * 4
    assert facet_ids.count(packed) == Counter(
        {"t:book": 2, "b:12": 1, "u:Économie politique": 1, "l:fre": 1}
    )
    assert facet_ids.count(b"") == facet_ids.count(None) == Counter()


def _filed_under(work_ids) -> Counter:
    """The oracle: each facet token, and how many of these works' documents carry it."""
    return Counter(token for d in documents.build(sorted(work_ids)) for token in d.facets)


def _shown(result) -> dict[str, int]:
    return {
        f"{group.facet.prefix}:{value.value}": value.count
        for group in result.facets
        for value in group.values
    }


def test_every_facet_count_is_the_number_of_matches_filed_under_the_value(corpus, db):
    result = search.search(SearchQuery(text="finances", per_page=1000))
    assert result.exact and len(result.hits) == result.total > 100
    expected = _filed_under(hit.work_id for hit in result.hits)
    shown = _shown(result)
    assert {group.facet.prefix for group in result.facets} >= {"t", "b", "s", "c", "u", "y"}
    assert shown == {token: expected[token] for token in shown}
    assert any(token.startswith("u:") and not token.isascii() for token in shown)


def test_a_broad_querys_facet_counts_are_its_samples_scaled(corpus, db, monkeypatch):
    # The works of the most common type: broad once the exact limit is lowered; their
    # sample is those whose stable bucket is below SAMPLE_BUCKETS (2 %).
    sampled = WorkIndex.objects.filter(sample__lt=engine_module.SAMPLE_BUCKETS)
    described = documents.build(sampled.values_list("work_id", flat=True))
    types = Counter(token for d in described for token in d.facets if token.startswith("t:"))
    common, in_sample = types.most_common(1)[0]
    assert in_sample > 20
    monkeypatch.setattr(engine_module, "EXACT_LIMIT", 20)
    broad = search.search(SearchQuery(filters={"type": [common[2:]]}))
    assert not broad.exact
    expected = Counter(token for d in described if common in d.facets for token in d.facets)
    shown = _shown(broad)
    assert shown
    assert shown == {
        token: max(1, round(expected[token] * engine_module.SAMPLE_SCALE)) for token in shown
    }


@pytest.mark.postgres
def test_indexers_numbering_the_same_new_tokens_at_once_agree():
    """Eight processes number 305 new tokens at once, each in its own order and its own
    transaction: the unique constraint makes the later ones wait for the first and read
    its numbers, so all get the same, and the dictionary holds each token once."""
    with throwaway_postgres("metrobib_facet_race") as url:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update(DATABASE_URL=url, DEBUG="1")
        for command in (
            ["manage.py", "migrate", "--no-input"],
            ["tests/catalogue/facet_race.py", "--processes", "8"],
        ):
            done = subprocess.run(
                [sys.executable, *command],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    rows = dict(outcome["rows"])
    assert len(outcome["rows"]) == len(rows) == 305
    assert all(got == rows for got in outcome["got"])


def test_names_read_inside_a_transaction_are_not_kept(db):
    """A number read inside a transaction may be of a token it will roll back (SQLite
    would then give the number to another token): only committed names are kept."""
    numbered = facet_ids.numbers(["u:Gardé ou pas"])
    assert facet_ids.count(facet_ids.pack(["u:Gardé ou pas"], numbered)) == Counter(
        {"u:Gardé ou pas": 1}
    )
    assert numbered["u:Gardé ou pas"] not in facet_ids._known


def test_the_facets_shown_are_the_most_frequent_values_and_the_selected_ones(db):
    """Each facet shows its values by count, most first, equal counts by value, cut at
    MAX_FACET_VALUES; a selected value stays (last, or with 0 when nothing counts it);
    year ranges keep their own order; tokens of no facet are ignored."""
    # Pairs of equal counts, counted in no order of theirs (as the database gives them).
    subjects = {f"u:Sujet {n:02d}": 100 - n // 2 for n in (*range(29, 14, -1), *range(15))}
    counts = Counter({**subjects, "y:1990": 5, "y:2020": 2, "y:0": 9, "t:book": 3, "x:unknown": 7})
    page = engine_module.Page([], 0, True, counts)
    query = SearchQuery(text="x", filters={"matiere": ["Sujet 27", "Absent"]})
    groups = {group.facet.name: group for group in search.facet_groups(page, query)}

    subject_values = [(v.value, v.count, v.selected) for v in groups["matiere"].values]
    expected = sorted(
        ((token[2:], n) for token, n in subjects.items()), key=lambda item: (-item[1], item[0])
    )
    assert subject_values[: search.MAX_FACET_VALUES] == [
        (value, n, False) for value, n in expected[: search.MAX_FACET_VALUES]
    ]
    assert subject_values[search.MAX_FACET_VALUES :] == [
        ("Sujet 27", 87, True),
        ("Absent", 0, True),
    ]
    assert [v.value for v in groups["annee"].values] == ["2020", "1990", "0"]
    assert [(v.value, v.label) for v in groups["type"].values] == [("book", "Livre")]
    assert set(groups) == {"matiere", "annee", "type"}
