"""Each golden case through the real harness, as a subprocess on the host.

UPDATE_GOLDEN=1 rewrites expected.json from what the harness answers (then
read the diff: that is the review).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader_harness.report import parse_report
from tests.helpers.golden_cases import (
    case_dirs,
    load_case,
    normalise,
    output_lines,
    request_json,
    write_expected,
)
from tests.helpers.host_harness import harness_argv, run_harness, sql_template

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="session")
def sql_cache() -> Iterator[Path]:
    # Not under pytest's tmp folders: those are 0700, and the postgres user
    # (the server runs as it when we are root) must reach the clusters.
    cache = Path(tempfile.mkdtemp(prefix="grader-sql-golden-"))
    cache.chmod(0o755)
    yield cache
    shutil.rmtree(cache, ignore_errors=True)


def run_case(case: Path, tmp_path: Path, sql_cache: Path) -> subprocess.CompletedProcess[bytes]:
    config, files, _ = load_case(case)
    argv = harness_argv(case / "tests", tmp_path / "submission")
    if (case / "reference").is_dir():  # the sql runner: a template cluster, as the image has
        template = sql_template(case / "data", case / "reference", config.options, sql_cache)
        argv += ["--reference", str(case / "reference"), "--sql-template", str(template)]
    stdin = request_json(config, files).encode()
    return run_harness(argv, stdin, cwd=tmp_path, timeout=config.wall_seconds + 20)


# The sql runner's cases (a reference/ folder) start a real PostgreSQL 15 server:
# marked docker, so not in the fast loop (tests/conftest.py).
CASES = [pytest.param(case, id=case.name,
                      marks=[pytest.mark.docker] if (case / "reference").is_dir() else [])
         for case in case_dirs()]


@pytest.mark.parametrize("case", CASES)
def test_golden_case(case: Path, tmp_path: Path, sql_cache: Path) -> None:
    config, _, expected = load_case(case)
    started = time.monotonic()
    proc = run_case(case, tmp_path, sql_cache)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    parse_report(proc.stdout)  # exactly one valid report document, nothing else
    report = json.loads(proc.stdout)
    # The harness keeps its own deadline (wall - 1 s) and stops in time.
    assert elapsed < config.wall_seconds + 2, f"took {elapsed:.1f} s"
    for line in output_lines(case):
        assert line in report["author_output"], f"{line!r} not in:\n{report['author_output']}"
    if UPDATE or expected is None:
        write_expected(case, report)
        if not UPDATE:
            pytest.fail(f"{case.name}: no expected.json yet; wrote one, review it")
        return
    assert normalise(report) == expected
