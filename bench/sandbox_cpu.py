"""Benchmark: the CPU one sandbox costs, for two builds of the harness side by side.

Back to back, or with every core grading, each grading pays for CPU: its
own and the next warm sandbox's load (bench/overhead.py explains why). This
prints, per exercise, from the container's own cgroup:

- load: one warm sandbox until its harness says it has loaded (pytest, the
  runner, the tests collected, the student's interpreter started ahead, the
  sql runner's server up), as the workers' pools start it;
- cold: one whole cold grading of the reference solution, `docker run -i
  --network none IMAGE` fed the request (the harness's cold command), the
  CPU read inside the container once the harness has exited.

With --against SUFFIX it measures the same exercise's image built from
another harness too (the tag's last part after "-", e.g. 3ce658e9, still on
the engine from an earlier build), alternating runs so that machine noise
weighs on both alike, and prints new/old ratios.

Run on demand (not part of the test suite), alone on the machine:
    .venv/bin/python bench/sandbox_cpu.py [--runs 7] [--against SUFFIX] [SLUG ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.overhead import load_cpu  # noqa: E402
from grader.exercises.pack import ExercisePack  # noqa: E402
from grader.exercises.submission import read_submission  # noqa: E402
from grader.sandbox_grading import build_request, ensure_image, exercise_limits  # noqa: E402
from grader.services.catalog import find_pack, load_all  # noqa: E402
from grader.settings import Settings  # noqa: E402
from sandbox import engine  # noqa: E402

# v1 (cpuacct, nanoseconds) or v2 (cpu.stat, microseconds), as seen inside.
READ_CPU = ("python -m grader_harness >/dev/null 2>&1; "
            "if [ -r /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then "
            "echo ns $(cat /sys/fs/cgroup/cpuacct/cpuacct.usage); "
            "else echo us $(sed -n 's/^usage_usec //p' /sys/fs/cgroup/cpu.stat); fi")  # fmt: skip


def cold_cpu(image: str, payload: bytes) -> float | None:
    """CPU seconds of one cold grading, harness start to exit."""
    run = subprocess.run(["docker", "run", "--rm", "-i", "--network", "none", image,
                          "sh", "-c", READ_CPU], input=payload, capture_output=True,
                         timeout=120, check=False)  # fmt: skip
    unit, _, value = run.stdout.decode().strip().rpartition("\n")[2].partition(" ")
    if not value.isdigit():
        return None
    return int(value) / (1e9 if unit == "ns" else 1e6)


def other_build(client: Any, image: str, suffix: str) -> str:
    """The tag of the same exercise image built from another harness."""
    other = f"{image.rpartition('-')[0]}-{suffix}"
    if not client.images.list(name=other):
        raise SystemExit(f"{other} is not on this Docker engine (--against {suffix})")
    return other


def measure(pack: ExercisePack, images: list[str], settings: Settings, client: Any,
            runs: int) -> dict[str, dict[str, list[float]]]:  # fmt: skip
    files = read_submission(pack.solution, pack.manifest.submission)
    payload = build_request(pack, files, exercise_limits(pack, settings)).to_json().encode()
    figures: dict[str, dict[str, list[float]]] = {i: {"load": [], "cold": []} for i in images}
    for _ in range(runs):
        for image in images:  # alternating
            load = load_cpu(client, image, pack, settings)
            cold = cold_cpu(image, payload)
            if load is not None:
                figures[image]["load"].append(load)
            if cold is not None:
                figures[image]["cold"].append(cold)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*", help="exercises (default: the whole catalogue)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--against", metavar="SUFFIX", help="another harness build's tag suffix")
    args = parser.parse_args()
    settings = Settings()
    client = engine.connect(settings.docker_url)
    root = settings.exercises_dir
    packs = [find_pack(s, root) for s in args.slugs] if args.slugs else load_all(root)
    med = statistics.median
    head = f"{'exercise':<26}{'runner':<9}{'load ms':>9}{'cold ms':>9}"
    if args.against:
        head += f"{'old load':>10}{'old cold':>10}{'load new/old':>14}{'cold new/old':>14}"
    print(f"{head}   (median of {args.runs}, CPU from the container's cgroup)")
    ratios: dict[str, list[float]] = {"load": [], "cold": []}
    for pack in packs:
        image = ensure_image(pack, settings, client=client)
        images = [image] + ([other_build(client, image, args.against)] if args.against else [])
        fig = measure(pack, images, settings, client, args.runs)
        new = {k: med(v) if v else float("nan") for k, v in fig[image].items()}
        line = f"{pack.slug:<26}{pack.manifest.runner.value:<9}"
        line += f"{new['load'] * 1000:>9.0f}{new['cold'] * 1000:>9.0f}"
        if args.against:
            old = {k: med(v) if v else float("nan") for k, v in fig[images[1]].items()}
            for kind in ratios:
                ratios[kind].append(new[kind] / old[kind])
            line += (f"{old['load'] * 1000:>10.0f}{old['cold'] * 1000:>10.0f}"
                     f"{new['load'] / old['load']:>14.2f}{new['cold'] / old['cold']:>14.2f}")
        print(line, flush=True)
    load = os.getloadavg()
    if args.against:
        print(f"median new/old: load {med(ratios['load']):.2f}, cold {med(ratios['cold']):.2f}")
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
