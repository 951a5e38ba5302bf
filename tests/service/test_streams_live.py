"""Live status streams under a real uvicorn on 127.0.0.1: the per-user and
total caps (429, problem+json, Retry-After), a closed stream freeing its
slot, the page's stream sharing the count, and the maximum lifetime.

Latency figures with hundreds of streams: bench/streams.py (docs/service.md)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from grader.db import Database
from grader.settings import Settings
from tests.helpers.service_fakes import Account
from tests.helpers.service_processes import free_port, service_env, wait_for

LIFETIME = 6.0


@pytest.fixture
def api(settings: Settings, db: Database, alice: Account, tmp_path: Path) -> Iterator[str]:
    env = service_env(settings, max_streams_per_user=2, max_streams=4,
                      stream_max_seconds=LIFETIME)
    port = free_port()
    log = (tmp_path / "api.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli.main", "api", "--port",
                             str(port)], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, 60)
        yield url
    finally:
        proc.terminate()  # our own child, by pid
        proc.wait(timeout=20)
        log.close()


def test_caps_429_slot_freed_and_lifetime(api: str, alice: Account, bob: Account,
                                          author: Account) -> None:
    def submit(who: Account) -> str:
        sub = httpx.post(f"{api}/api/v1/submissions", headers=who.headers,
                         json={"exercise": "hello-api", "files": {"app/main.py": "x\n"}})
        assert sub.status_code == 202, sub.text
        return f"/api/v1/submissions/{sub.json()['id']}/events"

    path, bobs = submit(alice), submit(bob)
    readers: list[Iterator[str]] = []  # kept: a dropped reader closes its connection
    with ExitStack() as stack, httpx.Client(base_url=api, timeout=10) as http:

        def open_stream(who: Account) -> httpx.Response:
            response = stack.enter_context(
                http.stream("GET", bobs if who is bob else path, headers=who.headers))
            if response.status_code == 200:  # the first event: the stream is live
                readers.append(response.iter_lines())
                assert next(readers[-1]) == "event: status"
            else:
                response.read()
            return response

        alices = [open_stream(alice), open_stream(alice)]
        assert all(r.status_code == 200 for r in alices)
        refused = open_stream(alice)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) > 0
        problem = refused.json()
        assert problem["status"] == 429 and problem["title"] == "Too many live streams"
        assert "you already have 2" in problem["detail"] and problem["limit"] == 2
        # The page's stream (signed in by cookie) counts against the same cap.
        with httpx.Client(base_url=api, timeout=10) as browser:
            form = browser.get("/signin").text
            csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
            assert browser.post("/signin", data={"name": "alice", "password": "pw-alice",
                                                 "csrf_token": csrf}).status_code == 303
            page = browser.get(path.removeprefix("/api/v1"))
            assert page.status_code == 429 and "you already have 2" in page.json()["detail"]
        # An author can watch alice's submission too: two more fill the server.
        assert [open_stream(author).status_code for _ in range(2)] == [200, 200]
        full = open_stream(bob)
        assert full.status_code == 429 and "the server has 4" in full.json()["detail"]
        # Other routes are not limited.
        assert http.get("/api/v1/exercises", headers=bob.headers).status_code == 200

        alices[0].close()  # the server notices at its next poll and frees the slot
        again = wait_for(lambda: (r := open_stream(alice)).status_code == 200 and r, 10)
        assert again.status_code == 200

        # No stream outlives GRADER_STREAM_MAX_SECONDS, and its end frees its slot.
        started = time.monotonic()
        lines = list(readers[-1])
        assert LIFETIME - 1 <= time.monotonic() - started <= LIFETIME + 5
        assert lines[-2] == ": stream lifetime over; reconnect to keep following"
        assert wait_for(lambda: open_stream(bob).status_code == 200, 10)
