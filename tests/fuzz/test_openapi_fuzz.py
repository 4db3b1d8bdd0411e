"""The public API fuzzed from its own OpenAPI schema: no server error, every response valid.

Schemathesis generates requests from /api/v1/openapi.json and calls the real Django WSGI
application with a real database holding a small network (the shared cast).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from metrobib.wsgi import application

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


@pytest.fixture
def api_schema(cast):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_fails_and_matches_its_schema(case):
    case.call_and_validate()
