"""Whether a PIN was written to the database: the check the PIN tests share."""

import re

from django.contrib.auth.hashers import check_password
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection


def holds_pin(value, pin: str) -> bool:
    """Whether a stored value holds `pin` as a value of its own: the cell itself, or a
    token of a text (JSON, a form dump, a decoded session). Hashes, random keys and the
    microseconds of a timestamp may hold any four digits inside a longer run of letters
    and digits; a stored PIN stands apart from them."""
    if isinstance(value, (bytes, memoryview)):
        value = bytes(value).decode("latin-1")
    if not isinstance(value, str):
        return str(value) == pin
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(pin)}(?![0-9A-Za-z])", value) is not None


def assert_pins_stored_nowhere(pins, prefixes=("accounts_", "axes_", "django_session")):
    """No row of the tables named with one of `prefixes` holds one of `pins`: password
    columns are checked as hashes, sessions decoded as well as stored."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if not table.startswith(prefixes):
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from the schema)
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                cells = dict(zip(columns, row, strict=True))
                if "password" in cells:
                    password = cells.pop("password")
                    assert not any(check_password(pin, password) for pin in pins), table
                if "session_data" in cells:
                    cells["decoded"] = repr(SessionStore().decode(cells["session_data"]))
                for column, value in cells.items():
                    assert not any(holds_pin(value, pin) for pin in pins), (table, column)
