"""The import boundaries of docs/architecture.md hold: `lint-imports` checks
the contracts of pyproject.toml's [tool.importlinter] (sandbox knows nothing of
grader or worker, grader_harness stands alone, only sandbox imports docker,
grader.web and grader.api do not import each other, grader does not import
worker). A failure names each broken contract and the imports that break it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def lint_imports() -> str:
    beside = Path(sys.executable).parent / "lint-imports"
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[dev]' (import-linter)")
    return found


def test_no_module_imports_across_a_forbidden_boundary() -> None:
    paths = [str(REPO_ROOT), str(REPO_ROOT / "sandbox" / "harness")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run([lint_imports(), "--no-cache"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    broken = re.findall(r"^(.+?) BROKEN$", done.stdout, flags=re.M)
    details = done.stdout.partition("Broken contracts")[2] or done.stdout + done.stderr
    if done.returncode != 0 or broken or "0 broken" not in done.stdout:
        pytest.fail(f"broken import contract(s): {'; '.join(broken) or '(see the output)'}\n"
                    f"{details}", pytrace=False)
