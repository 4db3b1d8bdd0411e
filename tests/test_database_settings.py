"""The settings the portal's PostgreSQL sessions run with (metrobib/settings.py), as the
server applies them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.databases import postgres_server

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.postgres

NAMES = ("jit", "max_parallel_workers_per_gather", "work_mem", "effective_io_concurrency")


def session_settings(**env: str) -> dict[str, str]:
    """What a session opened with the settings' connection options says of NAMES."""
    environ = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environ.update(DATABASE_URL=postgres_server(), DEBUG="1", **env)
    done = subprocess.run(
        [sys.executable, "-c", "import json; from metrobib import settings; "
         "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    options = json.loads(done.stdout.strip().splitlines()[-1])["options"]
    with psycopg.connect(postgres_server(), options=options) as connection:
        return {name: connection.execute(f"SHOW {name}").fetchone()[0] for name in NAMES}


def test_web_sessions_run_short_queries_from_memory():
    assert session_settings() == {
        "jit": "off",
        "max_parallel_workers_per_gather": "0",
        "work_mem": "32MB",
        "effective_io_concurrency": "0",
    }


def test_a_server_reading_from_disk_can_prefetch():
    assert session_settings(DATABASE_IO_CONCURRENCY="200")["effective_io_concurrency"] == "200"
