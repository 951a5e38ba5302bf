"""Benchmark: how long POST /api/v1/submissions takes, request by request.

Starts its own stack (redis-server, the API under uvicorn, one Celery worker;
SQLite in a temporary folder), sends N submissions of the exercise's
reference solution G seconds apart, and prints p50, p95, the slowest and how
many took over 100 ms. The gap is long enough that the service's catalogue
ttl (10 s) runs out several times during a run: a request that paid for a
reload used to be one of the 105-165 ms outliers.

Run on demand (not part of the test suite):
    .venv/bin/python bench/submit_latency.py [--exercise safe-fetch] [--runs 40] [--gap 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repo root: tests.helpers (python -m bench.<name> needs none)

from bench.run import cli, pct  # noqa: E402
from grader.exercises.submission import read_submission  # noqa: E402
from grader.services.catalog import find_pack  # noqa: E402
from grader.services.client import ApiClient  # noqa: E402
from grader.settings import Settings  # noqa: E402
from tests.helpers.live_service import running_service  # noqa: E402
from tests.helpers.service_processes import RedisServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="safe-fetch")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--gap", type=float, default=1.0)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    settings = Settings(exercises_dir=ROOT / "exercises", data_dir=tmp / "data",
                        database_url=f"sqlite:///{tmp / 'grader.db'}")
    pack = find_pack(args.exercise, settings.exercises_dir)
    files = read_submission(pack.solution, pack.manifest.submission)
    redis = RedisServer(tmp)
    redis.start()
    settings = settings.model_copy(update={"redis_url": redis.url})
    try:
        with running_service(settings, tmp, name="latency", concurrency=1,
                             rate_limit_submissions=100_000) as (url, env, _):
            cli(env, "users", "add", "bench")
            token = cli(env, "tokens", "create", "bench").splitlines()[-1]
            api = ApiClient(url, token, timeout=30)
            api.submit(pack.slug, files)  # connections and imports warm
            took: list[float] = []
            for _ in range(args.runs):
                time.sleep(args.gap)
                start = time.perf_counter()
                api.submit(pack.slug, files)
                took.append(time.perf_counter() - start)
            api.close()
    finally:
        redis.stop()
    ms = [t * 1000 for t in took]
    print(f"POST /api/v1/submissions, {args.runs} requests {args.gap:g} s apart "
          f"({pack.slug}): p50 {pct(ms, .5):.1f} ms, p95 {pct(ms, .95):.1f} ms, "
          f"max {max(ms):.1f} ms, over 100 ms: {sum(m > 100 for m in ms)}")
    print("each, ms: " + " ".join(f"{m:.0f}" for m in ms))


if __name__ == "__main__":
    main()
