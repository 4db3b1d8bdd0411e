"""A harvest killed with SIGKILL at any point is resumed by the next run, and the catalogue
ends exactly as after an uninterrupted run.

Each scenario runs real processes on a database of its own (a copy of a migrated
template: a SQLite file, or a PostgreSQL database when the suite runs on PostgreSQL):
a harvest killed from inside at a point chosen by a seeded random generator, then a
plain harvest, then a dump of the catalogue compared with an uninterrupted run's.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.connectors import DATA

HARNESS = Path(__file__).with_name("kill_harness.py")
ROOT = HARNESS.parents[2]
SEED = 20261125
SOURCES = ["marc/cotes8.mrc", "marc/pride-and-prejudice-with-many-errors.mrc", "marc/cotesD.mrc"]
# Batches of 50 over 438 records: 9 batches, each inserting sources then records (2 calls
# of bulk_insert). (stage, call number) pairs are drawn below.
STAGE_CALLS = {"parse": 400, "batch": 380, "insert": 18, "dedup": 8, "refresh": 8}


def scenarios() -> list[tuple[str, int]]:
    rng = random.Random(SEED)
    chosen = [(stage, rng.randint(1, top)) for stage, top in STAGE_CALLS.items()]
    chosen += [(rng.choice(sorted(STAGE_CALLS)), 0) for _ in range(2)]
    return [(stage, at or rng.randint(1, STAGE_CALLS[stage])) for stage, at in chosen]


class Databases:
    """Fresh databases copied from one migrated template."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
        self.created: list[str] = []

    def url(self, name: str) -> str:
        if self.postgres:
            db = settings.DATABASES["default"]
            return (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
            )
        return f"sqlite:///{self.tmp / name}.sqlite3"

    def _admin(self, sql: str) -> None:
        import psycopg

        db = settings.DATABASES["default"]
        with psycopg.connect(
            host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
            dbname="postgres", autocommit=True,
        ) as conn:  # fmt: skip
            conn.execute(sql)

    def template(self, export: Path) -> str:
        name = f"kill_tmpl_{uuid.uuid4().hex[:8]}"
        if self.postgres:
            self._admin(f"CREATE DATABASE {name}")
            self.created.append(name)
        run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], self.url(name))
        run([sys.executable, str(HARNESS), "setup", str(export)], self.url(name))
        return name

    def copy(self, template: str) -> str:
        name = f"kill_{uuid.uuid4().hex[:8]}"
        if self.postgres:
            self._admin(f"CREATE DATABASE {name} TEMPLATE {template}")
            self.created.append(name)
        else:
            shutil.copy(self.tmp / f"{template}.sqlite3", self.tmp / f"{name}.sqlite3")
        return name

    def drop_all(self) -> None:
        for name in reversed(self.created):
            self._admin(f"DROP DATABASE IF EXISTS {name}")


def run(command, url, check=True):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "metrobib.settings",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{command} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resumable")
    export = tmp / "export.mrc"
    export.write_bytes(b"".join((DATA / name).read_bytes() for name in SOURCES))
    dbs = Databases(tmp)
    try:
        template = dbs.template(export)
        reference = dbs.copy(template)
        run([sys.executable, str(HARNESS), "harvest"], dbs.url(reference))
        expected = json.loads(
            run([sys.executable, str(HARNESS), "dump"], dbs.url(reference)).stdout
        )
        yield dbs, template, expected
    finally:
        if dbs.postgres:
            dbs.drop_all()


def test_the_reference_run_harvests_every_record(world):
    _dbs, _template, expected = world
    (run_counts,) = expected["runs"]
    assert run_counts["status"] == "completed"
    assert run_counts["read"] == 438
    assert run_counts["rejected"] > 0
    assert len(expected["records"]) == run_counts["created"]


@pytest.mark.parametrize("stage,at", scenarios(), ids=lambda v: str(v))
def test_a_killed_harvest_is_resumed_and_ends_as_an_uninterrupted_one(world, stage, at):
    dbs, template, expected = world
    name = dbs.copy(template)
    url = dbs.url(name)
    killed = run(
        [sys.executable, str(HARNESS), "harvest", "--kill-in", stage, "--at", str(at)],
        url,
        check=False,
    )
    assert killed.returncode == -9, (killed.returncode, killed.stderr[-2000:])
    resumed = run([sys.executable, str(HARNESS), "harvest"], url)
    assert "read=438" in resumed.stdout
    state = json.loads(run([sys.executable, str(HARNESS), "dump"], url).stdout)
    assert state == expected
