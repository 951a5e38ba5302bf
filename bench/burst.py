"""Benchmark: a burst of gradings through the service, warm pool on against off.

Starts its own stack (redis-server, the API under uvicorn, a Celery worker
with --concurrency processes; SQLite in a temporary folder) once with warm
sandboxes off (the baseline: every grading cold) and once with them on, and
runs --pairs alternating pairs (off, on, off, on, ...) of one burst each: B
submissions of the exercise's reference solution POSTed at once, timed until
the last is graded. Prints gradings per second of each side and the ratio
(target: warm >= 1.0x the baseline, same concurrency), and how many sandbox
containers each burst started (warm: those started ahead for gradings that
did not come are among them; those started before the burst are not).

CPU per grading, what each side costs the machine:
- the worker: its processes' user + system time (/proc/PID/stat), children
  included;
- the sandboxes: each container's cgroup (bench.overhead.cgroup_cpu), sampled
  every 10 ms while it lives, for the containers the worker's processes own
  (their labels, from the engine's event stream). A container's last few
  milliseconds after the final sample are not counted; warm containers
  started for gradings that did not come (left idle at the end) are.
dockerd's and containerd's own time is shared with everything else on the
machine and is left out. The warm side also prints how many of the worker's
gradings its pools served warm and cold (their closing log line): with every
core grading they start no container ahead (sandbox/host_gradings.py), so
most of a long burst goes cold.

Run on demand (not part of the test suite):
    .venv/bin/python bench/burst.py [--exercise safe-fetch] [--burst 200] [--pairs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.overhead import cgroup_cpu, login  # noqa: E402
from bench.run import graded  # noqa: E402
from grader.exercises.submission import read_submission  # noqa: E402
from grader.sandbox_grading import ensure_image  # noqa: E402
from grader.services.catalog import find_pack  # noqa: E402
from grader.settings import Settings  # noqa: E402
from sandbox import engine  # noqa: E402
from sandbox.container import LABEL_OWNER, LABEL_SANDBOX  # noqa: E402
from tests.helpers.live_service import running_service  # noqa: E402
from tests.helpers.service_processes import RedisServer  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(group: int) -> float:
    """User + system seconds of the live processes of a process group, their
    waited-for children included."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp (the fields after the name start at state)
            total += sum(int(v) for v in fields[11:15]) / TICK
    return total


