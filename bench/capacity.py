"""Benchmark: the figures of the capacity model (docs/service.md, "Capacity model").

For one exercise of each runner (the reference solution, warm sandboxes, the
way a worker grades) it measures in one run:

- wall time of one grading, alone on the machine (p50);
- CPU per grading, two ways: `attributed`, the containers' CPU time
  (Docker's cgroup: the harness, the student's process, PostgreSQL in a sql
  sandbox, the warm refill the grading causes) plus the grading code's and
  the Docker daemons'; and `machine`, the whole machine's busy time
  (/proc/stat) over the same window less what it spends idle with the warm
  sandboxes waiting (measured first), which also counts what no process
  outlives: containerd's shims, runc, Docker's start hooks. The sizing uses
  `machine`; gradings per second per core is its inverse;
- throughput with as many gradings in flight as cores;
- memory of one idle warm sandbox (its cgroup's usage, as `docker stats` shows).

Then it sizes a deadline peak with an M/M/c queue (Erlang C): students x
submissions in the last minutes arrive at rate lambda; c cores each serve
1/cpu gradings a second; the smallest c whose p95 of (wait + one grading's
wall time) meets the goal. A model, not a promise: read docs/service.md.

Run on demand (not part of the test suite), with no other containers
running (their CPU would count):
    .venv/bin/python bench/capacity.py [--runs 20] [--students 500 --submissions 2
        --minutes 10 --p95 30]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.overhead import cpu_ticks  # noqa: E402
from grader.exercises.submission import read_submission  # noqa: E402
from grader.sandbox_grading import ensure_image, grade_files  # noqa: E402
from grader.services.catalog import find_pack  # noqa: E402
from grader.settings import Settings  # noqa: E402
from sandbox import engine  # noqa: E402
from sandbox.container import LABEL_OWNER, LABEL_SANDBOX, owner_label  # noqa: E402
from sandbox.pool import WarmPool  # noqa: E402

EXERCISES = {"python": "password-storage", "http-app": "books-api", "sql": "hot-lookup-index"}
TICK = os.sysconf("SC_CLK_TCK")
DOCKER_CPUACCT = "/sys/fs/cgroup/cpuacct/docker/cpuacct.usage"
IDLE_SAMPLE_SECONDS = 3.0


def grading_cpu_seconds() -> float:
    """CPU time spent so far by everything a grading runs on: every container
    (Docker's cgroup, cgroup v1: it keeps the time of removed containers),
    this process (the grading code, all threads) and the Docker daemons.
    Unlike the machine's busy time, other work on the host does not count,
    except other containers: run it with no other gradings going on."""
    with open(DOCKER_CPUACCT) as usage:
        total = int(usage.read()) / 1e9
    own = resource.getrusage(resource.RUSAGE_SELF)
    total += own.ru_utime + own.ru_stime
    for pid in daemon_pids():
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
        except (OSError, IndexError, ValueError):
            pass  # it ended: its share is lost, a few ms
    return total


def daemon_pids() -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/comm") as comm:
                    if comm.read().strip() in ("dockerd", "containerd"):
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def busy_seconds_per_second(seconds: float) -> float:
    """The machine's busy CPU time per second while nothing grades."""
    busy, began = cpu_ticks()[0], time.perf_counter()
    time.sleep(seconds)
    return (cpu_ticks()[0] - busy) / TICK / (time.perf_counter() - began)


@dataclass
class RunnerFigures:
    runner: str
    slug: str
    wall_p50: float
    cpu_per_grading: float  # machine
    attributed_cpu: float
    burst_rate: float
    warm_mib: float


def warm_sandbox_mib(client: Any, image: str, expected: int) -> float:
    """Memory of this process's idle warm sandboxes of `image` (waited for), MiB each."""
    mine = {"label": [f"{LABEL_SANDBOX}=1", f"{LABEL_OWNER}={owner_label()}"]}
    for _ in range(150):
        found = [c for c in client.containers.list(filters=mine) if image in c.image.tags]
        if len(found) >= expected:
            break
        time.sleep(0.1)
    time.sleep(1.0)  # let the warm harness finish its imports
    usages = []
    for container in found:
        try:
            memory = container.stats(stream=False).get("memory_stats", {})
        except Exception:  # a used sandbox removed meanwhile (in the background)
            continue
        cache = memory.get("stats", {}).get("cache", 0)
        usages.append((memory.get("usage", 0) - cache) / (1 << 20))
    return statistics.mean(usages) if usages else float("nan")


def measure(runner: str, slug: str, settings: Settings, client: Any,
            runs: int) -> RunnerFigures:  # fmt: skip
    pack = find_pack(slug, settings.exercises_dir)
    files = read_submission(pack.solution, pack.manifest.submission)
    image = ensure_image(pack, settings, client=client)
    cores = os.cpu_count() or 1
    pool = WarmPool(client, max_keys=1, per_key=cores)

    def one() -> float:
        start = time.perf_counter()
        report = grade_files(pack=pack, files=files, settings=settings, client=client,
                             pool=pool)  # fmt: skip
        if not report.full_marks:
            raise SystemExit(f"{slug}: the reference solution did not get full marks")
        return time.perf_counter() - start

    one()
    warm_mib = warm_sandbox_mib(client, image, cores)
    idle = busy_seconds_per_second(IDLE_SAMPLE_SECONDS)
    walls, cpu, machine = [], [], []
    for _ in range(runs):
        time.sleep(0.3)  # a refill is part of a grading's cost: let it land inside
        before, busy, began = grading_cpu_seconds(), cpu_ticks()[0], time.perf_counter()
        walls.append(one())
        time.sleep(1.5)  # ... and the refill it triggers
        cpu.append(grading_cpu_seconds() - before)
        window = time.perf_counter() - began
        machine.append((cpu_ticks()[0] - busy) / TICK - idle * window)
    start = time.perf_counter()
    burst = runs * 2
    with ThreadPoolExecutor(cores) as threads:
        list(threads.map(lambda _: one(), range(burst)))
    rate = burst / (time.perf_counter() - start)
    pool.close()
    return RunnerFigures(runner, slug, statistics.median(walls), statistics.median(machine),
                         statistics.median(cpu), rate, warm_mib)  # fmt: skip


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits, M/M/c with offered load `load` (< servers)."""
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    term *= load / servers
    last = term * servers / (servers - load)
    return last / (total + last)


def cores_needed(rate: float, cpu: float, wall: float, p95_goal: float) -> int | None:
    """Smallest core count whose p95 of wait + wall meets the goal (None: not below 4096)."""
    if wall >= p95_goal:
        return None
    mu = 1 / cpu
    for servers in range(max(1, math.ceil(rate / mu)), 4096):
        load = rate / mu
        if load >= servers:
            continue
        # P(wait > t) = C * exp(-(c*mu - lambda) * t)
        tail = erlang_c(servers, load) * math.exp(-(servers * mu - rate) * (p95_goal - wall))
        if tail <= 0.05:
            return servers
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--submissions", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--p95", type=float, default=30.0, help="latency goal, seconds")
    parser.add_argument("--runners", nargs="*", default=list(EXERCISES))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grader-capacity-"))
    settings = Settings(exercises_dir=ROOT / "exercises", data_dir=tmp / "data",
                        database_url=f"sqlite:///{tmp / 'grader.db'}")  # fmt: skip
    client = engine.connect(settings.docker_url)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    figures = [measure(r, EXERCISES[r], settings, client, args.runs) for r in args.runners]
    print(f"\n{'runner':9} {'exercise':18} {'wall p50':>9} {'CPU: machine':>13} "
          f"{'attributed':>11} {'gradings/s/core':>16} {'burst/s':>8} {'warm MiB':>9}")
    for f in figures:
        print(f"{f.runner:9} {f.slug:18} {f.wall_p50 * 1000:7.0f}ms {f.cpu_per_grading:11.2f} s "
              f"{f.attributed_cpu:9.2f} s {1 / f.cpu_per_grading:16.2f} {f.burst_rate:8.2f} "
              f"{f.warm_mib:9.0f}")
    rate = args.students * args.submissions / (args.minutes * 60)
    print(f"\ndeadline peak: {args.students} students x {args.submissions} submissions in "
          f"{args.minutes:g} min = {rate:.2f} gradings/s; p95 goal {args.p95:g} s")
    for f in figures:
        need = cores_needed(rate, f.cpu_per_grading, f.wall_p50, args.p95)
        print(f"  all {f.runner:9}: {need if need else 'n/a'} cores "
              f"(plain CPU demand {rate * f.cpu_per_grading:.1f} cores)")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
