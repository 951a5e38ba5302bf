"""Every pack in the shipped catalogue loads and is internally consistent.

Pure file checks (no Docker): the manifest validates, mutants name tests
that exist, test modules do not collide. `grader exercises check` (Docker)
proves the grading itself; tests/integration runs it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader.exercises.manifest import Runner
from grader.exercises.pack import ExercisePack, discover, load_pack
from grader.exercises.submission import read_submission

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "exercises"
PACK_PATHS = discover([CATALOGUE])


def test_catalogue_has_the_starter_exercises() -> None:
    slugs = {p.name for p in PACK_PATHS}
    assert {"books-api", "password-storage"} <= slugs


def _test_functions(folder: Path) -> dict[str, list[str]]:
    """module file name -> test function names, read without importing."""
    found: dict[str, list[str]] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found[path.name] = [
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test")
        ]
    return found


@pytest.fixture(params=PACK_PATHS, ids=lambda p: p.name)
def pack(request: pytest.FixtureRequest) -> ExercisePack:
    return load_pack(request.param)


def test_pack_loads(pack: ExercisePack) -> None:
    assert pack.slug == pack.path.name
    assert pack.readme.read_text(encoding="utf-8").strip()
    assert pack.mutants, "every shipped exercise has at least one known-wrong solution"


def test_test_module_names_are_unique_across_hidden_and_public(pack: ExercisePack) -> None:
    # The harness imports both folders into one pytest session.
    hidden = set(_test_functions(pack.tests))
    public = set(_test_functions(pack.public_tests))
    assert not hidden & public


def test_mutants_must_fail_tests_that_exist(pack: ExercisePack) -> None:
    names = {
        name
        for folder in (pack.tests, pack.public_tests)
        for functions in _test_functions(folder).values()
        for name in functions
    }
    for mutant in pack.mutants:
        for wanted in mutant.spec.must_fail:
            function = wanted.rsplit("::", 1)[-1]
            assert function in names, f"{mutant.name}: must_fail names unknown test {wanted!r}"
        assert mutant.spec.description, f"{mutant.name}: say which mistake the mutant models"


def test_solution_starter_and_mutants_all_differ(pack: ExercisePack) -> None:
    rules = pack.manifest.submission
    solution = read_submission(pack.solution, rules)
    assert read_submission(pack.starter, rules) != solution
    for mutant in pack.mutants:
        assert mutant.files != solution, f"mutant {mutant.name} is the reference solution"


def test_shipped_mutants_are_patches(pack: ExercisePack) -> None:
    # Folder mutants still load (tests/exercises/test_patch_mutants.py); the
    # catalogue keeps each mistake as a diff against solution/, never a copy.
    for mutant in pack.mutants:
        assert mutant.path.suffix == ".patch", f"{mutant.path}: save it as a patch"


def test_runner_options_are_complete(pack: ExercisePack) -> None:
    options = pack.manifest.runner_options()
    if pack.manifest.runner is Runner.PYTHON:
        module = options["module"]
        assert f"{module.replace('.', '/')}.py" in pack.manifest.submission.required
    elif pack.manifest.runner is Runner.HTTP_APP:
        module = options["app"].split(":")[0]
        assert f"{module.replace('.', '/')}.py" in pack.manifest.submission.required


def test_limits_fit_under_the_default_server_caps(pack: ExercisePack) -> None:
    # Above a cap the server silently lowers the limit; shipped packs should
    # ask for what they will get.
    limits = pack.manifest.limits
    assert limits.wall_seconds <= 30 and limits.memory_mb <= 512 and limits.cpus <= 1