class ContainerCpu:
    """CPU seconds of the sandboxes the worker's processes own (see the module doc)."""

    def __init__(self, client: Any, group: int) -> None:
        self.client, self.group = client, group
        self.ours: set[str] = set()
        self.usage: dict[str, float] = {}  # id -> the last CPU seconds seen (cgroup_cpu)
        self._stop = threading.Event()

    def __enter__(self) -> ContainerCpu:
        self._events = self.client.events(decode=True, filters={
            "type": "container", "event": "create", "label": f"{LABEL_SANDBOX}=1"})
        threading.Thread(target=self._watch_events, daemon=True).start()
        threading.Thread(target=self._sample, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._events.close()

    def seconds(self) -> float:
        return sum(used for cid, used in self.usage.items() if cid in self.ours)

    def _watch_events(self) -> None:
        try:
            for event in self._events:
                owner = event.get("Actor", {}).get("Attributes", {}).get(LABEL_OWNER, "")
                pid = owner.rpartition(":")[2]
                try:
                    if pid.isdigit() and os.getpgid(int(pid)) == self.group:
                        self.ours.add(event["Actor"]["ID"])
                except ProcessLookupError:
                    pass
        except Exception:  # the stream closed by __exit__
            return

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            for cid in self.ours.copy():
                with contextlib.suppress(OSError):  # gone between the check and the read
                    used = cgroup_cpu(cid)  # None: not started yet, or gone
                    if used is not None:
                        self.usage[cid] = used


POOL_CLOSED = re.compile(r"warm pool closed: (\d+) gradings warm .*?, (\d+) cold; "
                         r"a start waited for a free core (\d+) times")


def pool_summary(worker_log: Path) -> str:
    """What the worker's pools said when they closed (sandbox/pool.py), summed
    over its processes and its whole life (the warm-up gradings included)."""
    found = [tuple(map(int, m.groups()))
             for m in POOL_CLOSED.finditer(worker_log.read_text(errors="replace"))]
    if not found:
        return "; the pools said nothing (worker log level above INFO?)"
    warm, cold, waited = (sum(column) for column in zip(*found, strict=True))
    return f"; pools: {warm} warm, {cold} cold, a start waited {waited} times"


def burst(api: Any, slug: str, files: dict[str, str], size: int) -> float:
    """Seconds from the first POST to the last `graded`."""
    start = time.perf_counter()
    with ThreadPoolExecutor(8) as posters:  # the POSTs themselves, concurrently
        ids = list(posters.map(lambda _: api.submit(slug, files)["id"], range(size)))
    for sub_id in ids:
        graded(api, sub_id)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="safe-fetch")
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    settings = Settings(exercises_dir=ROOT / "exercises", data_dir=tmp / "data")
    pack = find_pack(args.exercise, settings.exercises_dir)
    files = read_submission(pack.solution, pack.manifest.submission)
    client = engine.connect(settings.docker_url)
    ensure_image(pack, settings, client=client)
    redis = RedisServer(tmp)
    redis.start()
    rates: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[tuple[float, float]]] = {False: [], True: []}  # (worker, sandboxes)
    started: dict[bool, list[int]] = {False: [], True: []}  # containers created during a burst
    try:
        for pair in range(args.pairs):
            for warm in (False, True):
                db = f"sqlite:///{tmp / f'burst-{pair}-{warm}.db'}"
                run = settings.model_copy(update={"redis_url": redis.url, "database_url": db})
                with running_service(run, tmp, name=f"burst-{pair}-{warm}",
                                     concurrency=args.concurrency, rate_limit_submissions=10**6,
                                     queue_max_depth=10**6,
                                     warm_sandboxes=2 if warm else 0) as (url, env, worker):
                    api = login(env, url)
                    burst(api, pack.slug, files, 2 * args.concurrency)  # every process once
                    assert worker.proc is not None
                    group = os.getpgid(worker.proc.pid)
                    before = process_cpu(group)
                    with ContainerCpu(client, group) as boxes:
                        took = burst(api, pack.slug, files, args.burst)
                        time.sleep(0.2)  # the last samples, the last removals
                    cpu[warm].append(((process_cpu(group) - before) / args.burst,
                                      boxes.seconds() / args.burst))
                    rates[warm].append(args.burst / took)
                    started[warm].append(len(boxes.ours))
                    api.close()
                pools = pool_summary(tmp / f"burst-{pair}-{warm}-worker.log") if warm else ""
                print(f"pair {pair + 1} {'warm' if warm else 'cold'}: {rates[warm][-1]:.2f}/s, "
                      f"CPU per grading worker {cpu[warm][-1][0] * 1000:.0f} ms, sandboxes "
                      f"{cpu[warm][-1][1] * 1000:.0f} ms; {started[warm][-1]} containers started; "
                      f"load {os.getloadavg()[0]:.2f}{pools}",
                      flush=True)
    finally:
        redis.stop()
    med = statistics.median
    ratios = [w / c for w, c in zip(rates[True], rates[False], strict=True)]
    print(f"\n{pack.slug}, burst {args.burst}, concurrency {args.concurrency}, "
          f"{os.cpu_count()} cores, {args.pairs} alternating pairs")
    for warm in (False, True):
        print(f"{'warm' if warm else 'cold (baseline)':<16} {med(rates[warm]):6.2f} gradings/s  "
              f"CPU per grading: worker {med([c[0] for c in cpu[warm]]) * 1000:.0f} ms, "
              f"sandboxes {med([c[1] for c in cpu[warm]]) * 1000:.0f} ms")
    print(f"ratio warm/cold per pair: {' '.join(f'{r:.2f}' for r in ratios)}  "
          f"(target >= 1.0); load {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
