"""Every exercise in the catalogue proves itself, under runc and under gVisor."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.sandbox_grading import grade_files
from grader.selftest import CaseKind, cases_of, check_pack, run_case
from grader.services.catalog import load_all
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


# Under gVisor every grading costs 2-5x what it does under runc, so the two
# example exercises (one per runner of the core: http-app, python) prove
# themselves in full there, mutants included, and every other exercise its
# reference solution and starter; the check command above proves all the
# mutants of the catalogue under runc.
FULL_UNDER_GVISOR = {"books-api", "password-storage"}


@pytest.mark.gvisor
@pytest.mark.parametrize("pack", load_all(CATALOGUE), ids=lambda p: p.slug)
def test_exercise_proves_itself_under_gvisor(pack) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(runtime="runsc")

    def grade(p, files: dict[str, str]) -> Report:  # type: ignore[no-untyped-def]
        return grade_files(pack=p, files=files, settings=settings)

    if pack.slug in FULL_UNDER_GVISOR:
        results = check_pack(pack, runs=1, grade=grade, jobs=2).cases
    else:
        cases = [c for c in cases_of(pack) if c.kind is not CaseKind.MUTANT]
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(
                lambda c: run_case(pack, c, runs=1, grade=grade, progress=lambda _: None), cases
            ))
    assert {r.case.kind for r in results} >= {CaseKind.SOLUTION, CaseKind.STARTER}
    problems = {r.case.label: r.problems for r in results if r.problems}
    assert not problems, problems
