"""POST /api/v1/submissions: what is accepted, and every rejection with its
status code and message."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from grader.services.wiring import Services
from tests.helpers.service_fakes import Account, FakeQueue

URL = "/api/v1/submissions"
GOOD = {"exercise": "hello-api", "files": {"app/main.py": "print('hi')\n"}}


def post(client: TestClient, who: Account, body: Any, **headers: str) -> Any:
    return client.post(URL, json=body, headers={**who.headers, **headers})


def test_json_submission_is_queued_and_enqueued(
    client: TestClient, alice: Account, queue: FakeQueue
) -> None:
    response = post(client, alice, GOOD)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued"
    assert body["exercise"] == "hello-api"
    assert body["queued_at"] and body["started_at"] is None and body["finished_at"] is None
    assert body["attempts"] == 0 and body["score"] is None
    assert response.headers["Location"] == f"{URL}/{body['id']}"
    assert queue.grading == [body["id"]]
    again = client.get(f"{URL}/{body['id']}", headers=alice.headers)
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_multipart_upload(client: TestClient, alice: Account) -> None:
    response = client.post(
        URL, headers=alice.headers,
        data={"exercise": "hello-api"},  # callback_url: tests/service/test_callbacks.py
        files=[("files", ("app/main.py", b"x = 1\n")), ("files", ("notes.txt", b"n\n"))],
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"


def test_idempotency_key_returns_the_same_submission(
    client: TestClient, alice: Account, queue: FakeQueue
) -> None:
    first = post(client, alice, GOOD, **{"Idempotency-Key": "k-1"})
    second = post(client, alice, GOOD, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(queue.grading) == 1
    other = post(client, alice, {**GOOD, "files": {"app/main.py": "y = 2\n"}},
                 **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert "different request" in other.json()["detail"]


def test_idempotency_keys_are_per_user(client: TestClient, alice: Account, bob: Account) -> None:
    a = post(client, alice, GOOD, **{"Idempotency-Key": "same"})
    b = post(client, bob, GOOD, **{"Idempotency-Key": "same"})
    assert a.json()["id"] != b.json()["id"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"app/main.py": "x", "secret.sh": "x"}, "file 'secret.sh' is not allowed here"),
        ({"app/other.py": "x"}, "required file 'app/main.py' is missing"),
        ({"/etc/passwd": "x", "app/main.py": "x"}, "absolute paths are not allowed"),
        ({"app/../../x.py": "x", "app/main.py": "x"}, "'..'"),
        ({"app/main.py": "x", "app/a.py": "", "app/b.py": "", "app/c.py": ""},
         "4 files submitted; the limit is 3"),
        ({"app/main.py": "x" * 2500}, "2500 bytes submitted; the limit is 2000"),
        ({"app/main.py": "\ud800"}, "file 'app/main.py' is not UTF-8 text"),
    ],
)
def test_files_the_manifest_refuses(
    client: TestClient, alice: Account, files: dict[str, str], message: str, queue: FakeQueue
) -> None:
    # Lone surrogates cannot come through httpx's json=, so send raw JSON.
    import json

    raw = json.dumps({"exercise": "hello-api", "files": files})
    response = client.post(URL, content=raw, headers={**alice.headers,
                                                       "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert queue.grading == []


def test_unknown_exercise(client: TestClient, alice: Account) -> None:
    response = post(client, alice, {**GOOD, "exercise": "no-such-thing"})
    assert response.status_code == 422
    assert response.json()["detail"] == "unknown exercise 'no-such-thing'"


def test_non_utf8_upload(client: TestClient, alice: Account) -> None:
    response = client.post(URL, headers=alice.headers, data={"exercise": "hello-api"},
                           files=[("files", ("app/main.py", b"\xff\xfe bad"))])
    assert response.status_code == 422
    assert response.json()["detail"] == "file 'app/main.py' is not UTF-8 text"


@pytest.mark.parametrize(
    ("content", "kind", "status", "message"),
    [
        (b"{not json", "application/json", 422, "request body is not valid JSON"),
        (b'{"exercise": "hello-api", "files": {}, "extra": 1}', "application/json", 422,
         "extra: unknown field"),
        (b'{"exercise": "hello-api", "files": {"app/main.py": 3}}', "application/json", 422,
         "files.app/main.py"),
        (b"exercise=hello-api", "application/x-www-form-urlencoded", 415,
         "send application/json or multipart/form-data"),
    ],
)
def test_malformed_requests(client: TestClient, alice: Account, content: bytes, kind: str,
                            status: int, message: str) -> None:
    response = client.post(URL, content=content, headers={**alice.headers, "Content-Type": kind})
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_body_over_the_server_cap(client: TestClient, alice: Account, services: Services) -> None:
    services.settings.max_submission_bytes = 1000
    response = post(client, alice, {**GOOD, "files": {"app/main.py": "x" * 5000}})
    assert response.status_code == 413
    assert "over the server's limit" in response.json()["detail"]


def test_bad_callback_url(client: TestClient, author: Account) -> None:
    response = post(client, author, {**GOOD, "callback_url": "file:///etc/passwd"})
    assert response.status_code == 422
    assert "callback_url refused: only http and https" in response.json()["detail"]


def test_rate_limit_answers_429_with_retry_after(client: TestClient, alice: Account,
                                                 bob: Account) -> None:
    for _ in range(5):  # settings: 5 per window
        assert post(client, alice, GOOD).status_code == 202
    limited = post(client, alice, GOOD)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "too many submissions: at most 5 per 60 s" in limited.json()["detail"]
    assert post(client, bob, GOOD).status_code == 202  # per user


def test_queue_full_answers_503(client: TestClient, alice: Account, bob: Account,
                                services: Services) -> None:
    services.settings.queue_max_depth = 2
    assert post(client, alice, GOOD).status_code == 202
    assert post(client, bob, GOOD).status_code == 202
    full = post(client, alice, GOOD)
    assert full.status_code == 503
    assert full.json()["detail"] == "the grading queue is full; try again in a minute"
    assert "Retry-After" in full.headers


def test_broker_down_still_accepts_and_keeps_it_queued(
    client: TestClient, alice: Account, queue: FakeQueue
) -> None:
    queue.up = False
    response = post(client, alice, GOOD)
    assert response.status_code == 202
    sub = client.get(f"{URL}/{response.json()['id']}", headers=alice.headers).json()
    assert sub["status"] == "queued"  # in the database; the sweep will enqueue it


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Bearer grd_" + "x" * 43, "Basic abc"])
def test_requests_without_a_valid_token_get_401(client: TestClient, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    response = client.post(URL, json=GOOD, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "token" in response.json()["detail"]


def test_chunked_body_over_the_cap_is_refused_while_reading(
    client: TestClient, alice: Account, services: Services
) -> None:
    services.settings.max_submission_bytes = 1000

    def chunks() -> Any:
        yield b'{"exercise": "hello-api", "files": {"app/main.py": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}}'

    response = client.post(URL, content=chunks(), headers={**alice.headers,
                                                             "Content-Type": "application/json"})
    assert response.status_code == 413
