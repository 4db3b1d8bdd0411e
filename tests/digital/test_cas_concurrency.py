"""A CAS ticket replayed concurrently validates once: 20 processes, each with its own
connection to one PostgreSQL database, validate the same ticket at the same moment;
exactly one succeeds (digital.cas.validate locks and deletes the row in one transaction),
the others get INVALID_TICKET."""

import pytest

from tests.agenda.test_concurrency import race_database, run_script  # noqa: F401 (fixture)

pytestmark = pytest.mark.postgres

SCRIPT = "tests/digital/cas_race.py"


def test_one_ticket_validated_by_20_processes_at_once_succeeds_once(race_database):  # noqa: F811
    _, env = race_database
    issued = run_script(env, SCRIPT, "setup")
    outcomes = run_script(env, SCRIPT, "run", issued["ticket"], issued["service"],
                          "--processes", "20")  # fmt: skip
    assert outcomes == {"success": 1, "INVALID_TICKET": 19}
