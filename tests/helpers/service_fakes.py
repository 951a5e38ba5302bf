"""What stands in for the real thing in the service and web tests: a tiny
exercise pack, a fake grading function (for in-process tests of the domain
logic only), a queue that records, and an account with its API token."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader_harness.report import Outcome, Report, TestResult, Visibility, build_report
from sandbox.errors import EngineUnavailable

SLUG = "hello-api"
MANIFEST = """\
slug = "hello-api"
title = "Hello API (test pack)"
category = "api-design"
difficulty = "intro"
runner = "http-app"

[submission]
files = ["app/*.py", "notes.txt"]
required = ["app/main.py"]
max_files = 3
max_bytes = 2000
"""


def make_pack(root: Path, *, extra: str = "") -> Path:
    pack = root / "api-design" / SLUG
    for folder in ("starter/app", "solution/app", "tests", "mutants"):
        (pack / folder).mkdir(parents=True, exist_ok=True)
    (pack / "exercise.toml").write_text(MANIFEST)
    (pack / "README.md").write_text("# Hello\n\nAnswer GET /hello." + extra)
    (pack / "starter/app/main.py").write_text("# TODO: write the app\n")
    (pack / "solution/app/main.py").write_text("SOLUTION_SECRET = 'reference solution'\n")
    (pack / "tests/test_hello.py").write_text("def test_hidden():\n    assert 'HIDDEN_TEST_CODE'\n")
    return pack


def fake_grade(*, pack: Any, files: dict[str, str], settings: Any = None) -> Report:
    """Scores from markers in app/main.py: PASS -> full marks, FAIL -> half,
    INFRA -> a sandbox fault (raised), SLEEP=<s> -> waits first."""
    source = files.get("app/main.py", "")
    for line in source.splitlines():
        if line.startswith("SLEEP="):
            time.sleep(float(line.split("=", 1)[1]))
    if "INFRA" in source:
        raise EngineUnavailable("Docker engine is not reachable (fake)")
    passed = "PASS" in source
    tests = [
        TestResult(id="test_hello.py::test_status", name="test_status", outcome=Outcome.PASSED,
                   points=1, max_points=1, duration=0.01, visibility=Visibility.PUBLIC),
        TestResult(id="test_hello.py::test_body", name="test_body",
                   outcome=Outcome.PASSED if passed else Outcome.FAILED,
                   points=1 if passed else 0, max_points=1, duration=0.01,
                   hint="return JSON", message=None if passed else "body was not JSON"),
    ]
    return build_report(tests, duration=0.02)


@dataclass
class FakeQueue:
    """Records what would go on the queue (API unit tests; the worker tests
    use the real Celery queue)."""

    grading: list[str] = field(default_factory=list)
    webhooks: list[str] = field(default_factory=list)
    passbacks: list[int] = field(default_factory=list)  # LTI passback row ids
    up: bool = True

    def enqueue(self, submission_id: str, exercise: str | None = None,
                runner: str | None = None) -> bool:
        if self.up:
            self.grading.append(submission_id)
        return self.up

    def enqueue_webhook(self, submission_id: str) -> bool:
        self.webhooks.append(submission_id)
        return self.up

    def enqueue_passback(self, passback_id: int) -> bool:
        self.passbacks.append(passback_id)
        return self.up

    def depth(self) -> int | None:
        return len(self.grading) if self.up else None


@dataclass
class Account:
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}
