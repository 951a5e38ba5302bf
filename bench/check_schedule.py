"""Benchmark: `grader exercises check`'s schedule, the catalogue self-test's cost.

Grades the same packs (default: the whole catalogue) with `--runs` runs per
case under each schedule named, one after the other, and prints for each the
number of sandbox gradings, the wall time, gradings per second, the warm
pool's hits and misses, and the machine's load average before and after:

- per-pack: the schedule before issue 13, one pack after the other, `jobs`
  cases at a time, a case's runs one after the other, cold sandboxes;
- shared:   check_packs(), every run its own grading in one queue across
  the packs, cold sandboxes;
- warm:     the same with the warm pool the CLI uses (per_key = jobs).

Images are built (or found) first and not timed. On a shared machine the
figures are noisy: compare schedules of one run, not runs of different days.

    .venv/bin/python bench/check_schedule.py [SLUG...] [--runs 2] [--jobs 2]
        [--schedules per-pack,shared,warm]

Run on demand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.exercises.pack import ExercisePack  # noqa: E402
from grader.exercises.submission import read_submission  # noqa: E402
from grader.sandbox_grading import ensure_image, grade_files  # noqa: E402
from grader.selftest import MUTANT_SPEC, cases_of, check_packs  # noqa: E402
from grader.services.catalog import load_all  # noqa: E402
from grader.settings import Settings  # noqa: E402
from grader_harness.report import Report  # noqa: E402
from sandbox import engine  # noqa: E402
from sandbox.pool import WarmPool  # noqa: E402

Grade = Callable[[ExercisePack, dict[str, str]], Report]


def per_pack(packs: list[ExercisePack], runs: int, jobs: int, grade: Grade) -> None:
    """The old schedule: a pack's cases `jobs` at a time, each case's runs in a row."""
    for pack in packs:
        def case_runs(case, pack=pack):  # type: ignore[no-untyped-def]
            files = case.files or read_submission(case.folder, pack.manifest.submission,
                                                  ignore=(MUTANT_SPEC,))
            return [grade(pack, files) for _ in range(runs)]

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(case_runs, cases_of(pack)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*", help="packs to check (default: all)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--schedules", default="per-pack,shared,warm")
    args = parser.parse_args()
    settings = Settings()
    packs = [p for p in load_all(ROOT / "exercises") if not args.slugs or p.slug in args.slugs]
    if not packs:
        raise SystemExit(f"no pack named {', '.join(args.slugs)} in the catalogue")
    client = engine.connect(settings.docker_url)
    for pack in packs:
        ensure_image(pack, settings, client=client)
    gradings = sum(len(cases_of(p)) for p in packs) * args.runs
    print(f"{len(packs)} packs, {gradings} gradings per schedule, jobs {args.jobs}, "
          f"{os.cpu_count()} cpus")
    for schedule in args.schedules.split(","):
        if schedule not in ("per-pack", "shared", "warm"):
            raise SystemExit(f"unknown schedule {schedule!r}: per-pack, shared or warm")
        pool = (WarmPool(client, max_keys=2, per_key=args.jobs,
                         idle_seconds=settings.warm_idle_seconds())
                if schedule == "warm" else None)
        failed: list[str] = []

        def grade(pack: ExercisePack, files: dict[str, str], pool: WarmPool | None = pool,
                  failed: list[str] = failed) -> Report:
            report = grade_files(pack=pack, files=files, settings=settings, client=client,
                                 pool=pool)
            if report.status.value in ("error", "timeout"):
                failed.append(f"{pack.slug}: {report.status.value}")
            return report

        load = os.getloadavg()[0]
        start = time.perf_counter()
        if schedule == "per-pack":
            per_pack(packs, args.runs, args.jobs, grade)
        else:
            check_packs(packs, runs=args.runs, grade=grade, jobs=args.jobs)
        wall = time.perf_counter() - start
        if pool is not None:
            pool.close()
        warm = f", warm hits {pool.hits} misses {pool.misses}" if pool else ""
        print(f"{schedule:<9} {wall:7.1f} s  {gradings / wall:5.2f} gradings/s{warm}; "
              f"load {load:.1f} -> {os.getloadavg()[0]:.1f}"
              + (f"; {len(failed)} error/timeout reports" if failed else ""), flush=True)


if __name__ == "__main__":
    main()
