"""Benchmark: one grading through the grader against a plain `docker run`.

For each exercise (all of the catalogue by default) and in the same run:

- grader: grade_files() on the reference solution, the way `grader grade`
  and the workers grade (image check, hardened container, limits, report
  parsed);
- warm: the same with a WarmPool (sandbox/pool.py), the way the workers grade;
  the baseline run between two warm gradings gives the pool time to refill;
- baseline: `docker run --rm -i --network none IMAGE` of the same image, fed
  the same request on stdin, so the same tests run through the same harness,
  with none of the grader's hardening or bookkeeping.

Runs alternate (grader, baseline, warm, grader, ...) so machine noise weighs
on all alike; it prints the median of each and the grader's ratio to the
baseline (target: <= 1.3x).

Run on demand (not part of the test suite):
    .venv/bin/python bench/sandbox_overhead.py [--runs 7] [SLUG ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.exercises.pack import ExercisePack  # noqa: E402
from grader.exercises.submission import read_submission  # noqa: E402
from grader.sandbox_grading import build_request, ensure_image, exercise_limits, grade_files  # noqa: E402
from grader.services.catalog import find_pack, load_all  # noqa: E402
from grader.settings import Settings  # noqa: E402
from sandbox import engine  # noqa: E402
from sandbox.pool import WarmPool  # noqa: E402


def docker_run(image: str, payload: bytes) -> float:
    start = time.perf_counter()
    done = subprocess.run(["docker", "run", "--rm", "-i", "--network", "none", image],
                          input=payload, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    report = json.loads(done.stdout)
    if report["score"] != report["max_score"] or report["max_score"] == 0:
        raise SystemExit(f"baseline run of {image} did not get full marks: {report['status']}")
    return elapsed


def measure(
    pack: ExercisePack, settings: Settings, client: object, runs: int
) -> tuple[float, float, float]:
    """Medians of the cold grading, the warm grading and the baseline."""
    files = read_submission(pack.solution, pack.manifest.submission)
    image = ensure_image(pack, settings, client=client)
    payload = build_request(pack, files, exercise_limits(pack, settings)).to_json().encode()
    pool = WarmPool(client, max_keys=1)  # type: ignore[arg-type]

    def grader_one(warm: WarmPool | None = None) -> float:
        start = time.perf_counter()
        report = grade_files(pack=pack, files=files, settings=settings, client=client, pool=warm)
        elapsed = time.perf_counter() - start
        if not report.full_marks:
            raise SystemExit(f"{pack.slug}: the reference solution got {report.status}")
        return elapsed

    try:
        grader_one()
        grader_one(pool)  # a miss: the pool starts its first container
        docker_run(image, payload)  # warm both paths
        ours: list[float] = []
        warm: list[float] = []
        base: list[float] = []
        for _ in range(runs):
            ours.append(grader_one())
            base.append(docker_run(image, payload))
            warm.append(grader_one(pool))
    finally:
        pool.close()
    return statistics.median(ours), statistics.median(warm), statistics.median(base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*", help="exercises (default: the whole catalogue)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    settings = Settings()
    client = engine.connect(settings.docker_url)
    if args.slugs:
        packs = [find_pack(slug, settings.exercises_dir) for slug in args.slugs]
    else:
        packs = load_all(settings.exercises_dir)
    print(f"{'exercise':<24} {'grader s':>9} {'warm s':>7} {'docker run s':>13} {'ratio':>6} "
          f"{'warm ratio':>10}   (median of {args.runs})")
    ratios, warm_ratios = [], []
    for pack in packs:
        ours, warm, base = measure(pack, settings, client, args.runs)
        ratios.append(ours / base)
        warm_ratios.append(warm / base)
        print(f"{pack.slug:<24} {ours:>9.3f} {warm:>7.3f} {base:>13.3f} {ours / base:>6.2f} "
              f"{warm / base:>10.2f}", flush=True)
    print(f"{'median ratio':<24} {'':>9} {'':>7} {'':>13} {statistics.median(ratios):>6.2f} "
          f"{statistics.median(warm_ratios):>10.2f}")


if __name__ == "__main__":
    main()
