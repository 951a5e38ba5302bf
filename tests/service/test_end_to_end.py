"""End to end over HTTP with everything real: the API (uvicorn, its own
process), a Celery worker process, Redis, and Docker sandboxes. For one
exercise of each category and runner the reference solution gets full marks,
the starter less; the events stream ends at `graded`; the webhook arrives
signed; `grader submit --wait` prints the table."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from grader.exercises.submission import read_submission
from grader.services import config, webhooks
from grader.services.catalog import Catalog
from grader.services.client import ApiClient
from grader.settings import REPO_ROOT, Settings
from sandbox import engine
from sandbox.container import LABEL_OWNER, LABEL_SANDBOX
from tests.helpers.live_service import docker_up, running_service
from tests.helpers.service_processes import Receiver, RedisServer, WorkerProcess, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.slow]
# Packs that load (one being written by an author is left out, as the
# service's own catalogue does; `grader exercises check` reports it).
PACKS = sorted(Catalog(REPO_ROOT / "exercises").reload().values(), key=lambda p: p.slug)
# Through the service, the first exercise of each (category, runner): what the
# service does with a submission depends on its runner, not on which exercise
# it is; every exercise's solution and starter are graded by the worker's own
# grading function (grade_files) in the catalogue check
# (tests/integration/test_exercises.py), and under gVisor there too.
ONE_PER_KIND = sorted({(p.manifest.category, p.manifest.runner): p
                       for p in reversed(PACKS)}.values(), key=lambda p: p.slug)


@dataclass
class Stack:
    url: str
    token: str
    settings: Settings
    env: dict[str, str]
    worker: WorkerProcess
    author_token: str = ""  # callbacks are for authors' and admins' tokens


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)


@contextmanager
def live_stack(tmp: Path, *, name: str, concurrency: int = 2) -> Iterator[Stack]:
    if not docker_up():
        pytest.skip("no Docker engine answers")
    redis = RedisServer(tmp)
    redis.start()
    settings = Settings(exercises_dir=REPO_ROOT / "exercises", data_dir=tmp / "data",
                        database_url=f"sqlite:///{tmp / 'grader.db'}", redis_url=redis.url,
                        rate_limit_submissions=1000)
    try:
        # The webhook receivers listen on loopback, which only an admin's allow-list opens.
        with running_service(settings, tmp, name=name, concurrency=concurrency,
                             rate_limit_submissions=1000,
                             callback_allowed_networks="127.0.0.1/32") as service:  # fmt: skip
            assert cli(service.env, "users", "add", "eve", "--role", "student").returncode == 0
            made = cli(service.env, "tokens", "create", "eve")
            assert made.returncode == 0, made.stderr
            assert cli(service.env, "users", "add", "ada", "--role", "author").returncode == 0
            authored = cli(service.env, "tokens", "create", "ada")
            assert authored.returncode == 0, authored.stderr
            yield Stack(url=service.url, token=made.stdout.strip(), settings=settings,
                        env=service.env, worker=service.worker,
                        author_token=authored.stdout.strip())  # fmt: skip
    finally:
        redis.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with live_stack(tmp_path_factory.mktemp("e2e"), name="e2e") as made:
        yield made


def test_readyz_sees_database_redis_and_docker(stack: Stack) -> None:
    body = httpx.get(stack.url + "/readyz", timeout=10).json()
    assert body == {"status": "ready", "failed": [],
                    "checks": {"database": "ok", "redis": "ok", "docker": "ok"}}


@pytest.mark.parametrize("pack", ONE_PER_KIND, ids=[p.slug for p in ONE_PER_KIND])
def test_solution_full_marks_starter_less_events_and_signed_webhook(stack: Stack, pack: object
                                                                   ) -> None:
    from grader.exercises.pack import ExercisePack

    assert isinstance(pack, ExercisePack)
    receiver = Receiver(failures=0)
    client = ApiClient(stack.url, stack.author_token, timeout=60)
    try:
        solution = read_submission(pack.solution, pack.manifest.submission)
        starter = read_submission(pack.starter, pack.manifest.submission)
        good = client.submit(pack.slug, solution, callback_url=receiver.url)
        weak = client.submit(pack.slug, starter)
        events = [e["status"] for e in client.events(good["id"])]
        assert events[-1] == "graded" and events[0] in ("queued", "running")
        result = client.get(good["id"])
        assert result["score"] == result["max_score"] > 0, json.dumps(result, indent=1)[:3000]
        assert all(t["outcome"] == "passed" for t in result["tests"])
        list(client.events(weak["id"]))
        lesser = client.get(weak["id"])
        assert lesser["status"] == "graded" and lesser["score"] < lesser["max_score"]
        wait_for(lambda: receiver.calls, 60)
        headers, body = receiver.calls[0]
        secret = config.secret_key(stack.settings)
        assert webhooks.verify(secret, body, headers[webhooks.SIGNATURE_HEADER])
        assert json.loads(body)["score"] == result["max_score"]
    finally:
        client.close()
        receiver.server.shutdown()
        receiver.server.server_close()


def test_grader_submit_wait_prints_the_table(stack: Stack, tmp_path: Path) -> None:
    pack = next(p for p in PACKS if p.slug == "books-api") if any(
        p.slug == "books-api" for p in PACKS) else PACKS[0]
    files = read_submission(pack.solution, pack.manifest.submission)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "grader.cli.main", "submit", pack.slug, *files, "--wait",
         "--url", stack.url, "--token", stack.token],
        env=stack.env, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "graded" in result.stdout and "passed" in result.stdout


def _only_one(found: dict[str, str]) -> dict[str, str]:
    return found if len(found) == 1 else {}


def _worker_sandboxes(docker_client: Any, group: int) -> dict[str, str]:
    """Sandbox containers owned by a process of the worker's group: id -> state."""
    found = docker_client.api.containers(all=True, filters={"label": f"{LABEL_SANDBOX}=1"})
    mine = {}
    for entry in found:
        host, _, pid = (entry.get("Labels") or {}).get(LABEL_OWNER, "").rpartition(":")
        if host != socket.gethostname() or not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) == group:
                mine[entry["Id"]] = entry["State"]
        except ProcessLookupError:
            continue  # its owner is gone: not the live worker's
    return mine


