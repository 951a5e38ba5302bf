"""The Compose stack brought up for real (issue 13): docker-compose.yml with the
offline and host-network overrides (tests/helpers/compose_stack.py), images
built from the offline base, PostgreSQL and Redis from Debian's packages. A
user and token are made with `docker-compose exec api grader ...`, a catalogue
exercise is submitted over HTTP on 127.0.0.1, and the worker container grades
it in a sandbox it starts through the host's Docker socket, with the exercise
image the host built. The project is always taken down with its volumes."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from grader.exercises.submission import read_submission
from grader.sandbox_grading import ensure_image
from grader.services.catalog import Catalog
from grader.services.client import ApiClient
from grader.settings import REPO_ROOT, Settings
from tests.helpers.compose_stack import ComposeStack, host_base_image, running
from tests.helpers.live_service import docker_up
from tests.helpers.service_processes import wait_for

# A cold run builds four images (a few minutes on 2 cores) in the fixture.
pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1800)]
# A python-runner exercise: the quickest to grade; its starter loses points.
SLUG = "safe-fetch"


def _api_up(stack: ComposeStack) -> bool:
    try:
        return httpx.get(stack.url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _worker_sandboxes(stack: ComposeStack) -> list[str]:
    """Images of the sandboxes the compose worker owns (labelled with its host name)."""
    return [c["Image"] for c in stack.worker_sandboxes()]


@pytest.fixture(scope="module")
def stack() -> Iterator[ComposeStack]:
    if shutil.which("docker-compose") is None:
        # scripts/setup --tests installs it (Debian's docker-compose) when run as root.
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    if not docker_up():
        pytest.skip("no Docker engine answers")
    started = time.monotonic()
    with running(f"gradertest{uuid.uuid4().hex[:10]}", host_base_image()) as made:
        built = time.monotonic()
        try:
            wait_for(lambda: _api_up(made), timeout=180, interval=0.5)
        except AssertionError:
            raise AssertionError(f"the api never answered /healthz\n{made.logs()}") from None
        print(f"\ncompose: up --build {built - started:.1f} s, "
              f"api answering {time.monotonic() - built:.1f} s later")
        yield made


def test_a_submission_is_graded_end_to_end_through_the_stack(stack: ComposeStack) -> None:
    pack = Catalog(REPO_ROOT / "exercises").reload()[SLUG]
    # The image setup builds on the host (`grader images build`): the worker
    # must find exactly this one through the socket, not build another.
    expected = ensure_image(pack, Settings(base_image=stack.base_image))

    out = stack.checked("exec", "-T", "api", "grader", "users", "add", "eve", "--role", "student")
    assert "added eve" in out
    token = stack.checked("exec", "-T", "api", "grader", "tokens", "create", "eve").strip()
    assert token.startswith("grd_"), token

    # Each service's health check passes in its image (the offline redis and
    # postgres too); the worker's answers once Celery is up.
    for service in ("api", "worker", "redis", "postgres"):
        try:
            wait_for(lambda s=service: stack.run_health_check(s)[0] == 0, timeout=60, interval=1)
        except AssertionError:
            raise AssertionError(f"{service}'s health check fails: "
                                 f"{stack.run_health_check(service)}\n{stack.logs()}") from None
    answer = httpx.get(stack.url + "/readyz", timeout=10)
    ready = answer.json()
    assert answer.status_code == 200 and ready["failed"] == [], ready
    assert ready["checks"] == {"database": "ok", "redis": "ok"}, ready  # no Docker in the api

    client = ApiClient(stack.url, token, timeout=60)
    started = time.monotonic()
    try:
        solution = client.submit(SLUG, read_submission(pack.solution, pack.manifest.submission))
        starter = client.submit(SLUG, read_submission(pack.starter, pack.manifest.submission))
        results = []
        for sent in (solution, starter):
            statuses = [e["status"] for e in client.events(sent["id"])]
            assert statuses[-1] == "graded", f"{statuses}\n{stack.logs()}"
            results.append(client.get(sent["id"]))
        graded = time.monotonic() - started
    finally:
        client.close()
    good, weak = results
    assert good["score"] == good["max_score"] > 0, json.dumps(good, indent=1)[:3000]
    assert all(t["outcome"] == "passed" for t in good["tests"])
    assert weak["status"] == "graded" and 0 <= weak["score"] < weak["max_score"]
    print(f"compose: two submissions graded in {graded:.1f} s")

    # After a grading the worker keeps a sandbox warm for the exercise: its
    # image is the one the host built (found, not rebuilt in the container).
    warm = wait_for(lambda: _worker_sandboxes(stack), timeout=60, interval=0.5)
    assert set(warm) == {expected}, (warm, expected)

    # Stopping the worker (as `down` does) removes the sandboxes it started.
    stack.checked("stop", "--timeout", "60", "worker", timeout=120)
    assert _worker_sandboxes(stack) == []


def test_offline_postgres_image_refuses_to_start_without_a_password(stack: ComposeStack) -> None:
    """As the official image does: no cluster is ever made without POSTGRES_PASSWORD."""
    done = subprocess.run(["docker", "run", "--rm", "--network", "none", "grader-postgres:offline"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "set POSTGRES_PASSWORD" in done.stderr
