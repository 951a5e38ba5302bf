"""Benchmark: what the service adds around the tests themselves, per exercise.

Starts its own stack (redis-server, the API under uvicorn, one Celery worker
with one process; SQLite in a temporary folder) and grades each exercise's
reference solution through the real path: POST /api/v1/submissions -> queue
-> worker -> sandbox -> `graded` seen on the events stream. Per exercise:

- warm: the worker's warm pool on, submissions back to back (gap 0) and
  1.5 s apart (the gaps are --gaps), p50 of --runs each;
- tests: the tests' own time, the sum of the report's per-test durations;
- overhead: total minus tests (target: warm p50 <= 150 ms; cold <= 2x that
  plus the container start);
- cold: a second stack with warm sandboxes off, p50 of --cold-runs;
- start: create + start of one sandbox container of the image (SDK, median);
- docker run: `docker run --rm -i --network none IMAGE` fed the same request
  on stdin (the harness's cold command), in the same run (the CLI cannot
  disable networking the way the sandboxes do, so its start still runs
  Docker's network hook: docs/architecture.md, Container settings);
- load CPU: what one warm sandbox of the exercise spends loading, from its
  cgroup (CPU time once its harness says it has loaded; "-" where neither
  cgroup v1's cpuacct nor v2's cpu.stat is found). Back to back (gap 0) each
  grading pays for the next one's load: on a machine whose cores the gradings
  keep busy, that CPU is what the gap-0 overhead cannot go below;
- busy: how busy the machine's CPUs were (all cores, /proc/stat) during the
  warm runs of the first gap (gap 0 by default): near 100%, the stream is
  bound by the CPU, not by waiting.

Then, for the first gap, the floor the machine sets: the machine's CPU per
grading over those runs (/proc/stat busy time, every process: the service,
Docker, the sandboxes, the refills, this bench's client) divided by its
cores is the least time a grading can take on average when they come back
to back. A mean near that floor (the runs' time, less the gaps, over their
number) is bound by the CPU: it only goes down with less CPU per grading or
more cores. The p50 may sit below the mean (some gradings find a sandbox
ready, the next waits for its load).

Then the median of the service's own timestamps, to show where the warm
overhead goes: POST -> row stored, stored -> claimed by the worker, claimed
-> sandbox call starts, the sandbox call minus the tests, sandbox done ->
row finished, finished -> event seen by the client.

Run on demand (not part of the test suite):
    .venv/bin/python bench/overhead.py [--quick] [--exercises books-api,safe-fetch] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repo root: tests.helpers

from bench.run import cli, graded  # noqa: E402
from bench.sandbox_overhead import docker_run  # noqa: E402
from grader.exercises.pack import ExercisePack  # noqa: E402
from grader.exercises.submission import read_submission  # noqa: E402
from grader.sandbox_grading import build_request, ensure_image, exercise_limits  # noqa: E402
from grader.services.catalog import find_pack, load_all  # noqa: E402
from grader.services.client import ApiClient  # noqa: E402
from grader.settings import Settings  # noqa: E402
from sandbox import engine  # noqa: E402
from sandbox.container import (  # noqa: E402
    container_settings,
    networking_disabled,
    remove_container,
    start_warm,
)
from sandbox.warm_container import watch_loading  # noqa: E402
from tests.helpers.live_service import running_service  # noqa: E402
from tests.helpers.service_processes import RedisServer  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")  # /proc/stat's unit
WARM_TARGET = 0.150  # seconds of warm overhead, p50 (issue 13); cold: twice it plus the start
VERBOSE = bool(os.environ.get("BENCH_VERBOSE"))  # each warm run's stages, as they come
STAGES = ["post->stored", "stored->claimed", "claimed->sandbox", "sandbox-tests",
          "sandbox->stored", "stored->event"]  # fmt: skip


@dataclass
class Figures:
    """One exercise's measurements, in seconds."""

    warm: dict[float, list[float]] = field(default_factory=dict)  # gap -> totals
    warm_over: dict[float, list[float]] = field(default_factory=dict)  # gap -> total - tests
    tests: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)
    cold_tests: list[float] = field(default_factory=list)
    load_cpu: list[float] = field(default_factory=list)
    start: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=dict)
    busy: dict[float, float] = field(default_factory=dict)  # gap -> machine CPU busy, 0-1
    cpu: dict[float, float] = field(default_factory=dict)  # gap -> machine CPU s per grading
    mean: dict[float, float] = field(default_factory=dict)  # gap -> (runs' time - gaps) / runs


