"""`grader exercises check`'s output: readable piped and in narrow terminals,
and --verbose. The sandbox is replaced by a stand-in grader (no Docker), as
tests/unit/test_selftest.py does for the judgement."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from grader.cli import check_view
from grader.cli import console as console_module
from grader.cli import exercises as exercises_cli
from grader.exercises.pack import ExercisePack, load_pack
from grader.exercises.scaffold import scaffold
from grader.exercises.submission import read_submission
from grader.selftest import check_pack
from grader_harness.report import Outcome, Report, TestResult, build_report

LONG = ("the greeting for 'Grace' was 'Hello, Ada!'; it should put the name it is given into "
        "the greeting, as the README's second example shows")
MARGIN = "read 6 buffers; the target is at most 12 (2x the reference's 6)"


def result(name: str, passed: bool, message: str | None = None) -> TestResult:
    return TestResult(id=f"tests/test_greet.py::{name}", name=name,
                      outcome=Outcome.PASSED if passed else Outcome.FAILED,
                      points=2.0 if passed else 0.0, max_points=2.0, duration=0.25,
                      message=message)


def stand_in_grade(pack: ExercisePack, files: dict[str, str]) -> Report:
    """The solution passes (with a margin in its message), the starter fails;
    a mutant passes too when the slug says so, which the check must report."""
    solution = read_submission(pack.solution, pack.manifest.submission)
    starter = read_submission(pack.starter, pack.manifest.submission)
    if files == solution or (pack.slug.startswith("lenient") and files != starter):
        return build_report([result("test_greeting_uses_the_name", True, MARGIN)], duration=1.5)
    return build_report([result("test_greeting_uses_the_name", False, LONG)], duration=1.5)


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "exercises"
    for slug in ("a-rather-long-exercise-slug", "lenient-mutant-exercise"):
        scaffold(exercises_dir=root, category="security", slug=slug)
    # No warm pool: the stand-in grader never starts a sandbox.
    settings = SimpleNamespace(exercises_dir=root, docker_url="unused", warm_sandboxes=0)
    monkeypatch.setattr(exercises_cli, "get_settings", lambda: settings)
    monkeypatch.setattr(exercises_cli, "lint_before_check", lambda roots: None, raising=False)
    monkeypatch.setattr(exercises_cli.engine, "connect", lambda url: None)
    monkeypatch.setattr(exercises_cli, "ensure_image", lambda *a, **k: None)

    def grade_files(*, pack: ExercisePack, files: dict[str, str], **_: Any) -> Report:
        return stand_in_grade(pack, files)

    monkeypatch.setattr(exercises_cli, "grade_files", grade_files)
    return root


def check(monkeypatch: pytest.MonkeyPatch, width: int, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(console_module.console, "_width", width)
    done = CliRunner().invoke(exercises_cli.app, ["check", "--jobs", "1", *args])
    return done.exit_code, done.output


def no_squeezed_lines(output: str) -> None:
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line)]
        assert not any(len(c) == 1 and c.isalnum() for c in cells), repr(line)


@pytest.mark.parametrize("width", [80, 60])
def test_piped_output_is_one_line_per_case(
    packs: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    code, output = check(monkeypatch, width, str(packs / "security"))
    assert code == 1  # the lenient pack's mutant gets full marks
    no_squeezed_lines(output)
    lines = output.splitlines()
    assert re.search(r"^a-rather-long-exercise-slug\s+mutant 'hard-coded-name'\s+ok\s+0/2, 0/2"
                     r"\s+fails test_greeting_uses_the_name as expected$", output, re.M)
    assert re.search(r"^lenient-mutant-exercise\s+mutant 'hard-coded-name'\s+FAILED\s+2/2, 2/2$",
                     output, re.M)
    # each problem whole on one line, never cut at the width
    assert "    run 1: mutant passed 'test_greeting_uses_the_name', which it must fail" in lines
    assert MARGIN not in output and "wall limit" not in output  # only with --verbose


def test_verbose_shows_passing_tests_their_messages_and_the_wall_margin(
    packs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = check(monkeypatch, 80, str(packs / "security" / "a-rather-long-exercise-slug"),
                         "--verbose")
    assert code == 0, output
    no_squeezed_lines(output)
    assert "    run 2: passed 2/2 in 1.5 s of the 20 s wall limit" in output
    assert re.search(r"^    passed\s+2/2  0\.25s, 0\.25s  test_greeting_uses_the_name$", output,
                     re.M)
    assert f"        {MARGIN}" in output.splitlines()
    assert f"        {LONG}" in output.splitlines()  # the starter's failure, whole


def checks(packs: Path) -> list[Any]:
    return [check_pack(load_pack(p), runs=2, grade=stand_in_grade)
            for p in sorted((packs / "security").iterdir())]


def render(packs: Path, width: int, *, verbose: bool = False) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=True, color_system=None)
    check_view.print_check_summary(console, checks(packs), verbose=verbose)
    return out.getvalue()


@pytest.mark.parametrize("width", [60, 80, 100])
def test_a_narrow_terminal_gets_lines_instead_of_a_squeezed_table(packs: Path,
                                                                  width: int) -> None:
    text = render(packs, width)
    assert "exercise self-test" not in text and "│" not in text
    no_squeezed_lines(text)


def test_a_wide_enough_terminal_gets_the_table(packs: Path) -> None:
    width = check_view.table_width(checks(packs))
    text = render(packs, width)
    assert "exercise self-test" in text and "│" in text
    no_squeezed_lines(text)
    assert "│ run 1: mutant got full marks 2/2" in text
    assert "ok, fails test_greeting_uses_the_name as" in text
    assert "│" not in render(packs, width - 1)  # one column short: lines


def test_verbose_is_lines_even_in_a_wide_terminal(packs: Path) -> None:
    text = render(packs, 200, verbose=True)
    assert "│" not in text and f"        {MARGIN}" in text.splitlines()
