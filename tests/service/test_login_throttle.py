"""Password guessing is slowed per (account, client address), counted in Redis:
an attacker failing someone's password cannot lock the owner out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from grader.app import create_app
from grader.db import Database, Role
from grader.services import accounts
from grader.services.wiring import Services

ATTACKER = ("203.0.113.66", 40000)
OWNER = ("198.51.100.20", 40001)


@pytest.fixture
def app(services: Services, db: Database) -> FastAPI:
    accounts.create_user(db=db, name="lee", role=Role.STUDENT, password="s3cret-pw")
    return create_app(services=services)


@pytest.fixture
def attacker(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, client=ATTACKER) as client:
        yield client


@pytest.fixture
def owner(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, client=OWNER) as client:
        yield client


def test_attackers_waits_grow_and_the_owner_still_gets_a_token(
        attacker: TestClient, owner: TestClient, services: Services) -> None:
    for _ in range(5):  # the free failures (GRADER_LOGIN_FREE_FAILURES)
        assert attacker.post("/api/v1/tokens", auth=("lee", "guess")).status_code == 401
    # The 5th failure set a 1 s wait: the next try, even the right password, is 429.
    limited = attacker.post("/api/v1/tokens", auth=("lee", "s3cret-pw"))
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert "from your address" in limited.json()["detail"]
    # Meanwhile the owner, from their own address, signs in at once.
    mine = owner.post("/api/v1/tokens", auth=("lee", "s3cret-pw"))
    assert mine.status_code == 201, mine.text
    # The attacker's waits double with each failure (counted in Redis).
    throttle = attacker.app.state.login_throttle  # type: ignore[attr-defined]
    waits = [throttle.failed("lee", ATTACKER[0]) for _ in range(4)]
    assert waits == [2, 4, 8, 16]
    again = attacker.post("/api/v1/tokens", auth=("lee", "guess"))
    assert again.status_code == 429 and 14 <= int(again.headers["Retry-After"]) <= 16
    assert services.redis.keys("grader:login:*")


def test_page_sign_in_is_throttled_per_address_too(
        attacker: TestClient, owner: TestClient) -> None:
    def sign_in(client: TestClient, password: str) -> int:
        page = client.get("/signin")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = client.post("/signin", follow_redirects=False, data={
            "name": "lee", "password": password, "csrf_token": csrf})
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) >= 1
            assert "try again in" in answer.text
        return int(answer.status_code)

    assert [sign_in(attacker, "guess") for _ in range(6)] == [401] * 5 + [429]
    assert sign_in(owner, "s3cret-pw") == 303


def test_a_spoofed_x_forwarded_for_is_not_another_address(attacker: TestClient) -> None:
    """The count is keyed on the connection's address: a header the client
    writes itself does not start a fresh count."""
    codes = [attacker.post("/api/v1/tokens", auth=("lee", "guess"),
                           headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
             for i in range(6)]
    assert codes == [401] * 5 + [429]
