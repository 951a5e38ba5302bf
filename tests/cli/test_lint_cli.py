"""`grader exercises lint` and the lint `grader exercises check` runs first:
exit 0 clean, 1 on a problem, 2 for bad usage; no Docker either way."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest
from typer.testing import CliRunner

from grader.cli.main import app
from grader.settings import get_settings
from tests.exercises.test_lint import make_pack, patch_mutant

CATALOGUE = Path(__file__).resolve().parents[2] / "exercises"


class Done(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def fresh_settings() -> object:
    # In-process (a subprocess per call spent 1.5 s importing the CLI): the
    # settings are read from this test's environment, not a cached earlier one.
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def grader(*args: str) -> Done:
    # A Docker address nothing answers: a command that tried to use it would fail.
    env = {"GRADER_EXERCISES_DIR": str(CATALOGUE), "COLUMNS": "200",
           "GRADER_DOCKER_URL": "tcp://127.0.0.1:9"}
    result = CliRunner().invoke(app, list(args), env=env)
    return Done(result.exit_code, result.stdout, result.stderr)


def test_the_catalogue_lints_clean() -> None:
    done = grader("exercises", "lint")
    assert done.returncode == 0, done.stderr
    assert "lint clean" in done.stdout


def test_problems_are_listed_and_exit_1(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    patch_mutant(pack, "two", '["test_publc_f"]')
    (pack / "README.md").unlink()
    done = grader("exercises", "lint", str(tmp_path))
    assert done.returncode == 1
    out = done.stderr.replace("\n", " ")
    assert "two.patch:2: error: field 'must_fail':" in out and "did you mean 'test_public_f'" in out
    assert "README.md: error: missing" in out
    assert "2 error(s), 0 warning(s) in 1 exercise(s)" in out


def test_warnings_fail_only_with_strict(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    (pack / "tests" / "test_plain.py").write_text("def test_plain(student):\n    pass\n")
    done = grader("exercises", "lint", str(pack))
    assert done.returncode == 0 and "test_plain has no @pytest.mark.points" in done.stderr
    assert grader("exercises", "lint", str(pack), "--strict").returncode == 1


def test_bad_usage_is_exit_2(tmp_path: Path) -> None:
    assert grader("exercises", "lint", str(tmp_path / "nowhere")).returncode == 2
    assert grader("exercises", "lint", str(tmp_path)).returncode == 2  # no pack in it
    assert grader("exercises", "lint", "--no-such-option").returncode == 2


def test_check_stops_on_lint_errors_before_docker(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    patch_mutant(pack, "two", '["test_publc_f"]')
    done = grader("exercises", "check", str(pack))
    assert done.returncode == 2
    assert "did you mean 'test_public_f'" in done.stderr
    assert "lint found 1 error(s)" in done.stderr
    assert "sandbox" not in done.stderr
