"""Benchmark: the sql runner's start-up and end-to-end grading time (real Docker).

- start-up: in a sandbox of the exercise's image (the same container
  settings as a grading), copy the template cluster to the tmpfs, start
  PostgreSQL and open the runner's connections; reported per step;
- end to end: grade_files() of each SQL exercise's reference solution
  (container create -> report on the host), median per exercise and p50/p95
  over all of them. For the service on top (submit -> graded), run
  bench/run.py --exercise <slug>.

Run on demand (not part of the test suite):
    .venv/bin/python bench/sql_startup.py [--runs 10]
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
from grader.grading import ensure_image, grade_files  # noqa: E402
from grader.settings import Settings  # noqa: E402
from sandbox.limits import Limits  # noqa: E402
from sandbox.runner import container_settings  # noqa: E402

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
    settings = container_settings(Limits(), "runc", sql=True)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    settings = Settings()
    client = docker.from_env()
    packs: list[ExercisePack] = [load_pack(p.parent) for p in sorted(PACKS.glob("*/exercise.toml"))]
    everything: list[float] = []
    print(f"{'exercise':24} {'copy':>7} {'server':>7} {'start':>7} {'grade p50':>10} "
          f"{'p95':>7} {'harness':>8}")
    for pack in packs:
        image = ensure_image(pack, settings, client=client)
        datasets = list(pack.manifest.runner_options()["datasets"])
        steps = [startup(client, image, datasets) for _ in range(max(3, args.runs // 2))]
        files = read_submission(pack.solution, pack.manifest.submission)
        grade_files(pack=pack, files=files, settings=settings, client=client)  # warm
        walls, harness = [], []
        for _ in range(args.runs):
            began = time.monotonic()
            report = grade_files(pack=pack, files=files, settings=settings, client=client)
            walls.append(time.monotonic() - began)
            harness.append(report.duration)
            assert report.score == report.max_score, report.message
        everything += walls

        def med(key: str, steps: list[dict[str, float]] = steps) -> float:
            return statistics.median(s[key] for s in steps)

        print(f"{pack.slug:24} {med('copy'):7.3f} {med('server'):7.3f} {med('start_total'):7.3f} "
              f"{statistics.median(walls):10.3f} {pct(walls, 0.95):7.3f} "
              f"{statistics.median(harness):8.3f}")
    print(f"all SQL gradings: p50 {pct(everything, 0.5):.3f} s, p95 {pct(everything, 0.95):.3f} s "
          f"over {len(everything)} (target p50 < 0.8 s)")


if __name__ == "__main__":
    main()