def test_the_next_grading_is_warm_and_a_stopped_worker_leaves_no_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    pack = next(p for p in PACKS if p.slug == "hot-lookup-index")
    files = read_submission(pack.solution, pack.manifest.submission)
    docker_client = engine.connect()
    with live_stack(tmp_path_factory.mktemp("warm"), name="warm", concurrency=1) as solo:
        assert solo.worker.proc is not None
        group = solo.worker.proc.pid  # its own session: the main process and its pool
        client = ApiClient(solo.url, solo.token, timeout=60)
        try:
            first = client.submit(pack.slug, files)
            list(client.events(first["id"]))
            # Once it has graded the exercise, the worker starts a sandbox for its next one.
            # (The used sandbox is removed in the background: wait until only one is left.)
            warm = wait_for(lambda: _only_one(_worker_sandboxes(docker_client, group)), 60)
            assert list(warm.values()) == ["running"]
            second = client.submit(pack.slug, files)
            list(client.events(second["id"]))
            result = client.get(second["id"])
            assert result["score"] == result["max_score"], json.dumps(result)[:2000]
            # That sandbox graded it (and was removed); another waits for the next one.
            after = wait_for(lambda: _only_one(_worker_sandboxes(docker_client, group)), 60)
            assert set(after).isdisjoint(warm)
        finally:
            client.close()
        pool_pids = {int(c.labels[LABEL_OWNER].rpartition(":")[2])
                     for c in docker_client.containers.list(filters={"id": list(after)})}
        solo.worker.stop()  # SIGTERM, the way a service manager stops it
        assert _worker_sandboxes(docker_client, group) == {}
        # Not only "its processes are gone": the worker removed what it started.
        left = docker_client.api.containers(all=True, filters={"label": f"{LABEL_SANDBOX}=1"})
        owners = {int(e["Labels"][LABEL_OWNER].rpartition(":")[2]) for e in left
                  if e["Labels"].get(LABEL_OWNER, "").startswith(socket.gethostname() + ":")}
        assert owners.isdisjoint(pool_pids)
