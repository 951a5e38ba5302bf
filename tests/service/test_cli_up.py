"""`grader up` on one machine: starts its own redis-server (none answers on
the port), the worker and the API; prints the URL and how to get a token;
`grader submit --wait` grades through it; SIGTERM stops everything it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import redis

from grader.exercises.pack import load_pack
from grader.exercises.submission import read_submission
from grader.settings import REPO_ROOT
from tests.helpers.service_processes import free_port, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_grader_up_runs_everything_and_stops_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env.update(GRADER_DATA_DIR=str(tmp_path / "data"),
               GRADER_EXERCISES_DIR=str(REPO_ROOT / "exercises"))
    port, redis_port = free_port(), free_port()
    grader = [sys.executable, "-m", "grader.cli.main"]
    log = (tmp_path / "up.log").open("w")
    up = subprocess.Popen([*grader, "up", "--port", str(port), "--redis-port", str(redis_port),
                           "--concurrency", "1"], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url + "/readyz"), 90, 0.2)
        printed = (tmp_path / "up.log").read_text()
        assert f"started redis-server on 127.0.0.1:{redis_port}" in printed
        assert f"grader is up: {url}" in printed and "grader tokens create NAME" in printed
        assert (tmp_path / "data" / "secret_key").exists()

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*grader, *args], env=env, capture_output=True, text=True,
                                  timeout=300, check=False)

        assert run("users", "add", "ivy").returncode == 0
        token = run("tokens", "create", "ivy").stdout.strip()
        pack = load_pack(REPO_ROOT / "exercises" / "api-design" / "books-api")
        files = read_submission(pack.solution, pack.manifest.submission)
        for name, text in files.items():
            (tmp_path / "sub" / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "sub" / name).write_text(text)
        submitted = subprocess.run(
            [*grader, "submit", "books-api", *files, "--wait", "--url", url, "--token", token],
            env=env, cwd=tmp_path / "sub", capture_output=True, text=True, timeout=300,
            check=False)
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    finally:
        up.send_signal(signal.SIGTERM)  # the process we started, by pid
        up.wait(timeout=60)
    assert not _answers(url + "/healthz")
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=redis_port, socket_connect_timeout=0.5).ping()
