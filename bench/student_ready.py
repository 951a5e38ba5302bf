"""Benchmark: how soon the student's code is ready after the request arrives (issue 13).

Inside a real sandbox (the exercise image, the container's hardening), for
the http-app and python runners:

- prestart: a warm sandbox (`--warm RUNNER`) whose student interpreter was
  started ahead (grader_harness/prestart.py), fed after it had time to get
  ready, the way the warm pool feeds one;
- no-prestart: the same warm sandbox with `--no-prestart`: the student's
  process starts cold after the files are written (the path before issue 13);
- cold: an ordinary grading (no --warm); its clock starts with the harness
  process, so its figures count the harness's own imports too.

The exercise's hidden test reads when the request arrived from the harness
(the run's deadline) and the student's code reports time.monotonic() (one
clock for every process of the container) when its module was imported, when
the app's start-up ran and when it answered the test's first request; the test
fails on purpose with those figures as its message. Prints the median of each,
in ms after the request arrived. Targets: the app answers its first request
within 100 ms; the python module is imported within 50 ms.

Run on demand (not part of the test suite):
    .venv/bin/python bench/student_ready.py [--runs 5] [--runtime runc]
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402

from grader.exercises.pack import content_hash  # noqa: E402
from grader.settings import Settings  # noqa: E402
from grader_harness.protocol import GradingRequest, HarnessConfig  # noqa: E402
from grader_harness.report import Report, parse_report  # noqa: E402
from sandbox import images  # noqa: E402
from sandbox.container import container_settings, networking_disabled, remove_container  # noqa: E402
from sandbox.images import ExerciseImageSpec  # noqa: E402
from sandbox.limits import SandboxLimits  # noqa: E402

HIDDEN_TEST = '''
import time
from grader_harness.state import STATE_KEY

def test_ready(request, {fixture}):
    state = request.config.stash[STATE_KEY]
    arrived = state.deadline.at - max(state.config.wall_seconds - 1.0, 0.1)
    times = {call}
    assert False, " ".join(f"{{k}}={{(v - arrived) * 1000:.1f}}" for k, v in times.items())
'''
APP = '''import time
IMPORTED = time.monotonic()
from fastapi import FastAPI
app = FastAPI()
UP = [0.0]

@app.on_event("startup")
def up():
    UP[0] = time.monotonic()

@app.get("/")
def root():
    return {"imported": IMPORTED, "startup": UP[0], "answered": time.monotonic()}
'''
MODULE = ("import time\nIMPORTED = time.monotonic()\n"
          "def when():\n    return {'imported': IMPORTED}\n")
CASES = {
    "http-app": ("client", 'client.get("/").json()', {"app": "app:app"}, {"app.py": APP}),
    "python": ("student", "student.when()", {"module": "solution"}, {"solution.py": MODULE}),
}
LIMITS = SandboxLimits(wall_seconds=20.0, memory_mb=512)


def build_image(client: docker.DockerClient, runner: str, settings: Settings) -> str:
    fixture, call, _, _ = CASES[runner]
    root = Path(tempfile.mkdtemp(prefix="student-ready-"))
    (root / "tests").mkdir()
    (root / "tests" / "test_ready.py").write_text(HIDDEN_TEST.format(fixture=fixture, call=call))
    spec = ExerciseImageSpec(slug=f"student-ready-{runner}", content_hash=content_hash(root),
                             tests=root / "tests", public_tests=None, data=None)  # fmt: skip
    return images.ensure_exercise_image(client, spec, base_image=settings.base_image,
                                        offline_base=settings.offline_base)  # fmt: skip


def request(runner: str) -> bytes:
    _, _, options, files = CASES[runner]
    config = HarnessConfig(runner=runner, options=options, hidden_messages="full",
                           wall_seconds=LIMITS.wall_seconds)  # fmt: skip
    return GradingRequest(config=config, files=files).to_json().encode() + b"\n"


def grade_once(client: docker.DockerClient, image: str, runner: str, mode: str,
               runtime: str) -> Report:  # fmt: skip
    attrs = client.images.get(image).attrs
    command = list(attrs["Config"]["Cmd"] or [])
    if mode != "cold":
        command += ["--warm", runner] + (["--no-prestart"] if mode == "no-prestart" else [])
    options = container_settings(LIMITS, runtime, runner=runner,
                                 network_disabled=networking_disabled(attrs))  # fmt: skip
    container = client.containers.create(image, command, **options)
    try:
        attached: Any = container.attach_socket(params={"stdin": 1, "stream": 1})
        raw: Any = getattr(attached, "_sock", attached)
        container.start()
        if mode != "cold":
            # As in the pool: the sandbox waited (loaded, interpreter ready) before its request.
            give_up = time.monotonic() + 30
            while b"warm, loaded" not in container.logs(stdout=False, stderr=True):
                if time.monotonic() > give_up:
                    raise SystemExit(f"{mode} {runner}: the sandbox never got warm")
                time.sleep(0.05)
            time.sleep(0.5)
        raw.sendall(request(runner))
        raw.shutdown(socket.SHUT_WR)
        attached.close()
        container.wait(timeout=60)
        return parse_report(container.logs(stdout=True, stderr=False))
    finally:
        remove_container(container)


def figures(report: Report) -> dict[str, float]:
    message = report.tests[0].message if report.tests else None
    found = dict(re.findall(r"(\w+)=(-?[\d.]+)", message or ""))
    if not found:
        raise SystemExit(f"no figures in the report: {report.status} {report.message!r}")
    return {key: float(value) for key, value in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--runtime", default="runc")
    args = parser.parse_args()
    client = docker.from_env()
    settings = Settings()
    for runner in CASES:
        image = build_image(client, runner, settings)
        results: dict[str, list[dict[str, float]]] = {"prestart": [], "no-prestart": [], "cold": []}
        for _ in range(args.runs):
            for mode, found in results.items():  # alternating: noise weighs on all alike
                found.append(figures(grade_once(client, image, runner, mode, args.runtime)))
        for mode, found in results.items():
            medians = {key: statistics.median(f[key] for f in found) for key in found[0]}
            shown = "  ".join(f"{key} {value:7.1f} ms" for key, value in medians.items())
            print(f"{runner:9} {mode:12} {shown}")
        print(json.dumps({"runner": runner, "runs": args.runs, "runtime": args.runtime}))


if __name__ == "__main__":
    main()
