"""Publishing end to end with real parts: the API under uvicorn, a grading
worker and a separate authoring worker (Celery, Redis), SQLite, Docker
sandboxes. An author publishes a pack over HTTP, follows its proving on the
events stream, a student is graded against it; a second version leaves old
scores alone until a regrade, whose dry run (graded in the sandbox) predicts
the new scores exactly and changes nothing; a pack whose mutant passes
everything is never shown; hostile archives are refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from grader.settings import Settings
from tests.helpers.live_service import docker_up, running_service
from tests.helpers.publish_packs import SOLUTION, member, pack_bytes, tar_gz, write_pack
from tests.helpers.service_processes import RedisServer, WorkerProcess, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.slow]
GZIP = {"Content-Type": "application/gzip"}


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=900, check=False)


def cli(env: dict[str, str], *args: str) -> str:
    done = run_cli(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def follow(http: httpx.Client, version_id: int) -> tuple[list[str], dict[str, Any]]:
    """The proving log lines and the verdict, as the events stream sends them."""
    lines: list[str] = []
    name, verdict = "", None
    with http.stream("GET", f"/exercise-versions/{version_id}/events",
                     timeout=httpx.Timeout(30, read=600)) as response:
        assert response.status_code == 200
        for raw in response.iter_lines():
            if raw.startswith("event: "):
                name = raw[len("event: "):]
            elif raw.startswith("data: "):
                data = json.loads(raw[len("data: "):])
                if name == "log":
                    lines += data["lines"]
                elif name == "verdict":
                    verdict = data
    assert verdict is not None, lines
    return lines, verdict


def graded(http: httpx.Client, sub_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        view: dict[str, Any] = http.get(f"/submissions/{sub_id}").json()
        return view if view["status"] in ("graded", "not_gradable") else None
    result: dict[str, Any] = wait_for(done, 120, 0.2)
    return result


# Version 2's test_negative asks add(-2, 1): the first passes version 1
# only, the second version 2 only (the regrade preview must see both moves).
HARD_CODED_FOR_V1 = "def add(a, b):\n    return 0 if a == -2 else a + b\n"
WRONG_FOR_V1_ONLY = "def add(a, b):\n    return 5 if a == -1 else a + b\n"


def dry_run_predicts(ada: httpx.Client, bo: httpx.Client, eve: httpx.Client,
                     first: dict[str, dict[str, Any]], digest: str
                     ) -> dict[str, tuple[float, float]]:
    """The dry run: a preview graded in the sandbox on the authoring worker,
    changing nothing stored; returns its would-be (score, max) per submission."""
    sent = ada.post("/exercises/adder/regrade", params={"dry_run": "true"})
    assert sent.status_code == 202, sent.text
    plan = sent.json()["plan"]
    assert (plan["submissions"], plan["on_other_versions"], plan["requeued"]) == (4, 4, 0)
    assert plan["content_hash"] == digest and plan["current_mean_score"] == 0.75
    where = f"/regrade-previews/{sent.json()['id']}"
    assert sent.headers["location"] == "/api/v1" + where

    def finished() -> dict[str, Any] | None:
        view: dict[str, Any] = ada.get(where).json()
        return view if view["status"] in ("done", "failed") else None

    preview: dict[str, Any] = wait_for(finished, 300, 0.3)
    assert preview["status"] == "done", preview
    summary = preview["summary"]
    assert (summary["compared"], summary["changed"], summary["up"], summary["down"]) == (
        4, 2, 1, 1)
    assert (summary["max_change_points"], summary["mean_change_fraction"]) == (-1, 0)
    assert eve.get(where).status_code == 404 and bo.get(where).status_code == 404
    for sub_id, before in first.items():  # nothing stored changed
        now = eve.get(f"/submissions/{sub_id}").json()
        assert (now["score"], now["exercise_version"], len(now["history"])) == (
            before["score"], before["exercise_version"], 1)
    return {item["submission_id"]: (item["new_score"], item["new_max"])
            for item in preview["items"]}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    if not docker_up():
        pytest.skip("no Docker engine answers")
    redis = RedisServer(tmp_path)
    redis.start()
    (tmp_path / "exercises").mkdir()
    settings = Settings(exercises_dir=tmp_path / "exercises", data_dir=tmp_path / "data",
                        database_url=f"sqlite:///{tmp_path / 'grader.db'}", redis_url=redis.url,
                        rate_limit_submissions=1000)
    try:
        with running_service(settings, tmp_path, name="pub") as service:
            # Proving on a worker of its own, as production runs it.
            prover = WorkerProcess("prover", service.env, tmp_path / "prover.log", fake=False)
            prover.argv[prover.argv.index("grading")] = "authoring"
            prover.start(timeout=60)
            try:
                yield service.url, service.env
            finally:
                prover.stop()
    finally:
        redis.stop()


def test_publish_prove_grade_version_regrade_and_refuse(
        stack: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = stack
    for name, role in (("ada", "author"), ("bo", "author"), ("eve", "student")):
        cli(env, "users", "add", name, "--role", role)
    tokens = {name: cli(env, "tokens", "create", name) for name in ("ada", "bo", "eve")}

    def client(name: str) -> httpx.Client:
        return httpx.Client(base_url=url + "/api/v1", timeout=60,
                            headers={"Authorization": f"Bearer {tokens[name]}"})

    ada, bo, eve = client("ada"), client("bo"), client("eve")

    # Hostile archives are refused before anything runs.
    traversal = tar_gz([member("p/../../x.py")], {"p/../../x.py": b"x"})
    link = tar_gz([member("p/exercise.toml", b"2", "/etc/passwd")])
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(squeeze.compress(bytes(1 << 20)) for _ in range(200)) + squeeze.flush()
    for data, said in ((traversal, "'..'"), (link, "link"), (bomb, "decompresses to more")):
        refused = ada.post("/exercises", content=data, headers=GZIP)
        assert refused.status_code == 422 and said in refused.json()["detail"]
    assert ada.post("/exercises", content=os.urandom(4_100_000), headers=GZIP
                    ).status_code == 413
    assert eve.post("/exercises", content=pack_bytes(tmp_path / "s"), headers=GZIP
                    ).status_code == 403

    # Version 1: published, proven live on the stream, then visible.
    assert eve.get("/exercises/adder").status_code == 404
    started = time.monotonic()
    sent = ada.post("/exercises", content=pack_bytes(tmp_path / "v1"), headers=GZIP)
    assert sent.status_code == 202, sent.text
    v1 = sent.json()["version"]
    lines, verdict = follow(ada, v1["id"])
    proven_after = time.monotonic() - started
    assert verdict["status"] == "proven", verdict
    assert any("run 2/2" in line for line in lines) and verdict["active"]
    print(f"\nversion 1: upload to proven in {proven_after:.1f} s")
    wait_for(lambda: eve.get("/exercises/adder").status_code == 200, 30)
    sources = [SOLUTION, "def add(a, b):\n    return abs(a) + b\n",
               HARD_CODED_FOR_V1, WRONG_FOR_V1_ONLY]
    sent_subs = [eve.post("/submissions", json={"exercise": "adder",
                                                 "files": {"adder.py": source}}).json()
                 for source in sources]
    first = {s["id"]: graded(eve, s["id"]) for s in sent_subs}
    assert [(s["score"], s["max_score"]) for s in first.values()] == [(2, 2), (1, 2), (2, 2),
                                                                       (1, 2)]
    assert {s["exercise_version"] for s in first.values()} == {v1["content_hash"]}

    # Another author may not overwrite it.
    taken = bo.post("/exercises", content=pack_bytes(tmp_path / "bo", version=5), headers=GZIP)
    assert taken.status_code == 403 and "belongs to ada" in taken.json()["detail"]

    # Version 2: old scores unchanged until a regrade; the dry run counts first.
    v2 = ada.post("/exercises", content=pack_bytes(tmp_path / "v2", version=2),
                  headers=GZIP).json()["version"]
    assert follow(ada, v2["id"])[1]["status"] == "proven"
    for sub_id, before in first.items():
        now = eve.get(f"/submissions/{sub_id}").json()
        assert (now["score"], now["exercise_version"]) == (before["score"],
                                                           before["exercise_version"])
    predicted = dry_run_predicts(ada, bo, eve, first, v2["content_hash"])
    assert ada.post("/exercises/adder/regrade").json()["requeued"] == 4
    time.sleep(0.5)
    for sub_id in first:
        again = graded(eve, sub_id)
        assert again["exercise_version"] == v2["content_hash"] and len(again["history"]) == 2
        assert (again["score"], again["max_score"]) == predicted[sub_id]  # exactly as predicted

    # Rollback to version 1; the versions list says which one is active.
    assert ada.post("/exercises/adder/rollback", json={"version": v1["id"]}).json()["active"]
    listed = ada.get("/exercises/adder/versions").json()
    assert [(v["id"], v["active"]) for v in listed] == [(v2["id"], False), (v1["id"], True)]

    # A pack whose mutant passes every test is never shown to students.
    broken = ada.post("/exercises", content=pack_bytes(tmp_path / "b", "adder-broken",
                                                       mutant_passes=True), headers=GZIP)
    lines, verdict = follow(ada, broken.json()["version"]["id"])
    assert verdict["status"] == "failed" and "mutant 'abs'" in verdict["verdict"]
    assert eve.get("/exercises/adder-broken").status_code == 404
    assert eve.post("/submissions", json={"exercise": "adder-broken", "files": {
        "adder.py": SOLUTION}}).status_code == 422

    # The CLI: sync a local git repository at a ref; refuse what is not a pack or a repo.
    repo = tmp_path / "repo"
    write_pack(repo, "adder-sync")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for step in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "v1"],
                 ["tag", "v1"]):
        subprocess.run(git + step, check=True, capture_output=True)
    write_pack(repo, "adder-sync", version=7)  # uncommitted: --ref v1 must not see it
    access = ["--url", url, "--token", tokens["ada"]]
    synced = run_cli(env, "exercises", "sync", str(repo), "--ref", "v1", *access)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "published adder-sync version" in synced.stdout and "run 2/2" in synced.stdout
    assert run_cli(env, "exercises", "sync", "--upload-pack=touch /tmp/x", *access
                   ).returncode == 2
    assert run_cli(env, "exercises", "publish", str(tmp_path), *access).returncode == 2
