import pytest
from django.db import transaction

from tests.catalogue.corpus import load_corpus


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    """The search corpus (tests/catalogue/corpus.py), harvested once per test module
    inside a transaction that is rolled back after the module; each test runs in a
    savepoint of it (ask for ``db`` as well)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield load_corpus()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
