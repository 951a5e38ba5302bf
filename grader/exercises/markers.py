"""Lint rules about a pack's tests: their markers, and the must_fail entries of
its mutants (grader.exercises.lint puts them together).

Markers are read as the harness reads them (grader_harness.results): the
closest `points` / `hint` marker counts, its first argument (or `n=` /
`text=`). The harness runs pytest with --strict-markers, so an unknown marker
fails the whole run; a malformed points or hint fails it too.
"""

from __future__ import annotations

import ast
import difflib
import math
from pathlib import Path

from grader.exercises import testscan
from grader.exercises.findings import Finding, Severity, field_line
from grader.exercises.manifest import MutantSpec
from grader.exercises.testscan import Mark, TestFunction

# The harness's markers and pytest's own (what --strict-markers accepts there).
KNOWN_MARKS = ("points", "hint", "parametrize", "skip", "skipif", "xfail", "usefixtures",
               "filterwarnings", "tryfirst", "trylast")


def _finding(path: Path, line: int | None, message: str, warning: bool = False) -> Finding:
    severity = Severity.WARNING if warning else Severity.ERROR
    return Finding(path, line, None, message, severity)


def _value(mark: Mark, keyword: str) -> tuple[bool, object]:
    """(known, value) of the marker's argument; unknown when it is not a literal."""
    node = mark.args[0] if mark.args else mark.keywords.get(keyword)
    if node is None:
        return True, None
    try:
        return True, ast.literal_eval(node)
    except ValueError:
        return False, None


def _bad_mark(mark: Mark) -> str | None:
    if mark.name not in KNOWN_MARKS:
        close = difflib.get_close_matches(mark.name, KNOWN_MARKS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown marker '{mark.name}' (the whole run would fail){hint}"
    if mark.name == "points":
        known, value = _value(mark, "n")
        ok = isinstance(value, int | float) and not isinstance(value, bool) and (
            math.isfinite(value) and value >= 0)
        if known and not ok:
            return f"points() takes a finite number >= 0, not {value!r}"
    if mark.name == "hint":
        known, value = _value(mark, "text")
        if known and not (isinstance(value, str) and value.strip()):
            return f"hint() takes a non-empty text, not {value!r}"
    return None


def _markers(test: TestFunction, policy: str) -> list[Finding]:
    found = []
    for mark in test.marks:
        if problem := _bad_mark(mark):
            found.append(_finding(test.file, mark.line, f"{test.function}: {problem}"))
    points, hint = test.closest("points"), test.closest("hint")
    if points is not None and _value(points, "n")[1] == 0:
        found.append(_finding(test.file, test.line, f"{test.function} is worth 0 points: "
                              "it never changes the score", warning=True))
    if test.public:
        return found
    if points is None:
        found.append(_finding(test.file, test.line, f"{test.function} has no "
                              "@pytest.mark.points(n): it counts the default 1 point", True))
    if hint is None and policy == "none":
        found.append(_finding(test.file, test.line, f"{test.function} has no "
                              '@pytest.mark.hint("..."): under hidden_messages = "none" a '
                              "student who fails it sees only its name"))
    elif hint is None:
        found.append(_finding(test.file, test.line, f"{test.function} has no "
                              '@pytest.mark.hint("..."): a failing student gets no hint', True))
    return found


def lint_tests(pack: Path, tests: list[TestFunction], policy: str) -> list[Finding]:
    """Test files that do not parse, then the markers of `tests` (testscan.collect(pack))."""
    found = []
    for _, _, path in testscan.test_files(pack):
        try:
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as exc:
            found.append(_finding(path, exc.lineno, f"not valid Python: {exc.msg}"))
        except (UnicodeDecodeError, ValueError) as exc:
            found.append(_finding(path, None, f"cannot be read as Python: {exc}"))
    for test in tests:
        found.extend(_markers(test, policy))
    return found


def _how_to_name(test: TestFunction) -> str:
    if test.parametrized:
        return f"'{test.function}[<case-id>]' (it is parametrized)"
    if test.has_docstring:
        return f"'{test.id}' (it has a docstring, so it is reported as '{test.name}')"
    return f"'{test.function}'"


def _unknown(wanted: str, tests: list[TestFunction]) -> str:
    base = wanted.rsplit("::", 1)[-1].split("[", 1)[0].strip()
    same = [t for t in tests if t.function == base]
    if same:
        return (f"'{wanted}' is the name of no reported test: name it "
                + " or ".join(_how_to_name(t) for t in same))
    by_name = {t.function: t for t in tests}
    close = difflib.get_close_matches(base, list(by_name), n=1)
    hint = f"; did you mean {_how_to_name(by_name[close[0]])}?" if close else ""
    return f"'{wanted}' is not a test of this pack{hint}"


def lint_must_fail(tests: list[TestFunction],
                   specs: list[tuple[Path, MutantSpec]]) -> list[Finding]:
    """Each must_fail entry must name a test of tests/ or public_tests/."""
    found = []
    for path, spec in specs:
        line = field_line(path, "must_fail")
        for wanted in spec.must_fail:
            if not any(testscan.matches(t, wanted) for t in tests):
                found.append(Finding(path, line, "must_fail", _unknown(wanted, tests)))
    return found
