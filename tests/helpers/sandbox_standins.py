"""Helpers of the sandbox tests (tests/sandbox/conftest.py holds the fixtures).

Test commands stand in for the harness: a few lines of Python that read the
request from stdin and print one report document, so these tests do not
depend on the harness itself.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import docker

from grader_harness.protocol import GradingRequest, HarnessConfig
from sandbox.container import LABEL_OWNER, LABEL_SANDBOX, owner_label
from sandbox.images import ExerciseImageSpec

BASE_IMAGE = os.environ.get("GRADER_BASE_IMAGE", "python:3.11-slim")

# Reads the request, then leaves `emit(message, status)` to the test's body.
PRELUDE = """
import json, os, sys
request = json.load(sys.stdin)
def emit(message, status="passed"):
    sys.stdout.write(json.dumps({"schema_version": 1, "status": status, "score": 1,
                                 "max_score": 1, "tests": [], "message": message}))
"""


def report_command(body: str) -> list[str]:
    """A stand-in harness: PRELUDE + body, run by the image's python."""
    return ["python", "-c", PRELUDE + textwrap.dedent(body)]


def make_request(files: dict[str, str] | None = None, wall: float = 10.0) -> GradingRequest:
    config = HarnessConfig(runner="python", wall_seconds=wall)
    return GradingRequest(config=config, files=files or {"solution.py": "x = 1\n"})


def facts(message: str | None) -> dict[str, object]:
    assert message is not None
    data: dict[str, object] = json.loads(message)
    return data


def own_sandboxes(client: docker.DockerClient) -> list[str]:
    """Ids of the sandbox containers this test process owns (others may share the engine)."""
    labelled = client.api.containers(all=True, filters={"label": f"{LABEL_SANDBOX}=1"})
    return [c["Id"] for c in labelled if (c.get("Labels") or {}).get(LABEL_OWNER) == owner_label()]


def write_pack(root: Path, token: str) -> ExerciseImageSpec:
    """A tiny exercise folder; `token` goes into the hidden test, so it sets the content."""
    from grader.exercises.pack import content_hash

    (root / "tests" / "__pycache__").mkdir(parents=True, exist_ok=True)
    (root / "tests" / "test_hidden.py").write_text(f"SECRET = {token!r}\n")
    (root / "tests" / "__pycache__" / "test_hidden.cpython-311.pyc").write_bytes(b"junk")
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "rows.csv").write_text("id\n1\n")
    return ExerciseImageSpec(
        slug="sandbox-selftest",
        content_hash=content_hash(root),
        tests=root / "tests",
        public_tests=None,
        data=root / "data",
    )
