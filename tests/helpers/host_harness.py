"""Running the harness on the host (--no-drop) as the sandbox would, for tests."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HARNESS_ROOT = Path(__file__).resolve().parents[2] / "sandbox" / "harness"


def harness_argv(tests: Path, workspace: Path, public_tests: Path | None = None,
                 data: Path | None = None) -> list[str]:
    base = tests.parent
    return [
        sys.executable, "-m", "grader_harness", "--no-drop",
        "--tests", str(tests),
        "--public-tests", str(public_tests or base / "public_tests"),
        "--data", str(data or base / "data"),
        "--workspace", str(workspace),
    ]  # fmt: skip


def run_harness(argv: list[str], stdin: bytes, cwd: Path,
                timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(HARNESS_ROOT)}
    return subprocess.run(argv, input=stdin, capture_output=True, env=env, cwd=cwd,
                          timeout=timeout)


def request(files: dict[str, str], runner: str = "python", **config: Any) -> bytes:
    options = config.pop("options", {"module": "solution"} if runner == "python" else {})
    body = {"runner": runner, "options": options, **config}
    return json.dumps({"version": 1, "config": body, "files": files}).encode()


def write_tests(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def sql_template(data: Path, reference: Path, options: dict[str, Any], cache: Path) -> Path:
    """The sql runner's template cluster for data/ + reference/, built once per content."""
    digest = hashlib.sha256(json.dumps(options, sort_keys=True).encode())
    for folder in (data, reference):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    target = cache / digest.hexdigest()[:16]
    if not target.exists():
        subprocess.run([sys.executable, "-m", "grader_harness.sql.cluster", str(data),
                        str(reference), str(target), json.dumps(options)],
                       env={**os.environ, "PYTHONPATH": str(HARNESS_ROOT)}, check=True)
    return target
