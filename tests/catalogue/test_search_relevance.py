"""Relevance on real records: the work a librarian expects comes first.

The cases (tests/catalogue/relevance_cases.py) were written before the ranking code.
"""

import pytest

from catalogue.dedup import surname, title_for_key
from catalogue.models import Record, Work
from catalogue.search import SearchQuery, search
from catalogue.search.analysis import terms
from tests.catalogue.relevance_cases import HAND, Case, drawn

CASES = HAND + drawn()


def test_there_are_enough_cases():
    assert len(CASES) >= 30
    assert sum(case.why.startswith("drawn") for case in CASES) >= 10


def _query(case: Case) -> SearchQuery:
    return SearchQuery(
        text=case.query,
        title=case.fields.get("titre", ""),
        author=case.fields.get("auteur", ""),
        subject=case.fields.get("sujet", ""),
    )


def _expected(case: Case, corpus, work: Work) -> list[str]:
    """What is wrong with ``work`` as the first answer to ``case`` (nothing: [])."""
    problems = []
    if case.record:
        export, local_id = case.record.split(":", 1)
        connector = corpus.connectors[export]
        if not Record.objects.filter(
            work=work, source__connector=connector, source__local_id=local_id
        ).exists():
            problems.append(f"does not hold {case.record}")
    if case.edition and not any(
        title_for_key(title) == title_for_key(case.edition)
        for title in work.records.values_list("title", flat=True)
    ):
        problems.append(f"holds no edition titled {case.edition!r}")
    if case.author is not None and surname(work.main_author) != surname(case.author):
        problems.append(f"author {work.main_author!r} is not {case.author!r}")
    if case.title_has:
        wanted, own = " ".join(terms(case.title_has)), " ".join(terms(work.title))
        if f" {wanted} " not in f" {own} ":
            problems.append(f"title {work.title!r} does not hold {case.title_has!r}")
    if case.doc_type and work.doc_type != case.doc_type:
        problems.append(f"type {work.doc_type} is not {case.doc_type}")
    return problems


@pytest.mark.parametrize("case", CASES, ids=[f"{c.label[:40]}" for c in CASES])
def test_the_expected_work_comes_first(corpus, db, case):
    result = search(_query(case))
    assert result.hits, f"no result for {case.label!r} ({case.why})"
    first = Work.objects.get(pk=result.hits[0].work_id)
    problems = _expected(case, corpus, first)
    shown = [Work.objects.get(pk=hit.work_id) for hit in result.hits[:5]]
    assert not problems, (
        f"{case.label!r} ({case.why}): first is {first.title!r} / {first.main_author!r}: "
        + "; ".join(problems)
        + "\nfirst five: "
        + " | ".join(f"{w.title} / {w.main_author} / {w.doc_type}" for w in shown)
    )
