"""/metrics: loopback only without GRADER_METRICS_TOKEN; with one, a Bearer
token compared in constant time, from any address."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from grader.api.metrics import is_loopback
from grader.app import create_app
from grader.services.wiring import Services


def scrape(services: Services, host: str, **headers: str) -> tuple[int, str]:
    with TestClient(create_app(services=services), client=(host, 41000)) as client:
        answer = client.get("/metrics", headers=headers)
        return answer.status_code, answer.text


@pytest.mark.parametrize(("host", "allowed"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("10.0.0.5", False), ("192.168.1.2", False), ("2001:db8::1", False), ("testclient", False),
])
def test_without_a_token_only_loopback_may_scrape(services: Services, host: str,
                                                  allowed: bool) -> None:
    assert is_loopback(host) is allowed
    status, body = scrape(services, host)
    if allowed:
        assert status == 200 and "grader_queue_depth" in body
    else:
        assert status == 403 and "GRADER_METRICS_TOKEN" in body


def test_with_a_token_every_scrape_must_send_it(services: Services) -> None:
    services.settings.metrics_token = SecretStr("m" * 40)
    good = {"Authorization": "Bearer " + "m" * 40}
    assert scrape(services, "10.0.0.5", **good)[0] == 200
    assert scrape(services, "::1", **good)[0] == 200
    for headers in ({}, {"Authorization": "Bearer " + "m" * 39}, {"Authorization": "Bearer "},
                    {"Authorization": "Basic " + "m" * 40}):
        # Loopback included: once a token is set, nobody scrapes without it.
        status, body = scrape(services, "127.0.0.1", **headers)
        assert status == 401 and "Bearer" in body
    with TestClient(create_app(services=services), client=("127.0.0.1", 1)) as client:
        refused = client.get("/api/v1/metrics")
        assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_an_empty_token_setting_means_none(services: Services) -> None:
    services.settings.metrics_token = SecretStr("")
    assert scrape(services, "127.0.0.1")[0] == 200
    assert scrape(services, "10.0.0.5")[0] == 403
