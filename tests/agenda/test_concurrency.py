"""No overbooking under concurrency: separate processes, one PostgreSQL database.

200 registration attempts for 30 places from 50 processes, each with its own connection,
started together. Exactly 30 places are confirmed and the rest wait; then cancellations
from 5 processes at once promote exactly as many people from the waiting list. Places
are counted under the occurrence's row lock and guarded by a check constraint
(agenda/services.py), never by a lock in Python.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.databases import throwaway_postgres

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
RACE = str(Path(__file__).with_name("race.py"))


@pytest.fixture(scope="module")
def race_database():
    with throwaway_postgres("metrobib_agenda_race") as url:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update(DATABASE_URL=url, DEBUG="1")
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        yield url, env


def run_script(env, script: str, *args) -> dict:
    """Run a concurrency script (``tests/.../*race.py``); its last line of JSON."""
    done = subprocess.run(
        [sys.executable, script, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def race(env, *args) -> dict:
    return run_script(env, RACE, *args)


def counts(url: str, occurrence: int) -> dict:
    with psycopg.connect(url) as connection:
        places = connection.execute(
            "SELECT confirmed_places, capacity FROM agenda_occurrence WHERE id = %s", [occurrence]
        ).fetchone()
        rows = connection.execute(
            "SELECT status, count(*), sum(places) FROM agenda_registration"
            " WHERE occurrence_id = %s GROUP BY status",
            [occurrence],
        ).fetchall()
    return {"confirmed_places": places[0], "capacity": places[1]} | {
        status: (n, total) for status, n, total in rows
    }


def test_200_attempts_from_50_processes_confirm_exactly_30_places(race_database):
    url, env = race_database
    occurrence = race(env, "setup", "--capacity", "30")["occurrence"]

    outcomes = race(env, "run", str(occurrence), "--processes", "50", "--attempts", "200")

    assert outcomes == {"confirmee": 30, "attente": 170}
    state = counts(url, occurrence)
    assert state["confirmed_places"] == state["capacity"] == 30
    assert state["confirmee"] == (30, 30)
    assert state["attente"] == (170, 170)

    # Five cancellations at once: five people leave the waiting list, in their order.
    assert race(env, "cancel", str(occurrence), "--count", "5", "--processes", "5") == {
        "cancelled": 5
    }
    state = counts(url, occurrence)
    assert state["confirmed_places"] == 30
    assert state["confirmee"] == (30, 30)
    assert state["attente"] == (165, 165)
    assert state["annulee"] == (5, 5)
    with psycopg.connect(url) as connection:
        promoted = connection.execute(
            "SELECT name FROM agenda_registration WHERE occurrence_id = %s"
            " AND promoted_at IS NOT NULL",
            [occurrence],
        ).fetchall()
        first_waiting = connection.execute(
            "SELECT name FROM agenda_registration WHERE occurrence_id = %s"
            " AND (status = 'attente' OR promoted_at IS NOT NULL)"
            " ORDER BY created_at, id LIMIT 5",
            [occurrence],
        ).fetchall()
    assert sorted(promoted) == sorted(first_waiting)
