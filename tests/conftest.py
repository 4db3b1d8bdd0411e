"""The shared cast: the network, two libraries with a site each, and one person per role."""

import pytest

from tests.factories import CommuneFactory, LibraryFactory, SiteFactory, UserFactory


@pytest.fixture
def cast(db):
    """Library A (Bron) and library B (Vénissieux), their staff, a network admin, a patron."""
    from accounts.models import Role

    bron = CommuneFactory(insee_code="69029", name="Bron", population=42982)
    venissieux = CommuneFactory(insee_code="69259", name="Vénissieux", population=66701)
    library_a = LibraryFactory(name="Bibliothèques de Bron", slug="bron", communes=[bron])
    library_b = LibraryFactory(
        name="Bibliothèques de Vénissieux", slug="venissieux", communes=[venissieux]
    )
    site_a = SiteFactory(library=library_a, commune=bron, name="Médiathèque Jean Prévost")
    site_b = SiteFactory(library=library_b, commune=venissieux, name="Médiathèque Lucie Aubrac")

    class Cast:
        pass

    c = Cast()
    c.commune_a, c.commune_b = bron, venissieux
    c.library_a, c.library_b = library_a, library_b
    c.site_a, c.site_b = site_a, site_b
    c.network_admin = UserFactory(role=Role.NETWORK_ADMIN, username="coord@example.org")
    c.admin_a = UserFactory(
        role=Role.LIBRARY_ADMIN, library=library_a, username="admin-a@example.org"
    )
    c.editor_a = UserFactory(
        role=Role.LIBRARY_EDITOR, library=library_a, username="editor-a@example.org"
    )
    c.admin_b = UserFactory(
        role=Role.LIBRARY_ADMIN, library=library_b, username="admin-b@example.org"
    )
    c.editor_b = UserFactory(
        role=Role.LIBRARY_EDITOR, library=library_b, username="editor-b@example.org"
    )
    c.patron = UserFactory(role=Role.PATRON, username="patron@example.org")
    return c


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failure: every test must really run."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("CI") and reporter is not None and reporter.stats.get("skipped"):
        reporter.write_line("CI: skipped tests are not allowed", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _forget_cached_pages():
    """Each test's database is rolled back; pages one test cached must not serve another."""
    from metrobib import pagecache

    pagecache.clear_local()
    yield
    pagecache.clear_local()