def cpu_ticks() -> tuple[int, int]:
    """The machine's (busy, total) CPU ticks so far, every core (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def _utc(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def timings(settings: Settings, sub_ids: list[str]) -> dict[str, tuple[float, dict[str, float]]]:
    """Per submission: the tests' own time and the service's timestamps. Read
    after the runs, so that no query sits between two submissions."""
    from sqlalchemy import select

    from grader.db import Database, Grading, Submission, TestResultRow

    db = Database(settings.database_url or "")
    found = {}
    with db.session() as session:
        for sub_id in sub_ids:
            sub = session.get(Submission, sub_id)
            assert sub is not None and sub.current_grading_id is not None
            grading = session.get(Grading, sub.current_grading_id)
            assert grading is not None and grading.started_at is not None
            if not grading.max_score or grading.score != grading.max_score:
                raise SystemExit(f"{sub_id} ({sub.exercise_slug}): the reference solution got "
                                 f"{grading.score}/{grading.max_score} ({grading.outcome})")
            tests = session.scalars(select(TestResultRow.duration)
                                    .where(TestResultRow.grading_id == grading.id)).all()
            began = _utc(grading.started_at)
            found[sub_id] = float(sum(tests)), {
                "stored": _utc(sub.queued_at), "claimed": _utc(sub.started_at or sub.queued_at),
                "sandbox": began, "done": began + (grading.duration or 0),
                "finished": _utc(grading.finished_at)}  # fmt: skip
    db.dispose()
    return found


@dataclass
class Run:
    sub_id: str
    posted: float  # time.time() before the POST
    total: float  # seconds to the `graded` event


def graded_once(api: ApiClient, pack: ExercisePack, files: dict[str, str]) -> Run:
    """Submit and follow the events to `graded`."""
    posted = time.time()
    start = time.perf_counter()
    sub_id = api.submit(pack.slug, files)["id"]
    graded(api, sub_id)
    return Run(sub_id, posted, time.perf_counter() - start)


def tests_and_stages(settings: Settings, runs: list[Run], fig: Figures | None) -> list[float]:
    """The tests' own time of each run; with `fig`, its stages go there."""
    found = timings(settings, [r.sub_id for r in runs])
    tests_of = []
    for run in runs:
        tests, marks = found[run.sub_id]
        tests_of.append(tests)
        if fig is None:
            continue
        spans = [marks["stored"] - run.posted, marks["claimed"] - marks["stored"],
                 marks["sandbox"] - marks["claimed"], marks["done"] - marks["sandbox"] - tests,
                 marks["finished"] - marks["done"], run.posted + run.total - marks["finished"]]
        for name, span in zip(STAGES, spans, strict=True):
            fig.stages.setdefault(name, []).append(span)
        if VERBOSE:
            print(f"  total {run.total * 1000:.0f} tests {tests * 1000:.0f}: " + ", ".join(
                f"{n} {v * 1000:.0f}" for n, v in zip(STAGES, spans, strict=True)), flush=True)
    return tests_of


def container_start(client: Any, image: str, pack: ExercisePack, settings: Settings) -> float:
    """Create + start of one sandbox of the image (its command: sleep), then removed."""
    limits = exercise_limits(pack, settings)
    options = container_settings(limits, settings.runtime, runner=pack.manifest.runner.value,
                                 network_disabled=networking_disabled(
                                     client.images.get(image).attrs))  # fmt: skip
    start = time.perf_counter()
    made = client.containers.create(image, ["sleep", "5"], **options)
    made.start()
    took = time.perf_counter() - start
    remove_container(made)
    return took


def cgroup_cpu(container_id: str) -> float | None:
    """Seconds of CPU the container has used, from its cgroup (v1 cgroupfs, v2
    cgroupfs or systemd); None when none of them is there."""
    v1 = Path("/sys/fs/cgroup/cpuacct/docker", container_id, "cpuacct.usage")
    if v1.exists():
        return int(v1.read_text()) / 1e9
    for v2 in (Path("/sys/fs/cgroup/docker", container_id, "cpu.stat"),
               Path("/sys/fs/cgroup/system.slice", f"docker-{container_id}.scope", "cpu.stat")):
        if v2.exists():
            usage = v2.read_text().split("usage_usec ", 1)[1].split()[0]
            return int(usage) / 1e6
    return None


