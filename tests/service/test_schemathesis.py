"""Schemathesis against the OpenAPI schema: generated requests (valid and
not) to every operation, with a valid author token; no answer may be a 500.

Driven through Hypothesis directly (schemathesis's pytest plugin does not
work with this pytest), one strategy per operation."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from grader.app import create_app
from grader.services.wiring import Services
from tests.helpers.service_fakes import Account

pytestmark = pytest.mark.slow


def test_no_operation_answers_500(services: Services, author: Account) -> None:
    services.limiter = None  # thousands of submissions: no rate limit here
    app = create_app(services=services)
    with TestClient(app):  # the lifespan: migrations and the catalogue
        pass
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    tried: list[str] = []
    statuses: Counter[int] = Counter()
    for operation in operations:
        if operation.path.endswith("/events"):
            continue  # a stream; its 404s and auth are covered in test_api_access

        @given(case=operation.as_strategy())
        # 40 per operation: each one's parameter types and bounds come early in
        # Hypothesis's generation; past that, more examples cost time (28-34 s
        # for the whole test at 100) and find little.
        @settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            response = case.call(headers=author.headers)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=[not_a_server_error])

        check()
        tried.append(f"{operation.method.upper()} {operation.path}")
    assert "POST /api/v1/submissions" in tried
    assert sum(statuses.values()) > 100 and statuses[200] > 0 and statuses[422] > 0, statuses
    print(dict(statuses))
