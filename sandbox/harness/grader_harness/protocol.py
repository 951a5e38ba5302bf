"""What the host sends the harness on stdin, and where the harness finds things.

One JSON document arrives on the container's stdin (then EOF); the harness
answers with exactly one report document (report.py) on the container's
stdout. Nothing else ever writes to that stdout: student processes get pipes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grader_harness.runners import find_runner

PROTOCOL_VERSION = 1

HIDDEN_MESSAGE_POLICIES = ("none", "author", "full")
OUTPUT_POLICIES = ("public", "full", "none")


@dataclass(frozen=True)
class HarnessConfig:
    runner: str
    # Runner-specific options, e.g. {"app": "app.main:app"} or {"module": "passwords"}.
    options: dict[str, Any] = field(default_factory=dict)
    # How much of a failing hidden test's message the student sees:
    # "none" (hint only), "author" (only messages the author wrote: assert x, "msg"
    # and grader_harness.Feedback), "full" (everything pytest says, minus source).
    hidden_messages: str = "author"
    # How much of the student code's own output the student sees (phases.py):
    # "public" (printed while it starts and during public tests), "full", "none".
    # The report's author_output always has all of it.
    output: str = "public"
    wall_seconds: float = 30.0
    output_bytes: int = 1024 * 1024
    call_timeout_seconds: float = 10.0


@dataclass(frozen=True)
class GradingRequest:
    config: HarnessConfig
    files: dict[str, str]
    version: int = PROTOCOL_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, document: str | bytes) -> GradingRequest:
        data = json.loads(document)
        if data.get("version") != PROTOCOL_VERSION:
            version = data.get("version")
            raise ValueError(f"request protocol version {version!r} is not {PROTOCOL_VERSION}")
        config = HarnessConfig(**data["config"])
        if find_runner(config.runner) is None:
            raise ValueError(f"unknown runner {config.runner!r}")
        if config.output not in OUTPUT_POLICIES:
            raise ValueError(f"config.output must be one of {', '.join(OUTPUT_POLICIES)}")
        files = data["files"]
        if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()
        ):
            raise ValueError("files must map paths to text")
        return cls(config=config, files=files)


@dataclass(frozen=True)
class Layout:
    """Where things are. The defaults are the sandbox image's; golden tests on
    the host point them at an exercise folder and a temporary workspace."""

    tests: Path = Path("/grader/tests")
    public_tests: Path = Path("/grader/public_tests")
    data: Path = Path("/grader/data")
    workspace: Path = Path("/workspace/submission")
    # The sql runner: the reference solution's files (its queries), the
    # template cluster built with the image, and the tmpfs it is copied to.
    reference: Path = Path("/grader/reference")
    sql_template: Path = Path("/opt/grader/pgdata")
    sql_scratch: Path = Path("/var/lib/grader-pg")
    # Drop to this user for student processes; None runs them as ourselves
    # (only for trusted code on the host: golden tests of the harness).
    student_user: str | None = "student"
