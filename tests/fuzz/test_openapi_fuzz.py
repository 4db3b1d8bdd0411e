"""The public API fuzzed from its own OpenAPI schema: no server error, every response valid.

Schemathesis generates requests from /api/v1/openapi.json and calls the real Django WSGI
application with a real database holding a small network (the shared cast).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from metrobib.wsgi import application

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


@pytest.fixture
def api_schema(cast):
    # The WSGI handler closes "old" connections at each request's start and end; inside the
    # test's transaction that would close it (PostgreSQL). Django's test client does the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_fails_and_matches_its_schema(case):
    case.call_and_validate()