def load_cpu(client: Any, image: str, pack: ExercisePack, settings: Settings) -> float | None:
    """CPU seconds one warm sandbox of the image spends before it is ready."""
    loaded = threading.Event()
    made = start_warm(client, image, pack.manifest.runner.value, exercise_limits(pack, settings),
                      settings.runtime, harness_idle=60)  # fmt: skip
    try:
        watch_loading(made, loaded.set)
        return cgroup_cpu(str(made.id)) if loaded.wait(timeout=60) else None
    finally:
        remove_container(made)


def service(settings: Settings, tmp: Path, name: str, warm: bool, per_key: int = 1) -> Any:
    return running_service(settings, tmp, name=name, concurrency=1, rate_limit_submissions=10**6,
                           queue_max_depth=10**6, warm_sandboxes=2 if warm else 0,
                           warm_sandboxes_per_key=per_key)  # fmt: skip


def login(env: dict[str, str], url: str) -> ApiClient:
    cli(env, "users", "add", "bench")
    token = cli(env, "tokens", "create", "bench").splitlines()[-1]
    return ApiClient(url, token, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercises", default="", help="comma-separated slugs (default: all)")
    parser.add_argument("--quick", action="store_true", help="one exercise per runner, 3 runs")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--gaps", default="0,1.5", help="seconds between warm submissions")
    parser.add_argument("--per-key", type=int, default=1,
                        help="GRADER_WARM_SANDBOXES_PER_KEY of the warm stack")  # fmt: skip
    args = parser.parse_args()
    gaps = [float(g) for g in args.gaps.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    settings = Settings(exercises_dir=ROOT / "exercises", data_dir=tmp / "data",
                        database_url=f"sqlite:///{tmp / 'grader.db'}")
    if args.exercises:
        packs = [find_pack(s, settings.exercises_dir) for s in args.exercises.split(",")]
    else:
        packs = load_all(settings.exercises_dir)
    if args.quick:
        by_runner = {p.manifest.runner.value: p for p in reversed(packs)}
        packs, args.runs, args.cold_runs = list(by_runner.values()), 3, 2
    client = engine.connect(settings.docker_url)
    files = {p.slug: read_submission(p.solution, p.manifest.submission) for p in packs}
    images = {p.slug: ensure_image(p, settings, client=client) for p in packs}
    figures = {p.slug: Figures() for p in packs}

    redis = RedisServer(tmp)
    redis.start()
    settings = settings.model_copy(update={"redis_url": redis.url})
    try:
        with service(settings, tmp, "warm", warm=True, per_key=args.per_key) as (url, env, _):
            api = login(env, url)
            for pack in packs:
                warm_runs(api, pack, files[pack.slug], images[pack.slug], settings, client,
                          figures[pack.slug], gaps, args.runs)  # fmt: skip
            api.close()
        settings = settings.model_copy(update={"database_url": f"sqlite:///{tmp / 'cold.db'}"})
        with service(settings, tmp, "cold", warm=False) as (url, env, _):
            api = login(env, url)
            for pack in packs:
                graded_once(api, pack, files[pack.slug])  # imports, connections
                runs = [graded_once(api, pack, files[pack.slug]) for _ in range(args.cold_runs)]
                figures[pack.slug].cold = [r.total for r in runs]
                figures[pack.slug].cold_tests = tests_and_stages(settings, runs, None)
            api.close()
    finally:
        redis.stop()
    report(packs, figures, gaps, args)


def warm_runs(api: ApiClient, pack: ExercisePack, files: dict[str, str], image: str,
              settings: Settings, client: Any, fig: Figures, gaps: list[float],
              runs: int) -> None:  # fmt: skip
    for _ in range(2):  # the first is cold; the second refills the pool
        graded_once(api, pack, files)
    for gap in gaps:
        time.sleep(1.5)  # the pool refilled, whatever ran before
        done = []
        busy_before, total_before = cpu_ticks()
        began = time.perf_counter()
        for _ in range(runs):
            time.sleep(gap)
            done.append(graded_once(api, pack, files))
        fig.mean[gap] = (time.perf_counter() - began) / runs - gap
        busy_after, total_after = cpu_ticks()
        fig.busy[gap] = (busy_after - busy_before) / max(total_after - total_before, 1)
        fig.cpu[gap] = (busy_after - busy_before) / TICK / runs
        fig.warm[gap] = [r.total for r in done]
        tests = tests_and_stages(settings, done, fig)
        fig.warm_over[gap] = [r.total - t for r, t in zip(done, tests, strict=True)]
        fig.tests += tests
    payload = build_request(pack, files, exercise_limits(pack, settings)).to_json().encode()
    for _ in range(max(3, runs // 2)):
        fig.baseline.append(docker_run(image, payload))
        fig.start.append(container_start(client, image, pack, settings))
        used = load_cpu(client, image, pack, settings)
        fig.load_cpu += [used] if used is not None else []


def report(packs: list[ExercisePack], figures: dict[str, Figures], gaps: list[float],
           args: argparse.Namespace) -> None:  # fmt: skip
    med = statistics.median
    load = os.getloadavg()
    print(f"\n{len(packs)} exercises, warm p50 of {args.runs} per gap, cold p50 of "
          f"{args.cold_runs}; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; ms")
    warm_heads = "".join(f"{f'warm g{g:g}':>10}{f'ovh g{g:g}':>10}" for g in gaps)
    print(f"{'exercise':<26}{'runner':<9}{warm_heads}{'tests':>7}{'cold':>7}{'ovh cold':>9}"
          f"{'start':>7}{'docker run':>11}{'load CPU':>9}{f'busy g{gaps[0]:g}':>9}")
    worst = dict.fromkeys(gaps, 0.0)
    cold_margins: dict[str, float] = {}  # slug -> cold target - cold overhead
    for pack in packs:
        fig = figures[pack.slug]
        tests = med(fig.tests)
        cells = ""
        for gap in gaps:
            total, over = med(fig.warm[gap]), med(fig.warm_over[gap])
            worst[gap] = max(worst[gap], over)
            cells += f"{total * 1000:>10.0f}{over * 1000:>10.0f}"
        cold_over = med([c - t for c, t in zip(fig.cold, fig.cold_tests, strict=True)])
        cold_margins[pack.slug] = 2 * WARM_TARGET + med(fig.start) - cold_over
        print(f"{pack.slug:<26}{pack.manifest.runner.value:<9}{cells}{tests * 1000:>7.0f}"
              f"{med(fig.cold) * 1000:>7.0f}{cold_over * 1000:>9.0f}{med(fig.start) * 1000:>7.0f}"
              f"{med(fig.baseline) * 1000:>11.0f}"
              f"{f'{med(fig.load_cpu) * 1000:.0f}' if fig.load_cpu else '-':>9}"
              f"{fig.busy[gaps[0]] * 100:>8.0f}%")
    print("worst warm overhead p50: " + ", ".join(
        f"gap {gap:g} s {over * 1000:.0f} ms" for gap, over in worst.items())
        + f" (target <= {WARM_TARGET * 1000:.0f} ms)")
    over = sorted(slug for slug, margin in cold_margins.items() if margin < 0)
    tightest = min(cold_margins, key=cold_margins.__getitem__)
    print(f"cold overhead against 2 x {WARM_TARGET * 1000:.0f} ms + start: met for "
          f"{len(packs) - len(over)} of {len(packs)}" + (f", over: {', '.join(over)}" if over else
          f"; tightest {tightest}, {cold_margins[tightest] * 1000:.0f} ms under"))
    print("where the warm overhead goes (median over all warm runs, ms): " + ", ".join(
        f"{name} {med([v for f in figures.values() for v in f.stages.get(name, [])]) * 1000:.0f}"
        for name in STAGES))
    floor(packs, figures, gaps[0])


def floor(packs: list[ExercisePack], figures: dict[str, Figures], gap: float) -> None:
    """The first gap's gradings against the least time the machine's CPU allows."""
    cores = os.cpu_count() or 1
    print(f"\ngap {gap:g} s against the machine's floor ({cores} cores; floor = machine CPU per "
          f"grading / cores; ms)")
    print(f"{'exercise':<26}{'CPU/grading':>12}{'floor':>7}{'mean':>7}{'p50':>7}{'tests':>7}"
          f"{'ovh p50':>9}")
    for pack in packs:
        fig = figures[pack.slug]
        med = statistics.median
        print(f"{pack.slug:<26}{fig.cpu[gap] * 1000:>12.0f}{fig.cpu[gap] / cores * 1000:>7.0f}"
              f"{fig.mean[gap] * 1000:>7.0f}{med(fig.warm[gap]) * 1000:>7.0f}"
              f"{med(fig.tests) * 1000:>7.0f}{med(fig.warm_over[gap]) * 1000:>9.0f}")


if __name__ == "__main__":
    main()
