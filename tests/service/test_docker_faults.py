"""Docker unreachable, for real: a worker pointed at an address where no
engine answers retries, then marks the submission not_gradable (no attempt
spent); once a worker with a working engine runs, an author's regrade grades
it, and the history keeps both runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from grader.exercises.pack import load_pack
from grader.exercises.submission import read_submission
from grader.settings import REPO_ROOT, Settings
from tests.helpers.service_fakes import Account
from tests.helpers.service_processes import WorkerProcess, free_port, service_env, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.slow]
URL = "/api/v1/submissions"
PACK = load_pack(REPO_ROOT / "exercises" / "api-design" / "books-api")


@pytest.fixture
def exercises_root() -> Path:
    return REPO_ROOT / "exercises"  # the real packs, graded in real Docker


def _final(client: TestClient, who: Account, sub_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"{URL}/{sub_id}", headers=who.headers).json()
        return body if body["status"] in ("graded", "not_gradable") else None

    result: dict[str, Any] = wait_for(done, 300, 0.2)
    return result


def test_docker_unreachable_then_back_and_regraded(
    live_client: TestClient, alice: Account, author: Account, settings: Settings,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    dead_engine = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    broken = start_worker("no-docker", env=service_env(settings, docker_url=dead_engine),
                          fake=False)
    files = read_submission(PACK.solution, PACK.manifest.submission)
    response = live_client.post(URL, headers=alice.headers,
                                json={"exercise": PACK.slug, "files": files})
    sub_id = response.json()["id"]
    body = _final(live_client, alice, sub_id)
    assert body["status"] == "not_gradable", body
    assert body["attempts"] == 3 and body["attempt_number"] is None
    assert "no Docker engine answers" in body["message"]
    broken.stop()

    start_worker("docker-back", fake=False)
    regrade = live_client.post(f"{URL}/{sub_id}/regrade", headers=author.headers)
    assert regrade.status_code == 202
    body = _final(live_client, alice, sub_id)
    assert body["status"] == "graded" and body["score"] == body["max_score"] > 0, body
    assert body["attempt_number"] == 1
    assert [h["status"] for h in body["history"]] == ["not_gradable", "graded"]
