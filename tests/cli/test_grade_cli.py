"""`grader grade` refuses bad input with a message naming what is wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKS = Path(__file__).resolve().parents[1] / "fixtures" / "packs"


def grader(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRADER_EXERCISES_DIR": str(PACKS), "COLUMNS": "200", **variables}
    return subprocess.run([sys.executable, "-m", "grader.cli.main", *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_unknown_slug_suggests_the_closest(tmp_path: Path) -> None:
    done = grader("grade", "sandbox-prob", str(tmp_path))
    assert done.returncode == 2
    assert "no exercise 'sandbox-prob'" in done.stderr and "sandbox-probe" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("variables", "said"), [
    ({"GRADER_MAX_CPUS": "-1"}, "GRADER_MAX_CPUS: Input should be greater than 0"),
    ({"GRADER_WARM_SANDBOXES": "many"}, "GRADER_WARM_SANDBOXES: Input should be a valid integer"),
])
def test_a_bad_setting_is_named_in_one_line(variables: dict[str, str], said: str) -> None:
    done = grader("exercises", "list", **variables)
    assert done.returncode == 2
    assert said in done.stderr.replace("\n", " ")
    assert "Traceback" not in done.stderr


def test_missing_required_file_is_named(tmp_path: Path) -> None:
    done = grader("grade", "sandbox-probe", str(tmp_path))
    assert done.returncode == 2
    assert "required file 'probe.py' is missing" in done.stderr


def test_file_not_allowed_is_named(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text("def guess(): return 1\n")
    (tmp_path / "notes.txt").write_text("hi")
    done = grader("grade", "sandbox-probe", str(tmp_path))
    assert done.returncode == 2
    assert "file 'notes.txt' is not allowed here (allowed: probe.py)" in done.stderr


def test_non_utf8_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_bytes(b"\xff\xfe not text")
    done = grader("grade", "sandbox-probe", str(tmp_path))
    assert done.returncode == 2 and "'probe.py' is not UTF-8 text" in done.stderr


@pytest.mark.docker
def test_json_report_of_the_reference_solution() -> None:
    solution = PACKS / "security/sandbox-probe/solution"
    done = grader("grade", "sandbox-probe", str(solution), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "passed" and report["score"] == report["max_score"] == 6
    assert {t["name"] for t in report["tests"]} == {"test_secret", "test_run"}


@pytest.mark.docker
def test_table_of_a_failing_solution_shows_the_hint() -> None:
    done = grader("grade", "sandbox-probe", str(PACKS / "security/sandbox-probe/starter"))
    assert done.returncode == 1, done.stderr
    assert "failed" in done.stdout and "score 1 / 6" in done.stdout
    assert "The secret is in the hidden tests" in done.stdout
