"""Every exercise in the catalogue proves itself, under runc and under gVisor."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.exercises.catalogue import load_all
from grader.grading import grade_files
from grader.selftest import check_pack
from grader.settings import Settings
from grader_harness.report import Report

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "exercises"


def test_check_command_proves_the_catalogue(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli.main", "exercises", "check", str(CATALOGUE),
         "--runs", "2", "--junit", str(junit)],
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    suites = {s.get("name") for s in ET.parse(junit).getroot().iter("testsuite")}
    expected = {f"{p.manifest.category.value}/{p.slug}" for p in load_all(CATALOGUE)}
    assert suites == expected and len(expected) >= 2
    assert "all" in done.stdout and "exercises proven" in done.stdout


@pytest.mark.gvisor
@pytest.mark.parametrize("pack", load_all(CATALOGUE), ids=lambda p: p.slug)
def test_exercise_proves_itself_under_gvisor(pack) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(runtime="runsc")

    def grade(p, files: dict[str, str]) -> Report:  # type: ignore[no-untyped-def]
        return grade_files(pack=p, files=files, settings=settings)

    check = check_pack(pack, runs=1, grade=grade)
    problems = {c.case.label: c.problems for c in check.cases if c.problems}
    assert check.ok, problems
