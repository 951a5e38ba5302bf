"""Publishing, upload to proven, for one small pack of each runner.

Starts its own redis-server, the API under uvicorn, a grading worker and an
authoring worker (Celery, queue "authoring", concurrency 1) on SQLite and
Docker, then publishes, one after the other, under fresh slugs:

- python:   the adder pack of tests/helpers/publish_packs.py (2 tests, 1 mutant)
- http-app: a copy of exercises/api-design/books-api
- sql:      a copy of exercises/sql-optimization/hot-lookup-index

and follows each version's events stream. Prints per pack: upload to proven
(seconds, measured here), of which queued (published -> a worker started it),
build (the worker's proving time less the check: extracting, loading and
building the exercise's image: a new one, since each pack gets a random
file in tests/ that Docker's layer cache cannot have seen; the shared
runtime image below it is built once per machine and reused) and the
check (reference, starter, mutants, 2 runs), with the machine's load
average before and after. The images it built are removed at the end.

    .venv/bin/python bench/publish.py

Run on demand; not part of the test suite. The split comes from the
version's timestamps (the worker's clock); the total also holds the upload,
the stream's polling (up to ~1 s) and the verdict's trip back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repo root: tests.helpers (python -m bench.<name> needs none)

from grader.db import Database, Role  # noqa: E402
from grader.exercises.archive import pack_archive  # noqa: E402
from grader.services import accounts  # noqa: E402
from grader.settings import Settings  # noqa: E402
from tests.helpers.live_service import docker_up, running_service  # noqa: E402
from tests.helpers.publish_packs import write_pack  # noqa: E402
from tests.helpers.service_processes import RedisServer, WorkerProcess  # noqa: E402

COPIES = {"http-app": "api-design/books-api", "sql": "sql-optimization/hot-lookup-index"}


def packs(work: Path) -> dict[str, Path]:
    """One pack folder per runner, each under a fresh slug."""
    tag = uuid.uuid4().hex[:6]
    found = {"python": write_pack(work / "python", f"bench-adder-{tag}")}
    for runner, source in COPIES.items():
        folder = work / runner / f"bench-{Path(source).name}-{tag}"
        shutil.copytree(ROOT / "exercises" / source, folder,
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        manifest = folder / "exercise.toml"
        old = f'slug = "{Path(source).name}"'
        text = manifest.read_text()
        assert old in text, f"{manifest}: no {old}"
        manifest.write_text(text.replace(old, f'slug = "{folder.name}"', 1))
        found[runner] = folder
    for folder in found.values():  # new content: Docker's layer cache cannot skip the build
        (folder / "tests" / "bench_nonce.txt").write_text(uuid.uuid4().hex + "\n")
    return found


def remove_images(slugs: list[str]) -> None:
    """The exercise images this run built (docker's CLI; by their names only)."""
    for slug in slugs:
        listed = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}",
                                 f"grader-ex-{slug}"],
                                capture_output=True, text=True, check=False).stdout.split()
        if listed:  # by name, never by id: an id may be shared with another exercise's tag
            subprocess.run(["docker", "rmi", *listed], capture_output=True, check=False)


def _follow(http: httpx.Client, version_id: int) -> dict[str, Any]:
    """Read the events stream to its end; the verdict event's version."""
    verdict: dict[str, Any] = {}
    name = ""
    with http.stream("GET", f"/exercise-versions/{version_id}/events",
                     timeout=httpx.Timeout(30, read=900)) as response:
        for raw in response.iter_lines():
            if raw.startswith("event: "):
                name = raw[len("event: "):]
            elif raw.startswith("data: ") and name == "verdict":
                verdict = json.loads(raw[len("data: "):])
    return verdict


def publish(http: httpx.Client, folder: Path) -> dict[str, Any]:
    """Upload, follow the stream to the verdict; the phases' seconds. The
    worker's own timestamps split them: queued (published -> started), the
    check (the verdict's "in X s"), and the rest of the proving (extracting,
    loading, building the image)."""
    data = pack_archive(folder)
    start = time.monotonic()
    sent = http.post("/exercises", content=data, headers={"Content-Type": "application/gzip"})
    sent.raise_for_status()
    version_id = sent.json()["version"]["id"]
    verdict = _follow(http, version_id)
    total = time.monotonic() - start
    when = {k: datetime.fromisoformat(verdict[k]) for k in
            ("published_at", "started_at", "finished_at")}
    said = re.search(r" in ([0-9.]+) s", verdict.get("verdict") or "")
    check = float(said.group(1)) if said else float("nan")
    proving = (when["finished_at"] - when["started_at"]).total_seconds()
    return {"status": verdict.get("status", "?"), "total": total,
            "queued": (when["started_at"] - when["published_at"]).total_seconds(),
            "build": proving - check, "check": check,
            "verdict": (verdict.get("verdict") or "").splitlines()[0][:60],
            "kb": len(data) / 1024}


def main() -> None:
    if not docker_up():
        sys.exit("no Docker engine answers")
    work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    redis = RedisServer(work)
    redis.start()
    settings = Settings(exercises_dir=work / "exercises", data_dir=work / "data",
                        database_url=f"sqlite:///{work / 'grader.db'}", redis_url=redis.url)
    (work / "exercises").mkdir()
    db = Database(settings.database_url or "")
    db.migrate()
    accounts.create_user(db=db, name="bench", role=Role.AUTHOR, password="bench-pw")
    token = accounts.create_token(db=db, name="bench")[1]
    db.dispose()
    slugs: list[str] = []
    try:
        with running_service(settings, work, name="bench") as service:
            prover = WorkerProcess("prover", service.env, work / "prover.log", fake=False)
            prover.argv[prover.argv.index("grading")] = "authoring"
            prover.start(timeout=60)
            try:
                with httpx.Client(base_url=service.url + "/api/v1", timeout=60,
                                  headers={"Authorization": f"Bearer {token}"}) as http:
                    before = os.getloadavg()
                    print(f"{os.cpu_count()} CPUs; load average before "
                          + " ".join(f"{x:.2f}" for x in before))
                    print(f"{'runner':9} {'status':7} {'total s':>8} {'queued s':>9} "
                          f"{'build s':>8} {'check s':>8} {'KB':>5}  verdict")
                    made = packs(work / "packs")
                    slugs.extend(folder.name for folder in made.values())
                    for runner, folder in made.items():
                        r = publish(http, folder)
                        print(f"{runner:9} {r['status']:7} {r['total']:8.1f} {r['queued']:9.1f} "
                              f"{r['build']:8.1f} {r['check']:8.1f} {r['kb']:5.1f}  "
                              f"{r['verdict']}", flush=True)
                    print("load average after " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
            finally:
                prover.stop()
    finally:
        redis.stop()
        remove_images(slugs)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
