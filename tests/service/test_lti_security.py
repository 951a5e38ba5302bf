"""Hostile LTI launches against the real tool and the test platform on
127.0.0.1: each is refused with a clear page (401/422, the library's reason),
signs nobody in and creates nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from grader.db import Database, LtiIdentity, User
from grader.services import lti_platforms
from grader.services.wiring import Services
from tests.helpers.lti_platform import INSTRUCTOR, LEARNER, LaunchSpec, Platform, serve
from tests.service.test_lti_flow import field, launch


@pytest.fixture
def tool(services: Services) -> Iterator[str]:
    from grader.app import create_app

    with serve(create_app(services=services)) as base:
        yield base


@pytest.fixture
def platform(tool: str, db: Database) -> Iterator[Platform]:
    with Platform(tool_base=tool).running() as running:
        reg = running.registration()
        lti_platforms.register_platform(db=db, name="Test LMS", **{
            k: reg[k] for k in ("issuer", "client_id", "auth_login_url", "auth_token_url",
                                "key_set_url", "deployment_ids")})
        yield running


def refused(answer: httpx.Response, reason: str, db: Database) -> None:
    assert answer.status_code == 401, answer.text
    assert "LTI launch refused" in answer.text and reason in answer.text
    assert "Traceback" not in answer.text
    with db.reading() as session:  # nobody made, so nobody can be signed in
        assert session.scalar(select(func.count()).select_from(LtiIdentity)) == 0
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_forged_signature_is_refused(tool: str, platform: Platform, db: Database) -> None:
    with httpx.Client(base_url=tool) as browser:
        answer = launch(browser, platform, LaunchSpec(sub="x", roles=[INSTRUCTOR], forge=True))
    refused(answer, "Signature verification failed", db)


def test_expired_token_is_refused(tool: str, platform: Platform, db: Database) -> None:
    with httpx.Client(base_url=tool) as browser:
        answer = launch(browser, platform, LaunchSpec(sub="x", roles=[LEARNER], expired=True))
    refused(answer, "expired", db)


def test_wrong_audience_is_refused(tool: str, platform: Platform, db: Database) -> None:
    with httpx.Client(base_url=tool) as browser:
        answer = launch(browser, platform, LaunchSpec(sub="x", roles=[LEARNER],
                                                      aud="someone-else"))
    refused(answer, "Registration not found", db)


def test_unknown_deployment_is_refused(tool: str, platform: Platform, db: Database) -> None:
    with httpx.Client(base_url=tool) as browser:
        answer = launch(browser, platform, LaunchSpec(sub="x", roles=[LEARNER],
                                                      deployment_id="rogue-deployment"))
    refused(answer, "Unable to find deployment", db)


def test_replayed_launch_is_refused(tool: str, platform: Platform, db: Database) -> None:
    spec = LaunchSpec(sub="x", roles=[LEARNER])
    with httpx.Client(base_url=tool) as browser:
        assert launch(browser, platform, spec).status_code == 303
        first_token = platform.id_tokens[-1]
        # The same id_token (and so its nonce) again, with a fresh, valid state cookie.
        again = launch(browser, platform, spec, replay=first_token)
    assert again.status_code == 401 and "Invalid Nonce" in again.text


def test_replay_from_another_browser_without_the_state_cookie_is_refused(
        tool: str, platform: Platform, db: Database) -> None:
    with httpx.Client(base_url=tool) as browser:
        start = browser.get(platform.login_url(LaunchSpec(sub="x", roles=[LEARNER])))
        page = httpx.get(start.headers["location"]).text
    with httpx.Client(base_url=tool) as attacker:  # no state cookie
        answer = attacker.post("/lti/launch", data={"id_token": field(page, "id_token"),
                                                    "state": field(page, "state")})
    refused(answer, "State not found", db)


def test_a_state_that_does_not_match_is_refused(tool: str, platform: Platform,
                                                db: Database) -> None:
    with httpx.Client(base_url=tool) as browser:
        start = browser.get(platform.login_url(LaunchSpec(sub="x", roles=[LEARNER])))
        page = httpx.get(start.headers["location"]).text
        answer = browser.post("/lti/launch", data={"id_token": field(page, "id_token"),
                                                   "state": "state-not-the-one"})
    refused(answer, "State not found", db)


def test_garbage_and_missing_fields_get_clear_errors(tool: str, platform: Platform,
                                                     db: Database) -> None:
    with httpx.Client(base_url=tool) as browser:
        for data in ({}, {"state": "s"}, {"id_token": "not.a.jwt", "state": "s"}):
            answer = browser.post("/lti/launch", data=data)
            assert answer.status_code == 401 and "LTI launch refused" in answer.text
        login = browser.get("/lti/login", params={"iss": "https://unknown.example",
                                                  "login_hint": "u"})
        assert login.status_code == 422 and "registration" in login.text.lower()
        assert browser.get("/lti/login").status_code == 422
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_jwks_publishes_the_tool_key_only(tool: str) -> None:
    keys = httpx.get(f"{tool}/lti/jwks").json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
    assert "d" not in keys[0] and "p" not in keys[0]  # never the private parts
    assert httpx.get(f"{tool}/.well-known/jwks.json").json()["keys"] == keys
