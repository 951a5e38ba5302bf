"""Benchmark: the sql runner's start-up and end-to-end grading time (real Docker).

- start-up: in a sandbox of the exercise's image (the same container
  settings as a grading), copy the template cluster to the tmpfs, start
  PostgreSQL and open the runner's connections; reported per step;
- end to end: grade_files() of each SQL exercise's reference solution
  (request -> report on the host), cold (a new container per grading) and
  warm (the worker's way: a WarmPool, sandbox/pool.py, with --gap seconds
  between submissions so the pool has refilled), median per exercise and
  p50/p95 over all of them. For the service on top (submit -> graded), run
  bench/run.py --exercise <slug>.

Run on demand (not part of the test suite):
    .venv/bin/python bench/sql_startup.py [--runs 10] [--gap 1.5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.exercises.pack import ExercisePack, load_pack  # noqa: E402
from grader.exercises.submission import read_submission  # noqa: E402
from grader.sandbox_grading import ensure_image, grade_files  # noqa: E402
from grader.settings import Settings  # noqa: E402
from sandbox.container import container_settings, networking_disabled  # noqa: E402
from sandbox.limits import SandboxLimits  # noqa: E402
from sandbox.pool import WarmPool  # noqa: E402

PACKS = ROOT / "exercises" / "sql-optimization"
# Runs inside the sandbox as the harness would: root, no CAP_CHOWN/DAC_OVERRIDE.
PROBE = """
import json, time
t0 = time.monotonic()
from grader_harness.sql.session import SqlSession
from pathlib import Path
t1 = time.monotonic()
s = SqlSession(Path('/opt/grader/pgdata'), Path('/var/lib/grader-pg'), DATASETS, 5.0)
s.start()
t2 = time.monotonic()
s.close()
print(json.dumps({'import': t1 - t0, 'copy': s.timings.copy, 'server': s.timings.start,
                  'start_total': t2 - t1}))
"""


def startup(client: docker.DockerClient, image: str, datasets: list[str]) -> dict[str, float]:
    settings = container_settings(
        SandboxLimits(), "runc", runner="sql",
        network_disabled=networking_disabled(client.images.get(image).attrs))  # fmt: skip
    settings["stdin_open"] = False
    code = PROBE.replace("DATASETS", repr(datasets))
    container = client.containers.create(image, ["python", "-c", code], **settings)
    try:
        container.start()
        container.wait(timeout=60)
        out = container.logs(stdout=True, stderr=False).decode()
        if not out.strip():
            raise SystemExit(container.logs(stderr=True).decode())
        result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
        return result
    finally:
        container.remove(force=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_gradings(pack: ExercisePack, files: dict[str, str], settings: Settings,
                   client: docker.DockerClient, runs: int, pool: WarmPool | None,
                   gap: float) -> tuple[list[float], list[float]]:  # fmt: skip
    """Wall times on the host and the harness's own durations of `runs` gradings."""
    walls, harness = [], []
    for _ in range(runs):
        if pool is not None:
            while pool.idle_count() == 0:  # refilled after the previous grading
                time.sleep(0.02)
            time.sleep(gap)  # and its harness has loaded
        began = time.monotonic()
        report = grade_files(pack=pack, files=files, settings=settings, client=client, pool=pool)
        walls.append(time.monotonic() - began)
        harness.append(report.duration)
        assert report.score == report.max_score, report.message
    return walls, harness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--gap", type=float, default=1.5,
                        help="seconds between warm gradings (submissions are not back to back)")
    args = parser.parse_args()
    settings = Settings()
    client = docker.from_env()
    packs: list[ExercisePack] = [load_pack(p.parent) for p in sorted(PACKS.glob("*/exercise.toml"))]
    cold_all: list[float] = []
    warm_all: list[float] = []
    print(f"{'exercise':24} {'copy':>6} {'server':>6} {'start':>6} {'cold p50':>9} "
          f"{'warm p50':>9} {'p95':>6} {'harness':>8}")
    for pack in packs:
        image = ensure_image(pack, settings, client=client)
        datasets = list(pack.manifest.runner_options()["datasets"])
        steps = [startup(client, image, datasets) for _ in range(max(3, args.runs // 2))]
        files = read_submission(pack.solution, pack.manifest.submission)
        grade_files(pack=pack, files=files, settings=settings, client=client)  # page cache
        cold, _ = timed_gradings(pack, files, settings, client, args.runs, None, 0)
        pool = WarmPool(client, max_keys=1)
        try:
            grade_files(pack=pack, files=files, settings=settings, client=client, pool=pool)
            warm, harness = timed_gradings(pack, files, settings, client, args.runs, pool, args.gap)
        finally:
            pool.close()
        cold_all += cold
        warm_all += warm

        def med(key: str, steps: list[dict[str, float]] = steps) -> float:
            return statistics.median(s[key] for s in steps)

        print(f"{pack.slug:24} {med('copy'):6.3f} {med('server'):6.3f} {med('start_total'):6.3f} "
              f"{statistics.median(cold):9.3f} {statistics.median(warm):9.3f} "
              f"{pct(warm, 0.95):6.3f} {statistics.median(harness):8.3f}")
    print(f"all SQL gradings, cold: p50 {pct(cold_all, 0.5):.3f} s, p95 {pct(cold_all, 0.95):.3f} s"
          f" over {len(cold_all)}")
    print(f"all SQL gradings, warm: p50 {pct(warm_all, 0.5):.3f} s, p95 {pct(warm_all, 0.95):.3f} s"
          f" over {len(warm_all)} (target p50 < 0.8 s); warm/cold p50 "
          f"{pct(warm_all, 0.5) / pct(cold_all, 0.5):.2f}")


if __name__ == "__main__":
    main()
