"""Every exercise in the catalogue proves itself, under runc and under gVisor."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import docker
import pytest

from grader.exercises.pack import ExercisePack
from grader.sandbox_grading import grade_files
from grader.selftest import Case, CaseKind, ExerciseCheck, cases_of, check_packs
from grader.services.catalog import load_all
from grader.settings import Settings
from grader_harness.report import Report
from sandbox.pool import WarmPool
from tests.integration.conftest import my_sandboxes

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "exercises"


def test_check_command_proves_the_catalogue(tmp_path: Path) -> None:
    """Every case of the catalogue once (125 gradings, about 80 s here): the
    check's own default of two runs per case, its guard against flaky tests,
    would double that on every CI run; flakiness detection is tested on its
    own (tests/unit/test_selftest.py), and a flaky catalogue test still shows
    here as a failure on one run or another."""
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli.main", "exercises", "check", str(CATALOGUE),
         "--runs", "1", "--junit", str(junit)],
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    suites = {s.get("name") for s in ET.parse(junit).getroot().iter("testsuite")}
    expected = {f"{p.manifest.category.value}/{p.slug}" for p in load_all(CATALOGUE)}
    assert suites == expected and len(expected) >= 2
    assert "all" in done.stdout and "exercises proven" in done.stdout


# Under gVisor every grading costs 2-5x what it does under runc, so there
# each exercise proves what depends on the runtime: its reference solution
# scores full marks and its starter does not (its runner, image and tests
# work under gVisor and can fail there). The two example exercises (one per
# runner of the core: http-app, python) also show a mutant caught under
# gVisor: the one that must fail the most tests. What varies from one mutant,
# or one index variant of an sql solution, to the next is the student's code
# alone, not what gVisor changes; the check command above proves every
# mutant and variant of the catalogue under runc.
MUTANT_UNDER_GVISOR = {"books-api", "password-storage"}
PACKS = load_all(CATALOGUE)


def gvisor_cases(pack: ExercisePack) -> list[Case]:
    cases = cases_of(pack)
    kept = [c for c in cases if c.kind in (CaseKind.SOLUTION, CaseKind.STARTER)]
    mutants = [c for c in cases if c.kind is CaseKind.MUTANT]
    if pack.slug in MUTANT_UNDER_GVISOR and mutants:
        kept.append(max(mutants, key=lambda c: len(c.spec.must_fail) if c.spec else 0))
    return kept


@pytest.fixture(scope="module")
def gvisor_checks(
    request: pytest.FixtureRequest, docker_client: docker.DockerClient
) -> dict[str, ExerciseCheck]:
    """The gVisor cases of every pack selected below, graded once, in one
    queue of 2 gradings as the check command schedules them (no worker waits
    on a pack's slowest case), in warm sandboxes: each test reads its pack's.
    One warm sandbox per pack (per_key=1): with 2-3 cases a pack, the second
    grading takes the one started on the first one's miss, and a second warm
    start of a gVisor sandbox would only be removed unused (about 84 s of
    gradings against 66 s on this machine, as many of them warm)."""
    selected = {item.callspec.params["slug"] for item in request.session.items
                if isinstance(item, pytest.Function)
                and item.originalname == "test_exercise_proves_itself_under_gvisor"}
    settings = Settings(runtime="runsc")
    before = my_sandboxes(docker_client)
    pool = WarmPool(docker_client, max_keys=2, per_key=1, idle_seconds=60)

    def grade(pack: ExercisePack, files: dict[str, str]) -> Report:
        return grade_files(pack=pack, files=files, settings=settings, client=docker_client,
                           pool=pool)

    try:
        checks = check_packs([p for p in PACKS if p.slug in selected], runs=1, grade=grade,
                             jobs=2, cases=gvisor_cases)
    finally:
        pool.close()
    assert my_sandboxes(docker_client) - before == set(), "a sandbox container was left behind"
    return {c.pack.slug: c for c in checks}


@pytest.mark.gvisor
@pytest.mark.parametrize("slug", [p.slug for p in PACKS])
def test_exercise_proves_itself_under_gvisor(
    gvisor_checks: dict[str, ExerciseCheck], slug: str
) -> None:
    results = gvisor_checks[slug].cases
    assert {r.case.kind for r in results} >= {CaseKind.SOLUTION, CaseKind.STARTER}
    if slug in MUTANT_UNDER_GVISOR:
        assert CaseKind.MUTANT in {r.case.kind for r in results}
    problems = {r.case.label: r.problems for r in results if r.problems}
    assert not problems, problems
