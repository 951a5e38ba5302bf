"""Live status streams against an unrelated request's latency.

Starts its own redis-server and the API under uvicorn (SQLite, no worker, so
the submission stays queued), opens `--streams` event streams on one queued
submission spread over `--users` users, and times an unrelated request
(`GET /api/v1/exercises`) before and while they are open.

    .venv/bin/python bench/streams.py --streams 300 --users 60

Run on demand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repo root: tests.helpers (python -m bench.<name> needs none)

from grader.db import Database, Role  # noqa: E402
from grader.services import accounts  # noqa: E402
from tests.helpers.live_service import http_ok  # noqa: E402
from tests.helpers.service_fakes import make_pack  # noqa: E402
from tests.helpers.service_processes import RedisServer, free_port, wait_for  # noqa: E402


async def latency(client: httpx.AsyncClient, token: str, n: int = 40) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = await client.get("/api/v1/exercises",
                                    headers={"Authorization": f"Bearer {token}"})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
        await asyncio.sleep(0.02)
    return times


async def open_stream(client: httpx.AsyncClient, token: str, sub_id: str,
                      statuses: list[int], stop: asyncio.Event) -> None:
    async with client.stream("GET", f"/api/v1/submissions/{sub_id}/events",
                             headers={"Authorization": f"Bearer {token}"}) as response:
        statuses.append(response.status_code)
        if response.status_code != 200:
            return
        await stop.wait()


def summary(name: str, times: list[float]) -> str:
    times = sorted(times)
    return (f"{name}: median {statistics.median(times):.1f} ms, "
            f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms, max {times[-1]:.1f} ms")


async def measure(url: str, tokens: list[str], sub_id: str, streams: int) -> None:
    limits = httpx.Limits(max_connections=streams + 10, max_keepalive_connections=streams + 10)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client, \
            httpx.AsyncClient(base_url=url, timeout=30) as probe:
        print(summary("no streams open", await latency(probe, tokens[0])))
        stop = asyncio.Event()
        statuses: list[int] = []
        tasks = [asyncio.create_task(open_stream(client, tokens[i % len(tokens)], sub_id,
                                                 statuses, stop)) for i in range(streams)]
        while len(statuses) < streams:
            await asyncio.sleep(0.1)
        opened = statuses.count(200)
        print(f"streams asked {streams}: open {opened}, refused {streams - opened} "
              f"({sorted(set(statuses))})")
        print(summary(f"{opened} streams, just opened", await latency(probe, tokens[0], 20)))
        # Past the streams' first seconds (fast polling after a change).
        await asyncio.sleep(3.0)
        print(summary(f"{opened} streams open 3 s on", await latency(probe, tokens[0], 100)))
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=300)
    parser.add_argument("--users", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        redis_server = RedisServer(work)
        redis_server.start()
        make_pack(work / "exercises")
        db_url = f"sqlite:///{work / 'grader.db'}"
        db = Database(db_url)
        db.migrate()
        tokens = []
        for i in range(args.users):
            accounts.create_user(db=db, name=f"u{i}", role=Role.STUDENT)
            tokens.append(accounts.create_token(db=db, name=f"u{i}")[1])
        env = {"GRADER_DATABASE_URL": db_url, "GRADER_REDIS_URL": redis_server.url,
               "GRADER_EXERCISES_DIR": str(work / "exercises"), "GRADER_DATA_DIR": str(work),
               "GRADER_RATE_LIMIT_SUBMISSIONS": "1000", "PATH": "/usr/bin:/bin",
               "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
               # e.g. GRADER_MAX_STREAMS=300 to see the polling alone
               **{k: v for k, v in os.environ.items() if k.startswith("GRADER_")}}
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        api = subprocess.Popen([sys.executable, "-m", "grader.cli.main", "api", "--port",
                                str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=(work / "api.log").open("wb"), cwd=Path.cwd())
        try:
            wait_for(lambda: http_ok(url + "/healthz"), 60)
            sub = httpx.post(f"{url}/api/v1/submissions",
                             headers={"Authorization": f"Bearer {tokens[0]}"},
                             json={"exercise": "hello-api", "files": {"app/main.py": "x\n"}})
            sub.raise_for_status()
            # Every user watches the same submission: give them the author role.
            with db.session() as session:
                from grader.db import User
                for user in session.query(User).filter(User.name.like("u%")):
                    user.role = Role.AUTHOR.value
            asyncio.run(measure(url, tokens, sub.json()["id"], args.streams))
        finally:
            api.terminate()  # our own child, by pid
            api.wait(timeout=20)
            redis_server.stop()


if __name__ == "__main__":
    main()
