"""Benchmark: what the service adds on top of the sandbox.

Starts its own stack (redis-server, the API under uvicorn, one Celery worker
with N processes; SQLite in a temporary folder) and measures, in the same run:

- latency, one submission at a time: POST -> `graded` seen on the events
  stream, p50 and p95; beside the naive baseline, grade_files() called
  directly (the same `docker run` of the same tests in the same image);
- throughput for a burst of B submissions: gradings per second, beside the
  baseline running B grade_files() calls on N threads (same concurrency).

Run on demand (not part of the test suite):
    .venv/bin/python bench/run.py [--exercise books-api] [--runs 20] [--burst 200] [--gap 0]
GRADER_WARM_SANDBOXES=0 measures both sides without warm sandboxes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repo root: tests.helpers (python -m bench.<name> needs none)

from grader.exercises.pack import ExercisePack, load_pack  # noqa: E402
from grader.exercises.submission import read_submission  # noqa: E402
from grader.sandbox_grading import ensure_image, grade_files  # noqa: E402
from grader.services.catalog import find_pack  # noqa: E402
from grader.services.client import ApiClient  # noqa: E402
from grader.settings import Settings  # noqa: E402
from sandbox import engine  # noqa: E402
from sandbox.pool import WarmPool  # noqa: E402
from tests.helpers.live_service import running_service  # noqa: E402
from tests.helpers.service_processes import RedisServer  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "grader.cli.main", *args], env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="books-api")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--gap", type=float, default=0.0,
                        help="seconds before each sequential submission (students do not "
                             "submit back to back; warm sandboxes refill meanwhile)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    settings = Settings(exercises_dir=ROOT / "exercises", data_dir=tmp / "data",
                        database_url=f"sqlite:///{tmp / 'grader.db'}")
    pack = find_pack(args.exercise, settings.exercises_dir)
    pack = load_pack(pack.path)
    files = read_submission(pack.solution, pack.manifest.submission)
    client = engine.connect(settings.docker_url)
    ensure_image(pack, settings, client=client)

    redis = RedisServer(tmp)
    redis.start()
    settings = settings.model_copy(update={"redis_url": redis.url})
    try:
        with running_service(settings, tmp, name="bench", concurrency=args.concurrency,
                             rate_limit_submissions=100_000, queue_max_depth=100_000,
                             warm_sandboxes=settings.warm_sandboxes) as (url, env, _):
            cli(env, "users", "add", "bench")
            token = cli(env, "tokens", "create", "bench").splitlines()[-1]
            api_client = ApiClient(url, token, timeout=120)
            run_benchmark(api_client, pack, files, settings, client, args)
            api_client.close()
    finally:
        redis.stop()


def graded(api: ApiClient, sub_id: str) -> None:
    """Follow the events stream to the end; the last event is the final state."""
    for event in api.events(sub_id):
        if event["status"] == "not_gradable":
            raise SystemExit(f"submission {sub_id} not gradable: {event.get('message')}")


def run_benchmark(api: ApiClient, pack: ExercisePack, files: dict[str, str],
                  settings: Settings, client: Any, args: argparse.Namespace) -> None:
    # The worker grades in warm sandboxes (sandbox/pool.py), one per exercise and
    # process: so does the baseline, with as many as the worker has processes.
    warm = (WarmPool(client, max_keys=1, per_key=args.concurrency)
            if settings.warm_sandboxes else None)

    def baseline_one() -> float:
        start = time.perf_counter()
        report = grade_files(pack=pack, files=files, settings=settings, client=client, pool=warm)
        assert report.full_marks, report.to_json()
        return time.perf_counter() - start

    def service_one() -> float:
        start = time.perf_counter()
        graded(api, api.submit(pack.slug, files)["id"])
        return time.perf_counter() - start

    baseline_one()
    service_one()  # warm both paths (images, imports, connections)
    base: list[float] = []
    serv: list[float] = []
    for _ in range(args.runs):  # interleaved, so machine noise hits both alike
        time.sleep(args.gap)
        base.append(baseline_one())
        time.sleep(args.gap)
        serv.append(service_one())

    # The burst in alternating halves (baseline, service, baseline, service),
    # so load from other work on the machine weighs on both alike.
    half = args.burst // 2
    base_time = serv_time = 0.0
    for _ in range(2):
        start = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(lambda _: baseline_one(), range(half)))
        base_time += time.perf_counter() - start
        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:  # the POSTs themselves, concurrently
            ids = list(pool.map(lambda _: api.submit(pack.slug, files)["id"], range(half)))
        for sub_id in ids:
            graded(api, sub_id)
        serv_time += time.perf_counter() - start
    base_rate, serv_rate = 2 * half / base_time, 2 * half / serv_time
    if warm is not None:
        warm.close()

    b50, b95, s50, s95 = pct(base, .5), pct(base, .95), pct(serv, .5), pct(serv, .95)
    print(f"exercise {pack.slug}, {args.runs} sequential runs {args.gap:g} s apart, burst "
          f"{args.burst}, concurrency {args.concurrency}, {os.cpu_count()} cores, warm "
          f"sandboxes {'on' if warm else 'off'}")
    print(f"latency  baseline p50 {b50 * 1000:7.0f} ms  p95 {b95 * 1000:7.0f} ms")
    print(f"latency  service  p50 {s50 * 1000:7.0f} ms  p95 {s95 * 1000:7.0f} ms")
    print(f"         service adds p50 {(s50 - b50) * 1000:+.0f} ms ({s50 / b50:.2f}x), "
          f"p95 {(s95 - b95) * 1000:+.0f} ms ({s95 / b95:.2f}x)   target: < +100 ms at p50")
    print(f"throughput baseline {base_rate:.2f}/s  service {serv_rate:.2f}/s  "
          f"ratio {serv_rate / base_rate:.2f}   target: >= 0.90")
    print(f"(mean of baseline {statistics.mean(base) * 1000:.0f} ms, "
          f"service {statistics.mean(serv) * 1000:.0f} ms)")
    breakdown(settings)


def breakdown(settings: Settings) -> None:
    """Where the service's time goes, from its own timestamps (median, ms)."""
    from sqlalchemy import select

    from grader.db import Database, Grading, Submission

    db = Database(settings.database_url or "")
    with db.session() as session:
        rows = session.execute(
            select(Submission.queued_at, Submission.started_at, Grading.started_at,
                   Grading.finished_at, Grading.duration)
            .join(Grading, Grading.submission_id == Submission.id)
        ).all()
    waits = [(r[1] - r[0]).total_seconds() for r in rows]
    around = [(r[3] - r[2]).total_seconds() - (r[4] or 0) for r in rows]
    grade = [r[4] or 0 for r in rows]
    print(f"service timestamps (median over {len(rows)}): stored->claimed "
          f"{statistics.median(waits) * 1000:.0f} ms, sandbox call "
          f"{statistics.median(grade) * 1000:.0f} ms, claim->recorded minus sandbox "
          f"{statistics.median(around) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
