"""Throw-away PostgreSQL databases for tests that run the project in other processes."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

# The server the suites use (README, .ci/run) when DATABASE_URL does not name one.
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def run_statements(url: str, *statements: str) -> None:
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def postgres_server() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else DEFAULT_SERVER


@contextmanager
def throwaway_postgres(prefix: str, server: str | None = None) -> Iterator[str]:
    """The URL of an empty database, dropped (with its connections) on exit."""
    server = server or postgres_server()
    name = f"{prefix}_{os.getpid()}"
    run_statements(server, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server, name)
    finally:
        run_statements(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
